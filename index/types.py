"""The nouns of ingest: a SourceText read from a file, and the Chunk that gets stored.

Between them sits a LangChain ``Document`` (one article): ``page_content`` is the cleaned
article in its original script and ``metadata`` holds what ``index.documents`` attaches.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from index.text.script import to_simplified


@dataclass(frozen=True)
class PageLine:
    """One line of a page as read: from a PDF's text layer (no confidence) or by OCR."""

    text: str
    confidence: float | None = None  # the OCR recogniser's score, 0..1
    starts_paragraph: bool = True


@dataclass(frozen=True)
class Page:
    number: int  # 1-based, as printed by a PDF viewer
    lines: tuple[PageLine, ...]
    ocr: bool = False

    @property
    def text(self) -> str:
        """The lines, a paragraph per line of text; a paragraph's lines are joined without a
        space, as Chinese is written, unless a space must part two Latin words or numbers."""
        out: list[str] = []
        for line in self.lines:
            if out and not line.starts_paragraph:
                glue = " " if _latin(out[-1][-1]) and _latin(line.text[0]) else ""
                out[-1] += glue + line.text
            else:
                out.append(line.text)
        return "\n".join(out)


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


@dataclass(frozen=True)
class SourceText:
    """Decoded text of one file, or of one JSON Lines record, before cleaning."""

    path: Path
    text: str
    encoding: str
    doc_id: str | None = None  # given by JSON Lines records; files get one at ingest
    title: str | None = None
    date: str | None = None
    source: str | None = None
    notes: tuple[str, ...] = ()  # what loading had to repair or skip (NUL bytes, broken lines)
    pages: tuple[Page, ...] = ()  # of a paged file (PDF, image); ``text`` is their lines in order


@dataclass(frozen=True)
class Provenance:
    """Where a chunk sits in a paged file and, for text read by OCR, how sure the OCR was."""

    page: int
    last_page: int
    ocr_confidence: float | None = None  # mean over its OCR'd characters; None for a text layer
    doubtful: tuple[str, ...] = ()  # its OCR lines scored under the low-confidence threshold
    breaks: tuple[tuple[int, int], ...] = ()  # (offset in the chunk's text, page) where a later page begins

    @property
    def pages(self) -> str:
        return str(self.page) if self.page == self.last_page else f"{self.page}-{self.last_page}"

    def narrowed(self, start: int, end: int) -> Provenance:
        """The pages of the part ``[start, end)`` of the chunk's text, such as the sentence an answer quotes."""

        def page_at(position: int) -> int:
            return next((page for offset, page in reversed(self.breaks) if offset <= position), self.page)

        inside = tuple((offset - start, page) for offset, page in self.breaks if start < offset < end)
        return replace(self, page=page_at(start), last_page=page_at(max(start, end - 1)), breaks=inside)


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one article, with where it sits in the cleaned article."""

    doc_id: str
    text: str  # original script, shown to people
    search_text: str  # OpenCC simplified copy, used for BM25 and embeddings
    start: int  # character span of ``text`` in the cleaned article
    end: int
    title: str
    section: str = ""
    date: str | None = None
    source: str | None = None
    path: str = ""
    places: tuple[str, ...] = field(default_factory=tuple)
    canonical_doc_id: str | None = None  # set when the article is a near-copy of another
    provenance: Provenance | None = None  # set for chunks of paged files

    @property
    def story_id(self) -> str:
        """The article this text first appeared as: copies of one story share it."""
        return self.canonical_doc_id or self.doc_id

    @cached_property
    def match_text(self) -> str:
        """Simplified, lower-cased title and text, where a question's terms are looked up;
        cached, as every question looks it up for each of its hits several times."""
        return f"{to_simplified(self.title)}\n{self.search_text}".lower()

    @property
    def chunk_id(self) -> str:
        digest = hashlib.sha1(f"{self.doc_id}|{self.start}|{self.text}".encode()).hexdigest()
        return f"{self.doc_id}:{digest[:12]}"


def doc_id_of(chunk_id: str) -> str:
    """The article a chunk id names; split at the last colon, as a doc_id may hold colons but a digest cannot."""
    return chunk_id.rsplit(":", 1)[0]
