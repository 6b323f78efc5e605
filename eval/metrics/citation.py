"""Whether answers cite the passages that hold the answer (ALCE-style precision and recall),
and how often the citation checker found a number no cited passage supports."""

from __future__ import annotations

from collections.abc import Sequence

from eval.metrics.text import contains_any
from rag.citations import UNSUPPORTED_NUMBER


def citation_precision(cited_texts: Sequence[Sequence[str]], golds: Sequence[Sequence[str]]) -> float | None:
    """Share of all citations, over the questions given, whose chunk text holds a gold answer."""
    verdicts = [contains_any(text, list(g)) for texts, g in zip(cited_texts, golds, strict=True) for text in texts]
    return sum(verdicts) / len(verdicts) if verdicts else None


def citation_recall(cited_texts: Sequence[Sequence[str]], golds: Sequence[Sequence[str]]) -> float | None:
    """Share of the questions given (answerable and answered correctly) citing a gold-bearing chunk."""
    if not cited_texts:
        return None
    cites_gold = [
        any(contains_any(text, list(g)) for text in texts) for texts, g in zip(cited_texts, golds, strict=True)
    ]
    return sum(cites_gold) / len(cites_gold)


def unsupported_number_rate(warnings: Sequence[Sequence[str]]) -> float | None:
    """Share of the answers given whose warnings include an unsupported number."""
    if not warnings:
        return None
    flagged = [any(w.startswith(UNSUPPORTED_NUMBER) for w in ws) for ws in warnings]
    return sum(flagged) / len(flagged)
