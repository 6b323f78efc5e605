"""Cut one cleaned article into chunks of whole sentences, each knowing its section.

The rules, for Chinese policy articles:

* Paragraphs are the lines of ``page_content``; sentences end as ``index.text.sentences`` says
  (。！？；… and closing quotes after them). A sentence ending in ： goes on.
* A heading is a short line (at most ``HEADING_MAX_CHARS``) that does not end a sentence,
  e.g. ``“三个强化”促进治理效能新提升`` or ``●强化“头雁”效应``. Headings are not chunk
  text: a chunk never crosses one, and carries the heading path above it in ``section``.
* Section path: plain headings stacked with no body between them form one path
  (``减负强能 / 让基层党组织一心为民呼``); a later plain heading starts a new path. Headings
  opened by a marker (●, ■, 一、, （一）, 1. …) nest below it, one level per marker
  style, and a marker seen again replaces its level and everything below it:
  ``“三个强化”促进治理效能新提升 / ●强化“头雁”效应``.
* A short unpunctuated line is body, not a heading, when nothing would sit under it:
  after the last body line, before a plain heading that would replace it (a ■ byline above
  a headline), or next to a line with the same marker (a list of short items).
* The first line is skipped when it equals the metadata title.
* Chunks grow sentence by sentence up to ``max_chars``; past ``min_chars`` they also stop
  at a paragraph end, unless the rest of the section fits. A sentence longer than ``max_chars`` is a chunk of its own; only one
  longer than twice that is cut, at a comma if possible. The next chunk of a section starts
  with the last sentence of the previous one, unless the two sentences would not fit or the
  previous chunk is that one sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.documents import Document

from index.text.script import to_simplified
from index.text.sentences import SENTENCE_END, ends_sentence
from index.types import Chunk

# Not RecursiveCharacterTextSplitter: it cuts long sentences at ，, overlaps by characters, ignores headings.

HEADING_MAX_CHARS = 40

_TRIMMED_LINE = re.compile(r"\S(?:[^\n]*\S)?")
# Marker styles of numbered or bulleted headings; the group that matches names the style.
_MARKER = re.compile(
    r"""(?P<bullet>[●○■□◆◇▲△★☆◎•▪►※])
      | (?P<hanzi>[一二三四五六七八九十]+、)
      | (?P<paren_hanzi>[（(][一二三四五六七八九十]+[）)])
      | (?P<number>\d+[、.．](?!\d))
      | (?P<paren_number>[（(]\d+[）)])
      | (?P<ordinal>第[一二三四五六七八九十百零\d]+[章节部分篇条])""",
    re.VERBOSE,
)
_CLAUSE_BREAKS = "，,"


@dataclass(frozen=True)
class _Unit:
    """A sentence, or a piece of an over-long one, as a span of the article."""

    start: int
    end: int
    ends_paragraph: bool


@dataclass
class _Section:
    path: str
    units: list[_Unit] = field(default_factory=list)


@dataclass
class _Outline:
    """The heading path above the current line."""

    plain: list[str] = field(default_factory=list)
    marked: list[tuple[str, str]] = field(default_factory=list)  # (marker style, heading)
    after_plain: bool = False

    def add(self, heading: str) -> None:
        style = _marker_style(heading)
        if style is None:
            self.plain = [*self.plain, heading] if self.after_plain else [heading]
            self.marked = []
        else:
            styles = [s for s, _ in self.marked]
            if style in styles:
                del self.marked[styles.index(style) :]
            self.marked.append((style, heading))
        self.after_plain = style is None

    def body(self) -> None:
        self.after_plain = False

    @property
    def path(self) -> str:
        return " / ".join([*self.plain, *(heading for _, heading in self.marked)])


def chunk_document(doc: Document, min_chars: int = 200, max_chars: int = 500) -> list[Chunk]:
    """Chunks of ``doc`` in reading order; ``chunk.text == doc.page_content[chunk.start:chunk.end]``."""
    if not 0 < min_chars <= max_chars:
        raise ValueError(f"need 0 < min_chars <= max_chars, got {min_chars}, {max_chars}")
    meta = doc.metadata
    if not meta.get("doc_id"):
        raise ValueError("document metadata has no doc_id")
    text = doc.page_content
    chunks = []
    for section in _sections(text, meta.get("title") or "", max_chars):
        for first, last in _pack(section.units, min_chars, max_chars):
            start, end = section.units[first].start, section.units[last].end
            chunks.append(_make_chunk(meta, text[start:end], start, end, section.path))
    return chunks


def drop_repeats(chunks: list[Chunk]) -> list[Chunk]:
    """The chunks of one article without those that repeat an earlier one.

    Two chunks repeat each other when they hold the same character bigrams: identical text, or
    windows over one phrase said again and again without a stop (each window, whatever its
    phase, holds every bigram of the phrase), which would otherwise flood the index.
    """
    seen: set[frozenset[str]] = set()
    kept = []
    for chunk in chunks:
        text = chunk.search_text
        key = frozenset(text[i : i + 2] for i in range(max(1, len(text) - 1)))
        if key not in seen:
            seen.add(key)
            kept.append(chunk)
    return kept


def _make_chunk(meta: dict[str, Any], text: str, start: int, end: int, section: str) -> Chunk:
    return Chunk(
        doc_id=meta["doc_id"],
        text=text,
        search_text=to_simplified(text),
        start=start,
        end=end,
        title=meta.get("title") or "",
        section=section,
        date=meta.get("date"),
        source=meta.get("source"),
        path=str(meta.get("path") or ""),
        places=tuple(meta.get("places") or ()),
    )


def _sections(text: str, title: str, max_chars: int) -> list[_Section]:
    paragraphs = [match.span() for match in _TRIMMED_LINE.finditer(text)]
    if paragraphs and _squash(text[slice(*paragraphs[0])]) == _squash(title):
        paragraphs = paragraphs[1:]
    lines = [text[start:end] for start, end in paragraphs]
    outline = _Outline()
    sections = [_Section("")]
    for (start, end), line, is_heading in zip(paragraphs, lines, _heading_flags(lines), strict=True):
        if is_heading:
            outline.add(line)
            sections.append(_Section(outline.path))
        else:
            outline.body()
            sections[-1].units.extend(_units(text, start, end, max_chars))
    return [section for section in sections if section.units]


def _squash(line: str) -> str:
    return "".join(line.split())


def _heading_flags(lines: list[str]) -> list[bool]:
    """Which lines head a section: heading-like lines that something sits under (module doc)."""
    like = [len(line) <= HEADING_MAX_CHARS and not ends_sentence(line) for line in lines]
    styles = [_marker_style(line) if heading else None for line, heading in zip(lines, like, strict=True)]
    last_body = max((index for index, heading in enumerate(like) if not heading), default=-1)

    def heads(index: int) -> bool:
        if not like[index] or index > last_body:
            return False
        style, following = styles[index], index + 1
        if style is None:
            return True
        if index > 0 and like[index - 1] and styles[index - 1] == style:
            return False  # an item of a list of short lines
        if not like[following]:
            return True
        return styles[following] is not None and styles[following] != style

    return [heads(index) for index in range(len(lines))]


def _marker_style(line: str) -> str | None:
    match = _MARKER.match(line)
    if match is None:
        return None
    # Different bullet glyphs are different levels; other markers are told apart by form.
    return match.group() if match.lastgroup == "bullet" else match.lastgroup


def _units(text: str, start: int, end: int, max_chars: int) -> list[_Unit]:
    """Sentence units of one paragraph; the last one is marked as ending the paragraph."""
    spans = [
        piece
        for sentence in _sentence_spans(text, start, end)
        for piece in _cut_long(text, *sentence, max_chars)
    ]
    return [_Unit(s, e, ends_paragraph=(e == end)) for s, e in spans]


def _sentence_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    for match in SENTENCE_END.finditer(text, start, end):
        yield start, match.end()
        start = _skip_spaces(text, match.end(), end)
    if start < end:
        yield start, end


def _cut_long(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    """Yield the sentence whole, unless it is over twice ``max_chars``: then pieces of at most
    ``max_chars``, cut after the last comma that fits, else after a space, else anywhere."""
    if end - start <= 2 * max_chars:
        yield start, end
        return
    while end - start > max_chars:
        window = text[start : start + max_chars]
        cut = max(window.rfind(mark) for mark in _CLAUSE_BREAKS)
        if cut <= 0:
            cut = max(window.rfind(" "), window.rfind("\u3000"))
        cut = start + cut + 1 if cut > 0 else start + max_chars
        yield start, cut
        start = _skip_spaces(text, cut, end)
    if start < end:
        yield start, end


def _skip_spaces(text: str, position: int, end: int) -> int:
    while position < end and text[position].isspace():
        position += 1
    return position


def _pack(units: list[_Unit], min_chars: int, max_chars: int) -> list[tuple[int, int]]:
    """Group units into chunks as (first, last) unit indexes, with one unit of overlap."""
    groups: list[tuple[int, int]] = []
    first = fresh = 0  # first unit of the chunk; first unit not yet in any chunk
    while fresh < len(units):
        last = fresh
        while last + 1 < len(units) and not _full(units, first, last, min_chars, max_chars):
            last += 1
        groups.append((first, last))
        fresh = last + 1
        # A one-sentence chunk is not repeated: the next chunk would contain all of it.
        overlap = last > first and fresh < len(units) and units[fresh].end - units[last].start <= max_chars
        first = last if overlap else fresh
    return groups


def _full(units: list[_Unit], first: int, last: int, min_chars: int, max_chars: int) -> bool:
    """Whether the chunk units[first..last] should stop growing."""
    if units[last + 1].end - units[first].start > max_chars:
        return True
    if units[-1].end - units[first].start <= max_chars:
        return False  # the rest of the section fits: no tiny tail chunk
    return units[last].ends_paragraph and units[last].end - units[first].start >= min_chars
