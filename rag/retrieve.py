"""Hybrid retrieval: BM25 and dense candidates from the store, fused (rag.fusion), reposted
copies collapsed.

Fusion function, weights and depth are settings because the best mix is corpus-dependent
(`policyqa eval-tune` chooses them on questions CI never asks; Settings says which won).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from index.search import ScoredChunk, SearchFilter
from index.text.script import to_simplified
from index.text.similarity import bigram_jaccard
from index.types import Chunk
from core.settings import Settings
from rag.fusion import FusionConfig, fuse
from rag.types import RetrievedChunk

Candidates = dict[str, list[ScoredChunk]]  # retriever name -> its hits, best first


class HybridRetriever(BaseRetriever):
    """A ``rag.types.Retriever``, and a LangChain retriever for use in other chains.

    ``store`` is an ``index.search.ChunkSearch`` (index.store.ChunkStore, or a fake in tests);
    ``mode`` empty means ``settings.retriever``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Any  # ChunkSearch; a Protocol pydantic cannot check
    settings: Settings
    mode: Literal["", "hybrid", "bm25", "dense"] = ""
    _reranker: Any = PrivateAttr(default=None)

    def retrieve(self, question: str, search_filter: SearchFilter | None = None, k: int | None = None) -> list[RetrievedChunk]:
        query = to_simplified(question)
        hits = fuse_candidates(self.candidates(query, search_filter), fusion_config(self.settings))
        if self.settings.reranker:
            hits = self._rerank(query, hits)
        return hits[: k or self.settings.top_k]

    def candidates(self, query: str, search_filter: SearchFilter | None = None) -> Candidates:
        """Each retriever's best ``settings.candidates`` chunks for a simplified query."""
        mode = self.mode or self.settings.retriever
        n = self.settings.candidates
        found: Candidates = {}
        if mode in ("hybrid", "bm25"):
            found["bm25"] = self.store.search_bm25(query, n, search_filter)
        if mode in ("hybrid", "dense"):
            found["dense"] = self.store.search_dense(query, n, search_filter)
        return found

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [as_document(hit) for hit in self.retrieve(query)]

    def _rerank(self, query: str, hits: list[RetrievedChunk]) -> list[RetrievedChunk]:
        if self._reranker is None:
            from sentence_transformers import CrossEncoder  # only when a reranker is configured

            self._reranker = CrossEncoder(self.settings.reranker, device="cpu")
        scores = self._reranker.predict([(query, h.chunk.search_text) for h in hits])
        rescored = [RetrievedChunk(h.chunk, float(s), h.ranks, h.scores) for h, s in zip(hits, scores)]
        return sorted(rescored, key=lambda h: h.score, reverse=True)


def as_document(hit: RetrievedChunk) -> Document:
    """A hit as LangChain sees one: the passage text, the chunk's fields and scores in metadata."""
    chunk = hit.chunk
    metadata = {
        "chunk_id": chunk.chunk_id, "doc_id": chunk.doc_id, "title": chunk.title, "date": chunk.date,
        "source": chunk.source, "path": chunk.path, "start": chunk.start, "end": chunk.end,
        "score": hit.score, "ranks": dict(hit.ranks),
    }  # fmt: skip
    return Document(page_content=chunk.text, metadata=metadata, id=chunk.chunk_id)


def fusion_config(settings: Settings) -> FusionConfig:
    return FusionConfig(settings.fusion, settings.bm25_weight, settings.dense_weight, settings.rrf_k)


def fuse_candidates(candidates: Mapping[str, Sequence[ScoredChunk]], config: FusionConfig) -> list[RetrievedChunk]:
    """One ranking of every candidate, reposted copies of one passage collapsed to the best;
    each hit keeps every retriever's own score for it (answerability reads them)."""
    chunks: dict[str, Chunk] = {}
    scores: dict[str, dict[str, float]] = {}
    for name, hits in candidates.items():
        for h in hits:
            chunks[h.chunk.chunk_id] = h.chunk
            scores.setdefault(h.chunk.chunk_id, {}).setdefault(name, h.score)
    ranked = {name: [(h.chunk.chunk_id, h.score) for h in hits] for name, hits in candidates.items()}
    fused = fuse(ranked, config)
    return _collapse_copies([RetrievedChunk(chunks[f.chunk_id], f.score, f.ranks, scores[f.chunk_id]) for f in fused])


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
