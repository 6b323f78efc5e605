"""How well the retrieved chunks cover a question: the score behind refusing to answer.

A question's content terms are its jieba words (two characters or more) and the character
bigrams of each run of content words, all on the simplified text, with question words
(什么, 有多少, 哪些, 是谁, 吗 …) and fillers (的, 了, 有, 是 …) taken out. Bigrams make the
score robust to jieba cutting 东华村 as 东华/村 in one place and 东华村 in another; words
keep whole names heavy.

``evidence_score`` is the weighted fraction of those terms found in the best single hit
(its simplified ``search_text`` plus title). Weights are smoothed IDF over the hits
themselves: a term every hit shares (党建 in a corpus of party-building articles) says
little, while a term no hit contains (深圳, 南山) weighs most, so a question about a place
or topic the articles never mention scores low even when the hits match its generic words.
Over BM25's top 5 paragraphs of the sample articles, answerable questions score 0.7-1.0
(东华村户籍人口有多少, 市捐赠站站长是谁: 1.0) and questions about places the articles never
mention 0.06-0.13 (深圳市南山区有哪些党建做法: 0.08). ``settings.refusal_threshold`` is
calibrated on the eval set.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import jieba
import jieba.posseg as pseg

from index.bm25 import TOKEN
from index.chunk import Chunk
from index.text.places import PLACE_SUFFIXES
from index.text.script import to_simplified
from rag.types import RetrievedChunk

# Question words, longer forms first; a measure word after 多少/几 goes with it. Splitting
# on them before segmenting keeps jieba from gluing 村有 out of 东华村有多少名党员.
_QUESTION = re.compile(
    r"什么时候|什么样|为什么|什么|有没有|有哪些|是什么|是否|请问|如何|怎么样|怎么|怎样|何时"
    r"|[有是]?(?:多少|几)[个名位项次条座家所种大人]?|哪一?[年天月个位些里儿]?|是?谁是?|[吗呢吧啊]|[^\w]+"
)
_FILLERS = frozenset("的 了 在 和 与 及 有 是 都 要 能 会 该 将 对".split())  # break runs, never terms
_UNIT = TOKEN  # the units BM25 indexes, so a question term is what the index can match


def content_terms(question: str) -> frozenset[str]:
    """jieba words and bigrams of the question's content, simplified; see the module doc."""
    terms: set[str] = set()
    for piece in _QUESTION.split(to_simplified(question).lower()):
        run: list[str] = []
        for word in [*jieba.lcut(piece), "的"]:  # the trailing filler closes the last run
            if word in _FILLERS:
                terms.update(_bigrams(run))
                run = []
            else:
                run.extend(_UNIT.findall(word))
                terms.update([word] if len(word) > 1 else [])
    return frozenset(terms)


def focus_words(question: str) -> frozenset[str]:
    """The words right before and after the first question word, i.e. what is asked about:
    人口 in 东华村户籍人口有多少, 党员 in 东华村有多少名党员, 站长 in 市捐赠站站长是谁."""
    text = to_simplified(question).lower()
    asked = next((m for m in _QUESTION.finditer(text) if _UNIT.search(m.group())), None)
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


def term_weights(terms: frozenset[str], texts: Sequence[str]) -> dict[str, float]:
    """Smoothed IDF of each term over ``texts``: always positive, largest for terms in none."""
    n = len(texts)
    return {t: math.log(1 + (n + 1) / (0.5 + sum(t in text for text in texts))) for t in terms}


def searchable(chunk: Chunk) -> str:
    """The simplified text a question's terms are looked up in."""
    return f"{to_simplified(chunk.title)}\n{chunk.search_text}".lower()


def evidence_score(question: str, hits: Sequence[RetrievedChunk]) -> float:
    """Weighted share, in [0, 1], of the question's content terms present in the best hit."""
    terms = content_terms(question)
    if not terms or not hits:
        return 0.0
    texts = [searchable(hit.chunk) for hit in hits]
    weights = term_weights(terms, texts)
    best = max(sum(w for term, w in weights.items() if term in text) for text in texts)
    return best / sum(weights.values())





_NUMBER_TERM = re.compile(r"\d+(?:\.\d+)?[年期届次]?")


def uncovered(question: str, hits: Sequence[RetrievedChunk]) -> list[str]:
    """Places (深圳市, 南山区) and numbers (2021年, 第4期) in the question that no hit mentions.

    A question about 深圳市南山区 retrieved against articles on Dongguan shares plenty of
    generic words with them; the place that appears nowhere is what says it is not covered,
    as a year the articles never mention does. Only jieba ``ns`` words with an
    administrative suffix count, so 中山东区 cut as 中/山东/区 does not invent a 山东.
    """
    text = to_simplified(question)
    haystack = "\n".join(searchable(hit.chunk) for hit in hits)
    terms = _places(text) | set(_NUMBER_TERM.findall(text))
    return sorted(t for t in terms if t not in haystack)


def _places(text: str) -> set[str]:
    """Administrative place names: jieba ``ns`` words with a suffix (深圳市), or a name
    jieba cut off its suffix (白杨/村). A name right after a lone character is skipped:
    that cut is jieba misreading a longer name (中/山东/区 is 中山东区)."""
    words = [(p.word, p.flag) for p in pseg.lcut(text)]
    places = {w for w, tag in words if tag == "ns" and w.endswith(PLACE_SUFFIXES) and len(w) > 2}
    for (before, _), (name, tag), (suffix, _) in zip([("", "")] + words, words, words[1:]):
        proper = tag.startswith("n") and tag != "n" and len(name) > 1
        if proper and suffix in PLACE_SUFFIXES and len(before) != 1:
            places.add(name + suffix)
    return places
