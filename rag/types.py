"""The nouns of answering: a retrieved Chunk, the Citation it becomes, the Answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from index.types import Chunk


@dataclass(frozen=True)
class RetrievedChunk:
    """A chunk found for a question, with its fused score and rank per retriever (1-based)."""

    chunk: Chunk
    score: float
    ranks: dict[str, int] = field(default_factory=dict)  # e.g. {"bm25": 1, "dense": 4}


@dataclass(frozen=True)
class Citation:
    """Source ``n`` of an answer: the chunk, and the sentence(s) of it the answer used."""

    n: int
    doc_id: str
    chunk_id: str
    title: str
    date: str | None
    source: str | None
    path: str
    text: str  # the whole chunk, original script
    start: int  # span of the chunk in the cleaned article
    end: int
    quote: str = ""  # the sentence(s) of ``text`` the answer relies on, for highlighting

    @classmethod
    def of(cls, n: int, chunk: Chunk, quote: str = "") -> Citation:
        return cls(
            n=n,
            doc_id=chunk.doc_id,
            chunk_id=chunk.chunk_id,
            title=chunk.title,
            date=chunk.date,
            source=chunk.source,
            path=chunk.path,
            text=chunk.text,
            start=chunk.start,
            end=chunk.end,
            quote=quote,
        )


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    warnings: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    standalone_question: str = ""  # the question after follow-up resolution
    nearest: list[Citation] = field(default_factory=list)  # shown instead when refused

    def to_dict(self) -> dict:
        return asdict(self)
