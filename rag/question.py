"""A question analysed once: its simplified text, content terms, focus words, places, numbers
and the kind of fact it asks for, which evidence, extractive answers and study packs share.

A question's content terms are its jieba words (two characters or more) and the character
bigrams of each run of content words, all on the simplified text, with question words
(什么, 有多少, 哪些, 是谁, 吗 …) and fillers (的, 了, 有, 是 …) taken out. Bigrams make matching
robust to jieba cutting 东华村 as 东华/村 in one place and 东华村 in another; words keep whole
names heavy.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import jieba
import jieba.posseg as pseg

from core.errors import BadQuestion
from index.bm25 import TOKEN
from index.text.normalise import search_form
from index.text.places import PLACE_SUFFIXES
from index.text.script import to_simplified

# Question words, longer forms first; a measure word after 多少/几 goes with it. Splitting
# on them before segmenting keeps jieba from gluing 村有 out of 东华村有多少名党员.
_QUESTION = re.compile(
    r"什么时候|什么样|为什么|什么|有没有|有哪些|是什么|是否|请问|如何|怎么样|怎么|怎样|何时"
    r"|[有是]?(?:多少|几)[个名位项次条座家所种大人]?|哪一?[年天月个位些里儿]?|是?谁是?|[吗呢吧啊]|[^\w]+"
)
_FILLERS = frozenset("的 了 在 和 与 及 有 是 都 要 能 会 该 将 对".split())  # break runs, never terms
_UNIT = TOKEN  # the units BM25 indexes, so a question term is what the index can match
_NUMBER_TERM = re.compile(r"\d+(?:\.\d+)?[年期届次]?")
_KINDS = (  # the first pattern found in the (simplified) question names the fact it asks for
    ("date", re.compile(r"何时|什么时候|什么时间|哪一?年|哪一?天|哪个月|几月|几号")),
    ("person", re.compile(r"谁|哪位|什么人")),
    ("place", re.compile(r"哪里|哪儿|在哪|哪个|什么地方")),
    ("quantity", re.compile(r"多少|几")),
    ("term", re.compile(r"(?<!为)什么")),
)

# The question word with what asks along with it (多少名, 哪一年, 哪国, 什么样的), whole: where a
# short answer's span sits between the question's words around it.
ASKED_WORD = re.compile(
    r"什么时候|什么时间|什么样的?|什么|[有是]?(?:多少|几)[个名位项次条座家所种大人年月日号]?|多[久长大高远重宽深]"
    r"|哪一?[年天月个位些里儿国省市县州座部种本首家所条]?|何[时地人处]|谁"
)
_MORE_KINDS = (  # rarer question words; the first found wins
    ("person", re.compile(r"何人")),
    ("place", re.compile(r"何地|何处|哪[国省市县州座]")),
    ("quantity", re.compile(r"多[久长大高远重宽深]")),
    ("term", re.compile(r"哪[部种本首家所条]")),
)


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str  # as asked
    simplified: str  # simplified and lower-cased: the search form
    terms: frozenset[str]  # content terms, see the module doc
    focus: frozenset[str]  # what is asked about, see ``_focus_words``
    places: frozenset[str]  # administrative place names, see ``_places``
    numbers: frozenset[str]  # numbers with their unit of time or issue: 2021年, 4期
    kind: str | None  # the kind of fact asked for, a name of ``_KINDS``

    @property
    def named_places(self) -> frozenset[str]:
        """``places`` and the bare jieba ``ns`` names (上海, 成都) not already part of one: the
        answerability model reads these; ``places`` alone, suffixed, decides uncovered places."""
        return self.places | frozenset(_bare_places(self.simplified, self.places))

    @property
    def asked(self) -> frozenset[str]:
        """The focus word after the question word when there is one (党员 in 星城社区有多少名党员,
        not the subject 社区), else the focus: the thing asked about, not who it is asked of."""
        return _asked_words(self.simplified, self.focus)

    @property
    def asked_kind(self) -> str | None:
        """``kind``, else the kind of a rarer question word (何人, 哪国, 多久 …): extractive answers
        look for these too, while the answerability model was fitted on ``kind`` alone."""
        if self.kind:
            return self.kind
        return next((name for name, pattern in _MORE_KINDS if pattern.search(self.simplified)), None)


def askable(question: str, max_chars: int) -> str:
    """The question without surrounding space, or BadQuestion saying why it cannot be asked."""
    text = question.strip()
    if not text:
        raise BadQuestion("请输入问题。")
    if len(text) > max_chars:
        raise BadQuestion(f"问题太长（{len(text)} 字），请控制在 {max_chars} 字以内。")
    if not any(unicodedata.category(char)[0] in "LN" for char in text):  # only punctuation, symbols or emoji
        raise BadQuestion("问题中没有文字，请用文字提问。")
    return text


@lru_cache(maxsize=1024)
def analyse(question: str) -> QuestionAnalysis:
    """``question`` analysed; cached, as one question is scored, answered and evaluated in turn
    and jieba is the slow part."""
    simplified = to_simplified(question)
    lowered = search_form(question)
    return QuestionAnalysis(
        text=question,
        simplified=lowered,
        terms=_content_terms(lowered),
        focus=_focus_words(lowered),
        places=frozenset(_places(simplified)),
        numbers=frozenset(_NUMBER_TERM.findall(simplified)),
        kind=next((name for name, pattern in _KINDS if pattern.search(lowered)), None),
    )


def _content_terms(text: str) -> frozenset[str]:
    terms: set[str] = set()
    for piece in _QUESTION.split(text):
        run: list[str] = []
        for word in [*jieba.lcut(piece), "的"]:  # the trailing filler closes the last run
            if word in _FILLERS:
                terms.update(_bigrams(run))
                run = []
            else:
                run.extend(_UNIT.findall(word))
                terms.update([word] if len(word) > 1 else [])
    return frozenset(terms)


@lru_cache(maxsize=1024)
def _bare_places(text: str, suffixed: frozenset[str]) -> tuple[str, ...]:
    bare = {p.word for p in pseg.lcut(text) if p.flag == "ns" and len(p.word) > 1}
    return tuple(sorted(w for w in bare if not any(w in s for s in suffixed)))


@lru_cache(maxsize=1024)
def _asked_words(text: str, focus: frozenset[str]) -> frozenset[str]:
    asked = _first_question_word(text)
    if asked is None:
        return focus
    after = [w for w in jieba.lcut(_QUESTION.split(text[asked.end() :])[0]) if len(w) > 1][:1]
    return frozenset(after) & focus or focus


def _first_question_word(text: str) -> re.Match[str] | None:
    return next((m for m in _QUESTION.finditer(text) if _UNIT.search(m.group())), None)


def _focus_words(text: str) -> frozenset[str]:
    """The words right before and after the first question word, i.e. what is asked about:
    人口 in 东华村户籍人口有多少, 党员 in 东华村有多少名党员, 站长 in 市捐赠站站长是谁."""
    asked = _first_question_word(text)
    if asked is None:
        return frozenset()
    before = [w for w in jieba.lcut(_QUESTION.split(text[: asked.start()])[-1]) if w not in _FILLERS]
    after = jieba.lcut(_QUESTION.split(text[asked.end() :])[0])
    # A lone character there (东华|村|有多少) is the subject's tail, not the thing asked about.
    return frozenset(w for w in [*before[-1:], *after[:1]] if len(w) > 1)


def _bigrams(units: list[str]) -> list[str]:
    # A lone character (党费怎么交 -> 交) is all the question says there, so it stays.
    if len(units) == 1:
        return units
    return [a + b for a, b in zip(units, units[1:])]


def _places(text: str) -> set[str]:
    """Administrative place names: jieba ``ns`` words with a suffix (深圳市), or a name
    jieba cut off its suffix (白杨/村). A name right after a lone Han character is skipped:
    that cut is jieba misreading a longer name (中/山东/区 is 中山东区)."""
    words = [(p.word, p.flag) for p in pseg.lcut(text)]
    places = {w for w, tag in words if tag == "ns" and w.endswith(PLACE_SUFFIXES) and len(w) > 2}
    for (before, _), (name, tag), (suffix, _) in zip([("", "")] + words, words, words[1:]):
        proper = tag.startswith("n") and tag != "n" and len(name) > 1
        if proper and suffix in PLACE_SUFFIXES and not (len(before) == 1 and before.isalpha()):
            places.add(name + suffix)
    return places
