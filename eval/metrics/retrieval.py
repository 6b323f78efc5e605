"""Document-level retrieval quality of a ranked chunk list.

Ranks are chunk ranks: hit@5 asks whether one of the five chunks the answerer reads comes
from a gold document. Each chunk stands for its doc_id and, for a near-copy, the doc_id of
the article it copies (both are in its set), so finding a repost of the gold article counts.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

Ranked = Sequence[Collection[str]]  # per retrieved chunk, best first: the doc ids it counts for
KS = (1, 3, 5, 10)
RECALL_KS = (5, 10)


def first_hit(ranked: Ranked, gold: Collection[str]) -> int | None:
    """1-based rank of the first chunk from a gold document, or None."""
    return next((rank for rank, docs in enumerate(ranked, start=1) if set(docs) & set(gold)), None)


def hit_at(ranked: Ranked, gold: Collection[str], k: int) -> bool:
    rank = first_hit(ranked, gold)
    return rank is not None and rank <= k


def reciprocal_rank(ranked: Ranked, gold: Collection[str]) -> float:
    rank = first_hit(ranked, gold)
    return 1 / rank if rank else 0.0


def recall_at(ranked: Ranked, gold: Collection[str], k: int) -> float:
    """Share of the gold documents with a chunk in the top k (multi-document questions need all)."""
    found = set().union(*ranked[:k])
    return len(set(gold) & found) / len(set(gold)) if gold else 0.0


def retrieval_metrics(cases: Sequence[tuple[Ranked, Collection[str]]]) -> dict[str, float | None]:
    """Means over (ranked chunks, gold doc ids) of the questions that have gold documents."""
    names = [f"hit@{k}" for k in KS] + ["mrr"] + [f"recall@{k}" for k in RECALL_KS]
    if not cases:
        return dict.fromkeys(names)
    n = len(cases)
    metrics: dict[str, float | None] = {f"hit@{k}": sum(hit_at(r, g, k) for r, g in cases) / n for k in KS}
    metrics["mrr"] = sum(reciprocal_rank(r, g) for r, g in cases) / n
    metrics.update({f"recall@{k}": sum(recall_at(r, g, k) for r, g in cases) / n for k in RECALL_KS})
    return metrics
