"""OCR boxes of a document's pages -> lines in reading order, grouped into paragraphs, without
page furniture. The rules, for printed Chinese official documents and their photos:

* Skew: the boxes are turned back by the median slant of the long ones, so a page scanned a
  degree or two askew still has a clear gap between one line and the next.
* Furniture: in the top and bottom ``_BAND`` of a page, a page number (``— 3 —``, ``第3页``,
  ``3/12``) is dropped, and so is a line that recurs there (digits aside) on at least two pages
  and half of them: a running header or footer. A red header (``…文件``) occurs once and stays.
* Reading order (recursive XY-cut): a region is split at its widest vertical gap at least one
  line high wide, if the two sides run beside each other (columns, read left to right), else at
  its widest horizontal gap (top to bottom).
* Paragraphs: a line starts one when it opens a column, is indented, follows a line that stopped
  short of the column's right edge, or sits more than a line height below the one before.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from index.ocr.engine import TextBox
from index.types import Page, PageLine

_BAND = 0.08  # share of the page height at the top and at the bottom where furniture sits
_PAGE_NUMBER = re.compile(
    r"^[-—–－~～_·•\s]*(?:第\s*)?[\d一二三四五六七八九十]{1,4}\s*页?"
    r"(?:\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[-—–－~～_·•\s]*$"
)
# The recogniser reads the zero of a Chinese numeral date (二〇二三年) as a circle or a letter O.
_NUMERAL_ZERO = re.compile(r"(?<=[〇一二三四五六七八九十])[○O0oΟ](?=[〇○O0oΟ一二三四五六七八九十]*[年月日])")


@dataclass(frozen=True)
class _Line:
    text: str
    confidence: float
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(frozen=True)
class Scan:
    """What OCR found on one page: its number in the file, its boxes, its height in pixels."""

    number: int
    boxes: Sequence[TextBox]
    height: float


def lay_out(scans: Sequence[Scan]) -> list[Page]:
    """The scanned pages of one file as text: furniture is told apart across them all."""
    lines = [_straightened(scan.boxes) for scan in scans]
    furniture = _running_lines(lines, [scan.height for scan in scans])
    return [
        Page(scan.number, _paragraphs([line for line in page if id(line) not in furniture]), ocr=True)
        for scan, page in zip(scans, lines)
    ]


def _straightened(boxes: Sequence[TextBox]) -> list[_Line]:
    """The boxes as upright rectangles, turned by the page's skew."""
    slants = [
        math.atan2(b.corners[1][1] - b.corners[0][1], b.corners[1][0] - b.corners[0][0])
        for b in boxes
        if _width(b) > 4 * _height(b)
    ]
    angle = -statistics.median(slants) if slants else 0.0
    cos, sin = math.cos(angle), math.sin(angle)
    lines = []
    for box in boxes:
        xs = [x * cos - y * sin for x, y in box.corners]
        ys = [x * sin + y * cos for x, y in box.corners]
        text = _NUMERAL_ZERO.sub("〇", box.text.strip())
        lines.append(_Line(text, box.confidence, min(xs), min(ys), max(xs), max(ys)))
    return lines


def _width(box: TextBox) -> float:
    return math.dist(box.corners[0], box.corners[1])


def _height(box: TextBox) -> float:
    return math.dist(box.corners[1], box.corners[2])


def _running_lines(pages: list[list[_Line]], heights: list[float]) -> set[int]:
    """Ids of the page numbers and running headers and footers of every page."""
    in_band = [[line for line in page if _in_band(line, height)] for page, height in zip(pages, heights)]
    keys = Counter(key for band in in_band for key in {_furniture_key(line) for line in band})
    repeated = {key for key, n in keys.items() if key and n >= max(2, len(pages) / 2)}
    return {
        id(line)
        for band in in_band
        for line in band
        if _PAGE_NUMBER.match(line.text) or _furniture_key(line) in repeated
    }


def _in_band(line: _Line, height: float) -> bool:
    # Straightening turns about the page's corner: a degree or two moves a line by far less than the band is high.
    return line.y1 < _BAND * height or line.y0 > (1 - _BAND) * height


def _furniture_key(line: _Line) -> str:
    return re.sub(r"[\d\s]", "", line.text)


def _paragraphs(lines: list[_Line]) -> tuple[PageLine, ...]:
    if not lines:
        return ()
    unit = statistics.median(line.height for line in lines)
    ordered = _reading_order(lines, unit, _bounds(lines))
    out, previous = [], None
    for line, (left, right) in ordered:
        starts = (
            previous is None
            or previous[1] != (left, right)
            or line.x0 > left + 1.2 * unit
            or previous[0].x1 < right - 1.5 * unit
            or line.y0 - previous[0].y1 > unit
        )
        out.append(PageLine(line.text, round(line.confidence, 4), starts_paragraph=starts))
        previous = (line, (left, right))
    return tuple(out)


def _bounds(lines: list[_Line]) -> tuple[float, float]:
    return min(line.x0 for line in lines), max(line.x1 for line in lines)


def _reading_order(
    lines: list[_Line], unit: float, column: tuple[float, float]
) -> list[tuple[_Line, tuple[float, float]]]:
    """The lines in reading order, each with the left and right edge of the column it is in."""
    if len(lines) == 1:
        return [(lines[0], column)]
    cut = _widest_gap([(line.x0, line.x1) for line in lines], unit)
    if cut is not None:
        parts = [[line for line in lines if line.x1 <= cut], [line for line in lines if line.x1 > cut]]
        if _side_by_side(*parts):
            return [pair for part in parts for pair in _reading_order(part, unit, _bounds(part))]
    cut = _widest_gap([(line.y0, line.y1) for line in lines], 0.0)
    if cut is None:  # overlapping boxes of one row
        return [(line, column) for line in sorted(lines, key=lambda line: line.x0)]
    parts = [[line for line in lines if line.y1 <= cut], [line for line in lines if line.y1 > cut]]
    return [pair for part in parts for pair in _reading_order(part, unit, column)]


def _side_by_side(left: list[_Line], right: list[_Line]) -> bool:
    """Columns run beside each other; a signature at the right above a note at the left does not."""
    spans = [(min(line.y0 for line in side), max(line.y1 for line in side)) for side in (left, right)]
    overlap = min(end for _, end in spans) - max(start for start, _ in spans)
    return overlap > min(end - start for start, end in spans) / 2


def _widest_gap(spans: list[tuple[float, float]], min_width: float) -> float | None:
    """The end of the span before the widest gap between the spans' union, if it is over ``min_width``."""
    spans = sorted(spans)
    best, best_width, reach = None, min_width, spans[0][1]
    for start, end in spans[1:]:
        if start - reach > best_width:
            best, best_width = reach, start - reach
        reach = max(reach, end)
    return best

