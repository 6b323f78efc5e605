"""Hybrid retrieval: BM25 and dense candidates, fused (rag.fusion), reposted copies collapsed.

Fusion function, weights and depth are settings because the best mix is corpus-dependent: on
the seed articles equal-weight fusion beat either retriever, on larger news sets BM25 alone won.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from index.chunk import Chunk
from index.store import ChunkStore
from index.text.dates import date_bound
from index.text.script import to_simplified
from index.text.similarity import bigram_jaccard
from policyqa.settings import Settings
from rag.fusion import Candidates, Fused, FusionConfig, fuse
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
            terms.append({"date_int": {"$gte": date_bound(self.date_from)}})
        if self.date_to:
            terms.append({"date_int": {"$lte": date_bound(self.date_to, upper=True)}})
        if not terms:
            return None
        return terms[0] if len(terms) == 1 else {"$and": terms}

    def is_empty(self) -> bool:
        return self.where() is None and not self.places


@dataclass
class HybridRetriever:
    store: ChunkStore
    settings: Settings
    mode: str = ""  # "hybrid", "bm25" or "dense"; empty means settings.retriever
    _reranker: object | None = field(default=None, init=False, repr=False)

    def retrieve(self, question: str, search_filter: SearchFilter | None = None, k: int | None = None) -> list[RetrievedChunk]:
        query = to_simplified(question)
        fused = fuse(self.candidates(query, search_filter), fusion_config(self.settings))
        hits = resolve(fused, {c.chunk_id: c for c in self.store.get([f.chunk_id for f in fused])})
        if self.settings.reranker:
            hits = self._rerank(query, hits)
        return hits[: k or self.settings.top_k]

    def candidates(self, query: str, search_filter: SearchFilter | None = None) -> Candidates:
        """Each retriever's best ``settings.candidates`` (chunk id, score) for a simplified query."""
        allowed = self._allowed_ids(search_filter)
        if allowed is not None and not allowed:
            return {}
        mode = self.mode or self.settings.retriever
        found: dict[str, list[tuple[str, float]]] = {}
        if mode in ("hybrid", "bm25"):
            found["bm25"] = self.store.bm25.search(query, self.settings.candidates, allowed)
        if mode in ("hybrid", "dense"):
            found["dense"] = self._dense(query, allowed)
        return found

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

    def _dense(self, query: str, allowed: set[str] | None) -> list[tuple[str, float]]:
        extra = {"ids": sorted(allowed)} if allowed is not None else {}
        k = min(self.settings.candidates, len(allowed)) if allowed is not None else self.settings.candidates
        pairs = self.store.vectors.similarity_search_with_score(query, k=k, **extra)
        return [(doc.metadata["chunk_id"], 1.0 - distance) for doc, distance in pairs]  # cosine distance

    def _rerank(self, query: str, hits: list[RetrievedChunk]) -> list[RetrievedChunk]:
        if self._reranker is None:
            from sentence_transformers import CrossEncoder  # only when a reranker is configured

            self._reranker = CrossEncoder(self.settings.reranker, device="cpu")
        scores = self._reranker.predict([(query, h.chunk.search_text) for h in hits])
        rescored = [RetrievedChunk(h.chunk, float(s), h.ranks) for h, s in zip(hits, scores)]
        return sorted(rescored, key=lambda h: h.score, reverse=True)


def fusion_config(settings: Settings) -> FusionConfig:
    return FusionConfig(settings.fusion, settings.bm25_weight, settings.dense_weight, settings.rrf_k)


def resolve(fused: list[Fused], chunks: Mapping[str, Chunk]) -> list[RetrievedChunk]:
    """Fused ids as stored chunks, reposted copies of one passage collapsed to the best."""
    return _collapse_copies([RetrievedChunk(chunks[f.chunk_id], f.score, f.ranks) for f in fused if f.chunk_id in chunks])


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
