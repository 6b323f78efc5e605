"""Checks run on every answer, whichever backend wrote it.

* Citation markers ``[n]``, ``[1][2]``, ``[1,2]``, ``【1】`` are rewritten as ``[n][m]``;
  a number outside 1..len(hits) is dropped and reported (``dropped_citation:[7]``).
* Every number in a sentence must occur in a chunk that sentence cites (a sentence
  without a marker may lean on any chunk the answer cites); numbers are compared after
  NFKC (full-width digits), without thousands commas and leading zeros, so ``1,867`` is
  ``1867``. A chunk's title and date count as part of it: answers label figures by date.
  Otherwise: ``unsupported_number:1900``.
* A phrase in “…” or 「…」 is official wording and must occur verbatim in a chunk cited
  by a sentence it lies in, compared in simplified script with whitespace (scrape noise)
  removed. Otherwise: ``unquoted_phrase:“…”``.

Warnings only report; apart from dropping bad markers the text is left as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from index.text.normalise import verbatim_form
from index.text.sentences import sentence_spans
from index.types import Chunk
from rag.types import RetrievedChunk

DROPPED = "dropped_citation:"
UNSUPPORTED_NUMBER = "unsupported_number:"
UNQUOTED_PHRASE = "unquoted_phrase:"

_DIGIT = "0-9０-９"
_MARKER = re.compile(rf"[\[【]\s*([{_DIGIT}]+(?:\s*[,，、]\s*[{_DIGIT}]+)*)\s*[\]】]")
_CANONICAL_MARKER = re.compile(r"\[(\d+)\]")
_NUMBER = re.compile(rf"[{_DIGIT}]+(?:,[{_DIGIT}]{{3}})*(?:[.．][{_DIGIT}]+)?\s*[%％]?")
# Official wording, in “…” or 「…」: group 1 or 2 is the phrase.
QUOTED = re.compile(r"“([^“”]+)”|「([^「」]+)」")


@dataclass(frozen=True)
class CheckedText:
    text: str
    cited: tuple[int, ...]  # hit numbers the text cites, ascending
    warnings: tuple[str, ...]


def check_citations(text: str, hits: Sequence[RetrievedChunk]) -> CheckedText:
    """``text`` with bad markers dropped, the hits it cites, and what failed the checks."""
    text, dropped = _normalise_markers(text, len(hits))
    units = [(start, end, _cited_in(text[start:end])) for start, end in sentence_spans(text)]
    cited = tuple(sorted({n for *_, ns in units for n in ns}))
    chunks = {n: hits[n - 1].chunk for n in cited}
    sources = [(start, end, [chunks[n] for n in (ns or cited)]) for start, end, ns in units]
    warnings = dropped + _unsupported_numbers(text, sources) + _unquoted_phrases(text, sources)
    return CheckedText(text, cited, tuple(warnings))


def _normalise_markers(text: str, n_hits: int) -> tuple[str, list[str]]:
    dropped: list[str] = []

    def rewrite(match: re.Match[str]) -> str:
        numbers = [int(unicodedata.normalize("NFKC", n)) for n in re.split(r"\s*[,，、]\s*", match.group(1))]
        dropped.extend(f"{DROPPED}[{n}]" for n in numbers if not 1 <= n <= n_hits)
        return "".join(f"[{n}]" for n in numbers if 1 <= n <= n_hits)

    return _MARKER.sub(rewrite, text), dropped


def _cited_in(sentence: str) -> list[int]:
    return [int(n) for n in _CANONICAL_MARKER.findall(sentence)]


def _unsupported_numbers(text: str, sources: list[tuple[int, int, list[Chunk]]]) -> list[str]:
    warnings = []
    for start, end, chunks in sources:
        known = {n for chunk in chunks for n in numbers(_with_metadata(chunk))}
        sentence = _CANONICAL_MARKER.sub("", text[start:end])
        warnings += [f"{UNSUPPORTED_NUMBER}{n}" for n in numbers(sentence) if n not in known]
    return warnings


def numbers(text: str) -> Iterator[str]:
    """The numbers in ``text``, normalised: ``１,８６７`` -> ``1867``, ``42.50 %`` -> ``42.5%``."""
    # NFKC per match, not per text: it would turn ， into , and 18，100 into one number.
    for match in _NUMBER.finditer(text):
        raw = re.sub(r"[,\s]", "", unicodedata.normalize("NFKC", match.group()))
        percent = "%" if raw.endswith("%") else ""
        whole, _, fraction = raw.rstrip("%").partition(".")
        fraction = fraction.rstrip("0")
        yield (whole.lstrip("0") or "0") + (f".{fraction}" if fraction else "") + percent


def _with_metadata(chunk: Chunk) -> str:
    return f"{chunk.title}\n{chunk.date or ''}\n{chunk.text}"


def _unquoted_phrases(text: str, sources: list[tuple[int, int, list[Chunk]]]) -> list[str]:
    warnings = []
    for match in QUOTED.finditer(text):
        phrase = verbatim_form(match.group(1) or match.group(2))
        chunks = [c for start, end, cs in sources if start < match.end() and match.start() < end for c in cs]
        if not any(phrase in verbatim_form(_with_metadata(chunk)) for chunk in chunks):
            warnings.append(f"{UNQUOTED_PHRASE}{match.group()}")
    return warnings
