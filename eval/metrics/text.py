"""Text made comparable across script, width, spacing and punctuation, for answer and citation metrics."""

from __future__ import annotations

import re
import unicodedata

from index.text.normalise import search_form

_MARKER = re.compile(r"\[\d+\]")
# Kept although punctuation: "1.5" is not "15" and "100%" is not "100".
_NUMBER_PUNCT = frozenset(".%")


def normalise(text: str) -> str:
    """NFKC, citation markers removed, in search form, no whitespace or punctuation. Looser than
    the forms of index.text.normalise: a gold answer matches whatever the width and punctuation."""
    text = search_form(_MARKER.sub("", unicodedata.normalize("NFKC", text)))
    return "".join(ch for ch in text if _kept(ch))


def _kept(ch: str) -> bool:
    return not ch.isspace() and (ch in _NUMBER_PUNCT or not unicodedata.category(ch).startswith("P"))


def contains_any(text: str, golds: list[str] | tuple[str, ...]) -> bool:
    """Whether some gold answer occurs in ``text`` once both are normalised."""
    norm = normalise(text)
    return any(g and g in norm for g in map(normalise, golds))
