"""Hybrid retrieval: BM25 and dense search, fused by weighted reciprocal rank fusion.

Weights and depth are settings because the best mix is corpus-dependent: on the seed
articles equal-weight fusion beat either retriever, on larger news sets BM25 alone won.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index.chunk import Chunk
from index.dedup import bigram_jaccard
from index.script import to_simplified
from index.store import ChunkStore
from policyqa.settings import Settings
from rag.types import RetrievedChunk


@dataclass(frozen=True)
class SearchFilter:
    """Metadata limits; empty fields do not filter. Dates are ISO ``yyyy-mm-dd``."""

    doc_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    places: tuple[str, ...] = ()  # a chunk matches if any of its places contains one of these
    date_from: str | None = None
    date_to: str | None = None

    def where(self) -> dict | None:
        """The part Chroma can apply itself, as a ``where`` clause."""
        terms: list[dict] = []
        if self.doc_ids:
            terms.append({"doc_id": {"$in": list(self.doc_ids)}})
        if self.sources:
            terms.append({"source": {"$in": list(self.sources)}})
        if self.date_from:
            terms.append({"date_int": {"$gte": _date_int(self.date_from)}})
        if self.date_to:
            terms.append({"date_int": {"$lte": _date_int(self.date_to)}})
        if not terms:
            return None
        return terms[0] if len(terms) == 1 else {"$and": terms}

    def is_empty(self) -> bool:
        return self.where() is None and not self.places


def _date_int(iso: str) -> int:
    return int(iso.replace("-", "")[:8].ljust(8, "0"))


@dataclass
class HybridRetriever:
    store: ChunkStore
    settings: Settings
    mode: str = ""  # "hybrid", "bm25" or "dense"; empty means settings.retriever
    _reranker: object | None = field(default=None, init=False, repr=False)

    def retrieve(self, question: str, search_filter: SearchFilter | None = None, k: int | None = None) -> list[RetrievedChunk]:
        query = to_simplified(question)
        allowed = self._allowed_ids(search_filter)
        if allowed is not None and not allowed:
            return []
        mode = self.mode or self.settings.retriever
        ranked: dict[str, list[str]] = {}
        if mode in ("hybrid", "bm25"):
            ranked["bm25"] = [cid for cid, _ in self.store.bm25.search(query, self.settings.candidates, allowed)]
        if mode in ("hybrid", "dense"):
            ranked["dense"] = self._dense(query, allowed)
        fused = self._fuse(ranked)
        hits = _collapse_copies(fused)
        if self.settings.reranker:
            hits = self._rerank(query, hits)
        return hits[: k or self.settings.top_k]

    def _allowed_ids(self, search_filter: SearchFilter | None) -> set[str] | None:
        if search_filter is None or search_filter.is_empty():
            return None
        found = self.store.vectors.get(where=search_filter.where(), include=["metadatas"])
        wanted = search_filter.places
        return {
            m["chunk_id"]
            for m in found["metadatas"]
            if not wanted or any(w in m.get("places", "") for w in wanted)
        }

    def _dense(self, query: str, allowed: set[str] | None) -> list[str]:
        extra = {"ids": sorted(allowed)} if allowed is not None else {}
        k = min(self.settings.candidates, len(allowed)) if allowed is not None else self.settings.candidates
        pairs = self.store.vectors.similarity_search_with_score(query, k=k, **extra)
        return [doc.metadata["chunk_id"] for doc, _ in pairs]

    def _fuse(self, ranked: dict[str, list[str]]) -> list[RetrievedChunk]:
        weights = {"bm25": self.settings.bm25_weight, "dense": self.settings.dense_weight}
        scores: dict[str, float] = {}
        ranks: dict[str, dict[str, int]] = {}
        for name, ids in ranked.items():
            for rank, cid in enumerate(ids, start=1):
                scores[cid] = scores.get(cid, 0.0) + weights[name] / (self.settings.rrf_k + rank)
                ranks.setdefault(cid, {})[name] = rank
        order = sorted(scores, key=scores.get, reverse=True)
        chunks = {c.chunk_id: c for c in self.store.get(order)}
        return [RetrievedChunk(chunks[c], scores[c], ranks[c]) for c in order if c in chunks]

    def _rerank(self, query: str, hits: list[RetrievedChunk]) -> list[RetrievedChunk]:
        if self._reranker is None:
            from sentence_transformers import CrossEncoder  # only when a reranker is configured

            self._reranker = CrossEncoder(self.settings.reranker, device="cpu")
        scores = self._reranker.predict([(query, h.chunk.search_text) for h in hits])
        rescored = [RetrievedChunk(h.chunk, float(s), h.ranks) for h, s in zip(hits, scores)]
        return sorted(rescored, key=lambda h: h.score, reverse=True)


def _collapse_copies(hits: list[RetrievedChunk], overlap: float = 0.6) -> list[RetrievedChunk]:
    """Keep the best of chunks that repeat one text from reposted copies of an article."""
    kept: list[RetrievedChunk] = []
    for hit in hits:
        if not any(_same_story(hit.chunk, k.chunk) and _repeats(hit.chunk, k.chunk, overlap) for k in kept):
            kept.append(hit)
    return kept


def _same_story(a: Chunk, b: Chunk) -> bool:
    return a.doc_id != b.doc_id and a.story_id == b.story_id


def _repeats(a: Chunk, b: Chunk, overlap: float) -> bool:
    return bigram_jaccard(a.search_text, b.search_text) >= overlap
