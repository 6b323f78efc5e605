"""How far one passage repeats another."""

from __future__ import annotations


def bigram_jaccard(a: str, b: str) -> float:
    """Jaccard overlap of two texts' character bigrams: how far one passage repeats another."""
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)}
    return len(grams_a & grams_b) / len(grams_a | grams_b) if grams_a and grams_b else 0.0
