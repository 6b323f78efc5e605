"""The ground every layer may import: the one typed Settings and the error types.

Nothing here imports index/, rag/ or the wiring in policyqa/ (CLI, factory), which is the roof.
"""
