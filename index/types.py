"""The nouns of ingest: a SourceText read from a file, and the Chunk that gets stored.

Between them sits a LangChain ``Document`` (one article): ``page_content`` is the cleaned
article in its original script and ``metadata`` holds what ``index.documents`` attaches.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from index.text.script import to_simplified


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
