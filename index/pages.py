"""Pages of a paged file (PDF, image) through cleaning: where each of their lines landed in a
cleaned article, so that a chunk can name its pages and, for OCR'd text, how sure the OCR was.

Cleaning drops and rewrites lines, so lines are found again rather than counted: in order, by
their letters and digits alone (punctuation and spaces are what cleaning changes), each looked
for a short way past the line found before it, so a line the cleaner dropped cannot pull the
search far ahead. Article metadata keeps ``page_starts`` ([offset, page] of each page's first
found line) and ``ocr_lines`` ([start, end, confidence] of every OCR'd line found).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from index.types import Page, Provenance

_CLOSERS = frozenset("。，、；：？！…”’）》」』】%％.,;:?!)")
_LOOKAHEAD = 100  # letters and digits a line may sit past the one before (a dropped line or two)


def page_metadata(body: str, pages: Sequence[Page]) -> dict:
    """``page_starts`` and ``ocr_lines`` of one cleaned article; empty for a file without pages."""
    if not pages:
        return {}
    keys, offsets = _letters(body)
    starts: dict[int, int] = {}
    ocr_lines = []
    cursor = 0
    for page in pages:
        for line in page.lines:
            key, _ = _letters(line.text)
            at = keys.find(key, cursor, cursor + len(key) + _LOOKAHEAD) if key else -1
            if at < 0:
                continue
            start, end = offsets[at], _past_closers(body, offsets[at + len(key) - 1] + 1)
            cursor = at + len(key)
            starts.setdefault(page.number, start)
            if line.confidence is not None:
                ocr_lines.append([start, end, line.confidence])
    return {"page_starts": [[offset, number] for number, offset in starts.items()], "ocr_lines": ocr_lines}


def _past_closers(text: str, end: int) -> int:
    """A line's end moved over the marks that close it (。”）), which are not letters."""
    while end < len(text) and text[end] in _CLOSERS:
        end += 1
    return end


def _letters(text: str) -> tuple[str, list[int]]:
    """The letters and digits of ``text`` (Han characters are letters) and where each sits in it."""
    offsets = [i for i, char in enumerate(text) if char.isalnum()]
    return "".join(text[i] for i in offsets), offsets


def ocr_summary(metadata: dict, low_confidence: float) -> dict | None:
    """How much of an article OCR read and how well: for the catalog and the library."""
    lines = metadata.get("ocr_lines")
    if not lines:
        return None
    return {
        "confidence": round(_weighted([(end - start, c) for start, end, c in lines]), 3),
        "doubtful_lines": sum(1 for *_, c in lines if c < low_confidence),
    }


def provenance(metadata: dict, text: str, start: int, low_confidence: float) -> Provenance | None:
    """The pages and OCR confidence of the chunk ``text`` at ``start`` of the article; None without pages."""
    page_starts = metadata.get("page_starts")
    if not page_starts:
        return None
    end = start + len(text)
    offsets = [offset for offset, _ in page_starts]

    def page_at(position: int) -> int:
        return page_starts[max(0, bisect_right(offsets, position) - 1)][1]

    lines = [(max(s, start), min(e, end), c) for s, e, c in metadata.get("ocr_lines", ()) if s < end and start < e]
    return Provenance(
        page=page_at(start),
        last_page=page_at(end - 1),
        ocr_confidence=round(_weighted([(e - s, c) for s, e, c in lines]), 3) if lines else None,
        doubtful=tuple(text[s - start : e - start] for s, e, c in lines if c < low_confidence),
        breaks=tuple((offset - start, page) for offset, page in page_starts if start < offset < end),
    )


def _weighted(pairs: list[tuple[int, float]]) -> float:
    total = sum(weight for weight, _ in pairs)
    return sum(weight * value for weight, value in pairs) / total if total else 0.0
