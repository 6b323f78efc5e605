"""Date, source and place names of one article, for display and filtering.

* Date: only a full date (year, month and day) counts; ``6月13日`` alone gives None. A date on
  a labelled line (``发布时间：…``, ``来源：… 2020-09-11``) wins; otherwise the last line that is
  nothing but a date (news pages print it under the headline or at the end; a document's
  signature, in Chinese numerals too: 二〇二三年三月十五日). Dates inside body
  sentences are event dates, not the article's.
* Source: a labelled ``来源`` line wins over a reporter credit (``■新快报记者`` -> 新快报). With
  several ``来源`` lines the last one wins: a republishing platform prints its own line in the
  page header (``来源：澎湃新闻·澎湃号·政务``) and credits the original publisher at the end
  (``来源：中国城市报“城市党建”周刊`` before ``原标题``), and the original is what a cadre cites.
* Official documents (``index.official``): the date of issue and the issuing body, when the
  text has a document number or a red header, stand in for a date and source found otherwise.
* Places: names with an administrative suffix (市 区 县 镇 街道 社区 村), in simplified
  script, most frequent first. See ``_places``.

Date and source are read from the raw text, where the cleaner has dropped those lines; places
are read from the article body, so that pasted articles get their own.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

import jieba.posseg

from index.articles import Article
from index.clean import DATE_LINE, FULL_DATE, normalise_line
from index.official import OfficialHeader, numeral_date, read_header
from index.text.chars import HAN, HAN_CHAR
from index.text.places import ARTICLE_PLACE_SUFFIX
from index.text.script import to_simplified


@dataclass(frozen=True)
class ArticleMeta:
    date: str | None  # ISO yyyy-mm-dd
    source: str | None
    places: tuple[str, ...]
    official: OfficialHeader = OfficialHeader()  # number, issuer, title and date of an official document


MAX_PLACES = 8

_DATE_LABEL = re.compile(r"(?:发布|发表|更新|上传)?(?:时间|日期)\s*[:：]|^来源\s*[:：]|^【来源】")
# Source lines are read in the original script, so that a traditional source shows as printed.
_SOURCE = re.compile(
    r"^(?:【(?:文章|信息)?[来來]源】|(?:文章|信息)?[来來]源\s*[:：])\s*(?P<value>.*)$"
)
# A value that is only the next label (來源: 發布時間: 瀏覽量:) names no source.
_NEXT_LABEL = re.compile(
    r"\s*(?:[发發][布佈][时時][间間]|[发發][布佈]日期|[时時][间間]|日期|作者|[编編][辑輯]|[浏瀏][览覽]量|[点點][击擊]数)\s*[:：]"
)
_REPORTER = re.compile(rf"^(?:[■●]|【(?:采写|採寫|记者|記者|文)】)?\s*(?P<outlet>[{HAN}]{{2,10}}?)[记記]者\s")
_SOURCE_MAX_CHARS = 40
_CLAUSE_PUNCT = re.compile(r"[，。；！？,;!?]")
_NOT_OUTLETS = {"本报", "本報", "本台", "本网", "本網", "特约", "特約", "见习", "見習", "实习", "實習"}


def extract_metadata(raw: str, article: Article) -> ArticleMeta:
    """Metadata of ``article``; ``raw`` is the file text it was cleaned from."""
    lines = [line for line in map(normalise_line, raw.splitlines()) if line]
    simplified = [to_simplified(line) for line in lines]  # one pattern for 發布時間 and 发布时间
    official = read_header(lines)
    return ArticleMeta(
        # An official document's date of issue is its date; its issuer is the source a cadre cites.
        date=official.date or _date(simplified),
        source=_source(lines) or official.issuer,
        places=_places(to_simplified(article.body)),
        official=official,
    )


# --- date -------------------------------------------------------------------------------


def _date(lines: list[str]) -> str | None:
    labelled = [found for line in lines if _DATE_LABEL.search(line) and (found := _full_date(line))]
    standalone = [found for line in lines if (found := _standalone_date(line))]
    return labelled[0] if labelled else standalone[-1] if standalone else None


def _standalone_date(line: str) -> str | None:
    """The date of a line that is nothing but one, in digits or in Chinese numerals (a document's signature)."""
    return _full_date(line) if DATE_LINE.match(line) else numeral_date(line)


def _full_date(text: str) -> str | None:
    for match in FULL_DATE.finditer(text):
        month, day = match["m1"] or match["m2"], match["d1"] or match["d2"]
        try:
            return date(int(match["y"]), int(month), int(day)).isoformat()
        except ValueError:  # 2023年2月30日 is a typo, not a date
            continue
    return None


# --- source -----------------------------------------------------------------------------


def _source(lines: list[str]) -> str | None:
    labelled = [value for line in lines if (value := _labelled_source(line))]
    if labelled:
        return labelled[-1]
    reporters = [m["outlet"] for line in lines if (m := _REPORTER.match(line)) and m["outlet"] not in _NOT_OUTLETS]
    return reporters[0] if reporters else None


def _labelled_source(line: str) -> str | None:
    match = _SOURCE.match(line)
    if not match:
        return None
    value = _NEXT_LABEL.split(match["value"], maxsplit=1)[0].strip()
    # A long value or a sentence is a source line glued to the body (来源：某报昨晚，……).
    if len(value) > _SOURCE_MAX_CHARS or _CLAUSE_PUNCT.search(value):
        return None
    return value or None


# --- places -----------------------------------------------------------------------------

_MIN_NAME, _MAX_NAME = 2, 4
# Function words cannot be inside a name: 党组织对社区, 党员和社区 -> no name.
_STOP_CHARS = set("在和与及对向从到由把将被给让使以于的了个各全本该每其这那此等并或也都还副某")
# A name ending in one of these is a generic phrase (城中村, 基层社区, 城市社区).
_GENERIC_NAMES = {
    "城中", "街道", "社区", "基层", "新型", "兄弟", "示范", "模范", "堡垒", "全部", "所有", "试点", "当地",
    "中心", "商务", "服务", "住宅", "工业", "便民", "活动", "城市", "农村", "乡村",
}  # fmt: skip
# Two-character words ending in a suffix. Before them a real name is rare (增城区, 半仙山村) and
# a verb is common (推进城市), so only a chain of places vouches for them.
_GENERIC_WORDS = {
    "城市", "城区", "市区", "地区", "山区", "山村", "农村", "乡村", "辖区", "小区", "园区", "片区", "城镇", "乡镇", "小镇",
    "郊区", "大市",
}  # fmt: skip
# jieba part-of-speech tags of words that are not names (verbs, adverbs, adjectives, particles…).
_NOT_NAME_TAGS = ("v", "d", "a", "p", "c", "u", "r", "m", "q", "t", "b")
_PROPER_TAGS = ("ns", "nr", "nz", "nt")
# What may follow a suffix inside one jieba word: 东莞|市委书记, 东城|区政府, 东华|村长.
_SUFFIX_HEAD = re.compile(r"委|政|长|人大|政协|党|两委")
# A local party or government body right after the name: 火炼树社区党委, 东华村委会.
_ORGAN_AFTER = re.compile(r"党委|党总支|党支部|党工委|工委|居委|村委|经联社|党群服务中心|办事处|人民政府")


@dataclass(frozen=True)
class _Token:
    start: int
    word: str
    flag: str


@dataclass(frozen=True)
class _Candidate:
    name: str  # with its suffix
    start: int
    end: int
    evidence: bool  # part of it tagged as a proper noun, or a local body follows
    generic: bool  # ends like 城市 or 山村, or jieba reads it otherwise: needs a chain


def _places(text: str) -> tuple[str, ...]:
    """Place names in ``text`` (simplified), most frequent first, at most ``MAX_PLACES``.

    A candidate is the shortest run of two to four characters before a suffix that starts
    where jieba starts a word or right after a function word or punctuation, and not before
    the end of the place before it (中山市|东区街道). Generic phrases (城中村, 基层社区) and
    verbs (强化社区) are dropped. A name is kept when one of its occurrences shows it is one:
    jieba tags part of it as a proper noun, a local body follows (周屋社区党委), or it is
    chained to such a place (增城区新塘镇东华村); or when it occurs twice. Names that jieba
    reads otherwise (增|城区) or that end like a common word (城市, 山村) need the chain.
    Measured on the samples: jieba's ``ns`` tag alone misses 火炼树, 周屋, 增城 (tagged as
    verbs or common nouns) and tags 城市 and 深度 as places.
    """
    tokens = _tokens(text)
    candidates: list[_Candidate] = []
    for suffix in ARTICLE_PLACE_SUFFIX.finditer(text):
        previous_end = candidates[-1].end if candidates else 0
        if candidate := _candidate(text, suffix, tokens, previous_end):
            candidates.append(candidate)
    # Only a place that stands on its own vouches for its neighbours in a chain.
    anchors = [c for c in candidates if c.evidence and not c.generic]
    ends, starts = {c.end for c in anchors}, {c.start for c in anchors}
    counts = Counter(c.name for c in candidates)

    def vouched(c: _Candidate) -> bool:
        chained = c.start in ends or c.end in starts
        return chained or not c.generic and (c.evidence or counts[c.name] >= 2)

    names = {c.name for c in candidates if vouched(c)}
    first_seen = {c.name: c.start for c in reversed(candidates)}
    ranked = sorted(names, key=lambda name: (-counts[name], first_seen[name]))
    return tuple(ranked[:MAX_PLACES])


def _tokens(text: str) -> dict[int, _Token]:
    """The jieba word covering each character offset."""
    covering, offset = {}, 0
    for pair in jieba.posseg.cut(text):
        token = _Token(offset, pair.word, pair.flag)
        covering.update(dict.fromkeys(range(offset, offset + len(pair.word)), token))
        offset += len(pair.word)
    return covering


def _candidate(text: str, suffix: re.Match[str], tokens: dict[int, _Token], previous_end: int) -> _Candidate | None:
    end = suffix.start()
    low = max(previous_end, end - _MAX_NAME)
    for i in range(end - 1, low - 1, -1):  # the name starts after the last function word
        if text[i] in _STOP_CHARS or not HAN_CHAR.match(text[i]):
            low = i + 1
            break
    after_break = low > max(previous_end, end - _MAX_NAME)
    for begin in range(end - _MIN_NAME, low - 1, -1):
        if tokens[begin].start == begin or (begin == low and after_break):
            return _checked(text, begin, suffix, tokens)
    return None


def _checked(text: str, begin: int, suffix: re.Match[str], tokens: dict[int, _Token]) -> _Candidate | None:
    name = text[begin : suffix.start()]
    if any(name.endswith(generic) for generic in _GENERIC_NAMES):
        return None
    words = {tokens[i] for i in range(begin, suffix.start())}
    if len(words) == 1 and (word := words.pop()).word == name and word.flag.startswith(_NOT_NAME_TAGS):
        return None  # 强化社区, 推动社区
    whole, after = tokens[begin], tokens[suffix.start()]
    if whole.word == name + suffix.group() and not whole.flag.startswith(_PROPER_TAGS):
        return None  # one common word: 受灾地区, 风景区, 军分区
    if after.start == suffix.start() and len(after.word) > len(suffix.group()):
        # The suffix starts another word (人民代表|镇定); a place-like one is a misreading
        # of a chain (万江|镇石|美市场).
        if not _SUFFIX_HEAD.match(after.word, len(suffix.group())) and not after.flag.startswith(_PROPER_TAGS):
            return None
    # A word across the suffix (增|城区, 茶|山镇, 分公司|东区) means jieba read the name
    # otherwise; like 城市, such a candidate needs a chain of places to vouch for it.
    across = begin < tokens[suffix.start()].start < suffix.start()
    generic = across or name[-1] + suffix.group() in _GENERIC_WORDS
    # A proper noun inside the name, or one word that is the whole place (广州市).
    proper = any(
        token.flag.startswith(_PROPER_TAGS) and token.start + len(token.word) <= suffix.end()
        for token in {tokens[i] for i in range(begin, suffix.start())}
    )
    evidence = proper or bool(_ORGAN_AFTER.match(text, suffix.end()))
    return _Candidate(name + suffix.group(), begin, suffix.end(), evidence, generic)
