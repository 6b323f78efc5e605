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
