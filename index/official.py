"""The header and signature of an official document (公文): its number, issuing body, title
and date of issue, when the text has them. Red-header documents are laid out as: ``…文件``
(the issuer's red header), the number (``粤府办〔2023〕12号``, perhaps with ``签发人：…``),
the title, the body, then the issuer again over the date (often in Chinese numerals).

* Number: a line that is a number alone (or with its 签发人). A number inside a sentence
  cites another document. OCR reads the hexagonal brackets as 【】, [] or (), all taken as 〔〕.
* Issuer: the red header without ``文件``; else, in a text with a number line, the line
  right above the last date line when it ends like a body (人民政府, 办公室, 局 …).
* Title: the line after the number line, joined with the next when only that one ends with
  a kind of document (通知, 意见 …), as a long title wraps.
* Date: the last line that is a date alone, in Chinese numerals (二〇二三年三月十五日) or digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from index.text.chars import HAN

_NUMBER = re.compile(
    rf"^(?P<prefix>[{HAN}]{{1,12}})\s*[〔\[【［(（]\s*(?P<year>(?:19|20)\d{{2}})\s*[〕\]】］)）]\s*"
    rf"(?P<serial>\d{{1,4}})\s*号(?:\s*签发人\s*[:：].*)?$"
)
_RED_HEADER = re.compile(rf"^(?P<issuer>[{HAN}（）]{{4,40}}?)\s*文\s*件$")
_ISSUER = re.compile(rf"^[{HAN}（）]{{2,40}}(?:人民政府|政府|办公厅|办公室|委员会|局|厅|委|部|署|院|会|中心|党委|党组|工委)$")
_KIND = re.compile(r"(?:通知|通报|意见|办法|决定|方案|规定|规划|细则|报告|批复|请示|函|公告|通告|纪要|决议|命令)$")
_VALUES = {char: value for value, char in enumerate("〇一二三四五六七八九")} | {"零": 0}
_DIGITS = "".join(_VALUES)
_CN_DATE = re.compile(
    rf"^(?P<y>[{_DIGITS}]{{4}})\s*年\s*(?P<m>[{_DIGITS}十]{{1,2}})\s*月\s*(?P<d>[{_DIGITS}十]{{1,3}})\s*日$"
)
_DATE = re.compile(r"^(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日$")
_TITLE_MAX_CHARS = 60


@dataclass(frozen=True)
class OfficialHeader:
    number: str | None = None  # normalised: 粤府办〔2023〕12号
    issuer: str | None = None
    title: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd


def read_header(lines: list[str]) -> OfficialHeader:
    """What ``lines`` (stripped, non-empty) say about themselves as an official document."""
    numbered = next(((i, m) for i, line in enumerate(lines) if (m := _NUMBER.match(line))), None)
    red = next((m["issuer"] for line in lines[:5] if (m := _RED_HEADER.match(line))), None)
    if numbered is None and red is None:
        return OfficialHeader()
    dates = [(i, found) for i, line in enumerate(lines) if (found := _date(line))]
    issuer = red
    if issuer is None and dates and dates[-1][0] > 0 and _ISSUER.match(lines[dates[-1][0] - 1]):
        issuer = lines[dates[-1][0] - 1]
    return OfficialHeader(
        number=f"{numbered[1]['prefix']}〔{numbered[1]['year']}〕{int(numbered[1]['serial'])}号" if numbered else None,
        issuer=issuer,
        title=_title(lines[numbered[0] + 1 : numbered[0] + 3]) if numbered else None,
        date=dates[-1][1] if dates else None,
    )


def _title(following: list[str]) -> str | None:
    heads = [line for line in following if len(line) <= _TITLE_MAX_CHARS and line[-1] not in "。；：:！？"]
    if not heads or heads[0] != following[0]:
        return None
    if len(heads) == 2 and heads[1] == following[1] and not _KIND.search(heads[0]) and _KIND.search(heads[1]):
        return heads[0] + heads[1]
    return heads[0]


def _date(line: str) -> str | None:
    if match := _DATE.match(line):
        return _iso(int(match["y"]), int(match["m"]), int(match["d"]))
    return numeral_date(line)


def numeral_date(line: str) -> str | None:
    """A line that is a date in Chinese numerals alone (二〇二三年三月十五日), as yyyy-mm-dd."""
    if match := _CN_DATE.match(line):
        year = int("".join(str(_VALUES[char]) for char in match["y"]))
        return _iso(year, _small_number(match["m"]), _small_number(match["d"]))
    return None


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _small_number(text: str) -> int:
    """一 .. 三十一 as a number; -1 (no such month or day) for a malformed one."""
    if "十" not in text:
        return _VALUES[text] if len(text) == 1 else -1
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in tens + ones:
        return -1
    return (_VALUES[tens] if tens else 1) * 10 + (_VALUES[ones] if ones else 0)
