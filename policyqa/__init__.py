"""The roof: the `policyqa` command and the factory that wires settings, index and rag together.

Nothing in core/, index/ or rag/ imports this package.
"""
