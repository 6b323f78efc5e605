"""Turning a question into a cited answer: retrieve, fuse, generate, check."""
