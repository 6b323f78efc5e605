"""Paired comparison of two retrievers on the same questions.

One question in 150 moves hit@5 by 0.007, so a difference between two columns of the table
says little alone: this counts the questions each retriever ranks better (by reciprocal rank
of the first gold document) and gives the two-sided sign test p-value of those counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb


def paired(fused: Sequence[float], alone: Sequence[float]) -> dict[str, float]:
    """Per-question scores of two runs over the same questions, in the same order."""
    if len(fused) != len(alone):
        raise ValueError(f"paired comparison needs the same questions: {len(fused)} scores against {len(alone)}")
    better = sum(f > a for f, a in zip(fused, alone))
    worse = sum(f < a for f, a in zip(fused, alone))
    return {"better": better, "worse": worse, "same": len(fused) - better - worse, "p": sign_test(better, worse)}


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test; ties were dropped before counting."""
    n = wins + losses
    tail = sum(comb(n, i) for i in range(min(wins, losses) + 1)) / 2**n
    return min(1.0, 2 * tail)
