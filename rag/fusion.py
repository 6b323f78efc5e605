"""Fusing the BM25 and dense candidate lists into one ranking.

Two fusion functions, chosen by setting, because which wins is corpus-dependent and has to be
measured (`policyqa eval-tune`): weighted reciprocal rank fusion reads only ranks; the convex
combination reads min-max normalised scores, so a clear BM25 winner stays ahead of a dense
near-tie (Bruch et al. 2023, "An Analysis of Fusion Functions for Hybrid Retrieval").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Fusion = Literal["rrf", "convex"]
RankedLists = Mapping[str, Sequence[tuple[str, float]]]  # retriever name -> (chunk id, score), best first


@dataclass(frozen=True)
class FusionConfig:
    """No defaults: the configured values live in Settings, and a second set here would disagree."""

    method: Fusion
    bm25_weight: float
    dense_weight: float
    rrf_k: int  # read by rrf only

    def weight(self, retriever: str) -> float:
        return {"bm25": self.bm25_weight, "dense": self.dense_weight}[retriever]


@dataclass(frozen=True)
class Fused:
    chunk_id: str
    score: float
    ranks: dict[str, int]  # retriever name -> 1-based rank in its own list


def fuse(candidates: RankedLists, config: FusionConfig) -> list[Fused]:
    """One list, best first; ties keep the order in which chunks were first seen."""
    scores: dict[str, float] = {}
    ranks: dict[str, dict[str, int]] = {}
    for name, hits in candidates.items():
        contribution = _rrf(hits, config.rrf_k) if config.method == "rrf" else _min_max(hits)
        for rank, ((cid, _), value) in enumerate(zip(hits, contribution), start=1):
            scores[cid] = scores.get(cid, 0.0) + config.weight(name) * value
            ranks.setdefault(cid, {})[name] = rank
    order = sorted(scores, key=scores.get, reverse=True)
    return [Fused(cid, scores[cid], ranks[cid]) for cid in order]


def _rrf(hits: Sequence[tuple[str, float]], k: int) -> list[float]:
    return [1 / (k + rank) for rank in range(1, len(hits) + 1)]


def _min_max(hits: Sequence[tuple[str, float]]) -> list[float]:
    """Scores mapped to [0, 1] within the list; a list of equal scores counts fully."""
    values = [score for _, score in hits]
    if not values:
        return []
    low, high = min(values), max(values)
    return [(v - low) / (high - low) if high > low else 1.0 for v in values]
