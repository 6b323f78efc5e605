"""The nouns of answering (a retrieved Chunk, the Citation it becomes, the Answer) and the
contracts of its parts: a Retriever finds chunks, a Generator drafts the answer from them, a
Rephraser makes a follow-up standalone. Fakes in tests implement the same protocols."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol, runtime_checkable

from index.types import Chunk, Provenance
from index.search import SearchFilter
from rag.question import QuestionAnalysis


@dataclass(frozen=True)
class RetrievedChunk:
    """A chunk found for a question, with its fused score, and its rank (1-based) and own score
    per retriever that found it."""

    chunk: Chunk
    score: float
    ranks: dict[str, int] = field(default_factory=dict)  # e.g. {"bm25": 1, "dense": 4}
    scores: dict[str, float] = field(default_factory=dict)  # e.g. {"bm25": 12.3, "dense": 0.86}


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
    provenance: Provenance | None = None  # pages (and OCR confidence) of a chunk of a PDF or scan

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
            provenance=_quoted_pages(chunk, quote),
        )


def quote_spans(text: str, quote: str) -> list[tuple[int, int]]:
    """Where the quoted sentences (joined by newlines) sit in ``text``, merged and in order."""
    spans = []
    for sentence in filter(None, (s.strip() for s in quote.split("\n"))):
        at = text.find(sentence)
        if at >= 0:
            spans.append((at, at + len(sentence)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _quoted_pages(chunk: Chunk, quote: str) -> Provenance | None:
    """The chunk's provenance narrowed to the pages its quoted sentences are on, so a citation names them."""
    found = chunk.provenance
    spans = quote_spans(chunk.text, quote)
    if found is None or not spans:
        return found
    return found.narrowed(spans[0][0], spans[-1][1])


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
    short_answer: str = ""  # the asked fact alone, verbatim from the lead sentence; "" when none

    @property
    def shown(self) -> list[Citation]:
        """The passages to list with the answer: its citations, or the nearest passages of a refusal."""
        return self.nearest if self.refused else self.citations

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Draft:
    """A generated answer before its citations are checked."""

    text: str
    quotes: dict[int, str] = field(default_factory=dict)  # hit number -> the sentence(s) taken from it
    short_answer: str = ""  # the asked fact as a span copied from the lead sentence; "" when none


@runtime_checkable
class Retriever(Protocol):
    def retrieve(
        self, question: str, search_filter: SearchFilter | None = None, k: int | None = None
    ) -> list[RetrievedChunk]:
        """The best ``k`` chunks for the question (the configured number when None), best first."""
        ...


@runtime_checkable
class Generator(Protocol):
    def stream(self, question: QuestionAnalysis, hits: Sequence[RetrievedChunk]) -> Iterator[str | Draft]:
        """Pieces of answer text as they are made, then the whole Draft, last."""
        ...

    def generate(self, question: QuestionAnalysis, hits: Sequence[RetrievedChunk]) -> Draft:
        """The whole Draft at once."""
        ...


@runtime_checkable
class Rephraser(Protocol):
    def standalone(self, question: str, history: Sequence[str]) -> str:
        """The question made understandable without the earlier ``history`` (oldest first)."""
        ...
