"""The forms texts are compared in. Each comparison keeps what it must tell apart, so the
forms differ; eval/metrics/text.normalise builds on ``search_form``."""

from __future__ import annotations

import re

from index.text.script import to_simplified

_NOT_WORD = re.compile(r"[\W_]+")


def search_form(text: str) -> str:
    """Simplified and lower-cased: where a question's terms are looked up (黨建 and 党建, GDP
    and gdp meet)."""
    return to_simplified(text).lower()


def key_form(text: str) -> str:
    """The search form without whitespace: one sentence or phrase however the scrape spaced it."""
    return "".join(search_form(text).split())


def verbatim_form(text: str) -> str:
    """Simplified, whitespace removed, case kept: official wording quoted in an answer must
    occur as written, up to script and scrape noise."""
    return "".join(to_simplified(text).split())


def compact(text: str) -> str:
    """Letters, digits and characters only: what is left of a reposted text whatever the
    punctuation and spacing around it."""
    return _NOT_WORD.sub("", text)
