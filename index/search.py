"""What a search asks of the store and what it gets back, independent of the storage engine.

The retriever in rag/ speaks only these types; how a filter becomes a Chroma ``where`` clause,
or how places are stored, stays in index/store.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from index.types import Chunk


@dataclass(frozen=True)
class SearchFilter:
    """Metadata limits; empty fields do not filter. Dates are ISO ``yyyy[-mm[-dd]]``."""

    doc_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    places: tuple[str, ...] = ()  # a chunk matches if any of its places contains one of these
    date_from: str | None = None
    date_to: str | None = None
    # Articles left out, with every near-copy of them: asking a question with its source removed
    # is how evaluation makes questions the library cannot answer.
    exclude_doc_ids: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (self.limits() or self.exclude_doc_ids)

    def limits(self) -> bool:
        """Whether anything but exclusions narrows the search."""
        return bool(self.doc_ids or self.sources or self.places or self.date_from or self.date_to)


@dataclass(frozen=True)
class ScoredChunk:
    """One search result: the stored chunk and the searcher's own score (higher is better)."""

    chunk: Chunk
    score: float


class ChunkSearch(Protocol):
    """What a retriever calls: the store's two searches, each one round trip, chunks included."""

    def search_bm25(self, query: str, k: int, search_filter: SearchFilter | None = None) -> list[ScoredChunk]: ...

    def search_dense(self, query: str, k: int, search_filter: SearchFilter | None = None) -> list[ScoredChunk]: ...


class ChunkSource(Protocol):
    """What reads whole articles back, e.g. a study pack on chosen articles."""

    def chunks_of(self, doc_ids: list[str]) -> list[Chunk]: ...
