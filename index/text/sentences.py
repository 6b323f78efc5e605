"""Where a Chinese sentence ends, stated once: the cleaner, the article splitter, the chunker
and the citation checker must cut at the same places, or a sentence quoted from a chunk is
not a sentence of the answer checked against it."""

from __future__ import annotations

import re

# Closing quotes and brackets right after the end belong to the sentence: 他说：“好。”
CLOSERS = "”’」』）)]】》"
# Many articles type ASCII ;!? for ；！？. Those end nothing when glued to a letter, digit or
# comma: ``list.php?id=3``, ``1;2``, or a ? left by mojibake in the middle of a clause.
END_MARK = r"(?:[。！？；…]|[!?;](?![0-9A-Za-z=&,，、]))"
SENTENCE_END = re.compile(f"{END_MARK}+[{re.escape(CLOSERS)}]*")
_ENDS_SENTENCE = re.compile(f"{SENTENCE_END.pattern}$")


def ends_sentence(text: str) -> bool:
    """Whether ``text`` stops at the end of a sentence (closing quotes after it allowed)."""
    return bool(_ENDS_SENTENCE.search(text))
# Sentence ends, plus line breaks (an answer's list items end unpunctuated), with the
# citation markers [n] that cite the sentence before them.
_CITED_SENTENCE_END = re.compile(rf"(?:{SENTENCE_END.pattern}|\n)(?:\[\d+\])*")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text``, whitespace trimmed, citation markers kept with
    the sentence they follow; a sentence end inside an open “ does not end it."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in [*_CITED_SENTENCE_END.finditer(text), None]:
        end = match.end() if match else len(text)
        if spans and open_quote(text[slice(*spans[-1])]):
            start = spans.pop()[0]
        spans.append(_trim(text, start, end))
        start = end
    return [(s, e) for s, e in spans if s < e]


def open_quote(text: str) -> bool:
    """Whether a “ in ``text`` is still open, so punctuation after it is inside the quote."""
    return text.count("“") > text.count("”")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    return start + lead, start + len(piece.rstrip())
