"""Dates as yyyymmdd numbers, so Chroma can compare them: stored with each chunk, and the
bounds of a date filter."""

from __future__ import annotations

import re


def _digits(date: str | None) -> str:
    # The first ten characters hold the date of 2023-07-31 14:22 and of 2023/07/31.
    return re.sub(r"\D", "", (date or "")[:10])


def date_int(date: str | None) -> int:
    """A chunk's date as stored; 0 when there is no full date, so a partial one (6月13日, 2023-06)
    falls outside every date filter rather than at a guessed day."""
    digits = _digits(date)
    return int(digits) if len(digits) == 8 else 0


def date_bound(date: str, upper: bool = False) -> int:
    """A filter bound; a partial date (2023, 2023-06) covers its whole year or month, so it
    starts at day 00 as a lower bound and ends at day 99 as an upper one."""
    return int(_digits(date)[:8].ljust(8, "9" if upper else "0"))
