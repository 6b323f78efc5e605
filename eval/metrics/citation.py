"""Whether answers cite what holds the answer (ALCE-style precision and recall), judged two ways,
and how often the citation checker found a number no cited passage supports.

Chunk level (``chunk_cite_*``): the whole cited chunk, 200-500 characters, holds a gold answer;
generous, as a chunk often holds the answer next to the sentence actually used. Quote level
(``quote_*``): the sentence(s) the answer took from the chunk (the citation's ``quote``) hold it;
an empty quote supports nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from eval.metrics.text import contains_any
from rag.citations import UNSUPPORTED_NUMBER


def citation_precision(cited_texts: Sequence[Sequence[str]], golds: Sequence[Sequence[str]]) -> float | None:
    """Share of all citations, over the questions given, whose text holds a gold answer."""
    verdicts = [contains_any(text, list(g)) for texts, g in zip(cited_texts, golds, strict=True) for text in texts]
    return sum(verdicts) / len(verdicts) if verdicts else None


def citation_recall(cited_texts: Sequence[Sequence[str]], golds: Sequence[Sequence[str]]) -> float | None:
    """Share of the questions given citing at least one text that holds a gold answer."""
    if not cited_texts:
        return None
    cites_gold = [
        any(contains_any(text, list(g)) for text in texts) for texts, g in zip(cited_texts, golds, strict=True)
    ]
    return sum(cites_gold) / len(cites_gold)


def quote_precision(quotes: Sequence[Sequence[str]], golds: Sequence[Sequence[str]]) -> float | None:
    """Share of all citations whose quote holds a gold answer (an empty quote never does)."""
    return citation_precision(quotes, golds)


def quote_recall(quotes: Sequence[Sequence[str]], golds: Sequence[Sequence[str]]) -> float | None:
    """Share of the questions given (answerable, answered) with a cited quote that holds a gold answer."""
    return citation_recall(quotes, golds)


def unsupported_number_rate(warnings: Sequence[Sequence[str]]) -> float | None:
    """Share of the answers given whose warnings include an unsupported number."""
    if not warnings:
        return None
    flagged = [any(w.startswith(UNSUPPORTED_NUMBER) for w in ws) for ws in warnings]
    return sum(flagged) / len(flagged)
