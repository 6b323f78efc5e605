"""Key figures: each number with a unit (1867人, 100%, 2727.5万元; not dates or ordinals)
and what it counts, the rest of its clause: 全村户籍人口1867人 -> 全村户籍人口.

``FIGURE`` is also what the quiz blanks out as a number, so a figure means the same in
both sections."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.text.sentences import open_quote
from rag.study.sentences import Sentence, fits, spread

MAX_FIGURES = 12
WHAT_CHARS = (2, 40)  # the description of a figure, for one table cell
MIN_COUNTED_CHARS = 4  # fewer after a measure word (房屋) and the words before it are needed too

_UNITS = "|".join(
    sorted(
        "平方公里 平方米 人次 公里 元 % ％ 个 名 人 户 家 条 项 宗 支 期 场 次 件 所 座 栋 处 份 批 类 套 间 张 台 辆 位 岁 亩 吨".split(),
        key=len,
        reverse=True,  # 人次 before 人
    )
)
# A unit, maybe scaled (3.48万人, 2727.5万元), or a bare scale (100亿). Not after 第 (an
# ordinal), a digit or +: 1+5+N is a name, not three figures.
FIGURE = re.compile(
    rf"(?<![\d.第+])(?P<value>\d+(?:,\d{{3}})*(?:\.\d+)?)(?P<about>余|多)?(?P<unit>[万亿]?(?:{_UNITS})|[万亿])(?![+\d])"
)
# After these the counted thing follows the figure: 7个综合网格, 10宗村民纠纷.
_MEASURE_WORDS = frozenset("个 名 条 项 宗 支 期 场 次 件 所 座 栋 处 份 批 类 套 间 张 台 辆 位 户 家".split())
_CLAUSE_BREAK = re.compile(r"[，,；;：:。！？!?]")  # not brackets: 39个村（社区）软弱涣散党组织
_BEFORE_FIGURE = re.compile(r"(?:约|达|共|为|有|逾|超过|近|了|计)+$")  # 交叉任职达100% -> 交叉任职
_AFTER_FIGURE = re.compile(r"[的和与及、\s]+$")  # 2座城市服务驿站和3个…: 城市服务驿站


@dataclass(frozen=True)
class _Figure:
    sentence: Sentence
    start: int
    number: str
    what: str


def best_figures(sentences: list[Sentence]) -> list[_Figure]:
    """The best figures, one row per number as written per article."""
    found: list[_Figure] = []
    seen: set[tuple[str, str]] = set()
    for sentence in spread(s for s in sentences if FIGURE.search(s.text)):
        for match in FIGURE.finditer(sentence.text):
            what = _counted(sentence.text, match)
            key = (sentence.article, match.group())
            if fits(what, WHAT_CHARS) and key not in seen:
                seen.add(key)
                found.append(_Figure(sentence, match.start(), match.group(), what))
        if len(found) >= MAX_FIGURES:
            break
    return found[:MAX_FIGURES]


def _counted(text: str, match: re.Match[str]) -> str:
    """What a figure counts, from its clause, between the figures next to it: the words after
    a measure word (7个综合网格 -> 综合网格) unless they say too little (1495间房屋 ->
    综合网格内的房屋), else the words around it (全村户籍人口1867人 -> 全村户籍人口)."""
    # A comma inside quotes is part of a phrase: “党员群众同心,共治共建家园”12个字.
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text) if not open_quote(text[: m.start()])]
    others = [m for m in FIGURE.finditer(text) if m.start() != match.start()]
    lefts = [b + 1 for b in breaks if b < match.start()] + [m.end() for m in others if m.end() <= match.start()]
    rights = [b for b in breaks if b >= match.end()] + [m.start() for m in others if m.start() >= match.end()]
    before = _BEFORE_FIGURE.sub("", text[max(lefts, default=0) : match.start()]).lstrip("、")
    after = _AFTER_FIGURE.sub("", text[match.end() : min(rights, default=len(text))])
    if match.group("unit").lstrip("万亿") in _MEASURE_WORDS and len(after) >= MIN_COUNTED_CHARS:
        return after.strip()
    # Past a plain unit a 、 starts the next item: 党员干部4200人、镇街机关和企事业单位3.48万人.
    return (before + after.split("、")[0]).strip()
