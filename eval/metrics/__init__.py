"""Metric families, each a module of pure functions over plain values (no index, no model)."""
