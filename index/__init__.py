"""Turning article files into stored chunks: load, clean, split, chunk, embed, store."""
