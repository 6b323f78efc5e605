"""Study packs for trainers: key points, key figures, discussion questions and a quiz, each
taken from whole source sentences and cited like answers (``n`` indexes ``sources``, 1-based).

The sources are the chunks retrieved for the topic (limited to ``doc_ids`` when given), or,
with no topic, every chunk of the chosen articles in reading order. Each sentence of them
is scored by the weighted share of the topic's content terms it holds (as the extractive
backend scores sentences against a question), plus the share of its article's title and
section heading words it repeats (a sentence that echoes its heading states the point of
that section), a bonus for a quoted official phrase (提法) and a little for the rank of its
chunk. Every part of the pack walks the sentences best first, each pick discounting the
next sentence of the same article, so the pack spans its sources.

* Key points: the best sentences of readable length.
* Key figures: each number with a unit (1867人, 100%, 2727.5万元; not dates or ordinals)
  and what it counts, the rest of its clause: 全村户籍人口1867人 -> 全村户籍人口.
* Discussion: the templates study_discussion_*.txt filled with the best quoted
  phrases, section headings and the topic; with an LLM, its questions instead, kept only
  when every quoted phrase and number in them is in the sources.
* Quiz: a sentence with a number or a quoted phrase blanked out. Multiple choice adds
  distractors of the same kind from other sentences of the sources (numbers with the same
  unit, closest in size first; other quoted phrases, from the same article and of similar
  length first), never one the stem shows; options are shuffled by a hash of the stem, so
  a pack is the same every time. The answer key cites the sentence the blank came from.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import cycle
from pathlib import Path
from typing import Literal

import jieba
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser

from index.search import ChunkSource, SearchFilter
from index.text.chars import HAN_CHAR
from index.text.normalise import key_form
from index.text.script import to_simplified
from index.text.sentences import open_quote, sentence_spans
from rag.citations import QUOTED, UNQUOTED_PHRASE, UNSUPPORTED_NUMBER, check_citations, numbers
from rag.evidence import term_weights
from rag.extractive import RANK_WEIGHT, article_of
from rag.prompts import load_chat_prompt, load_text
from rag.question import analyse
from rag.types import Citation, RetrievedChunk, Retriever

log = logging.getLogger(__name__)

BLANK = "____"
MAX_KEY_POINTS = 8
MAX_FIGURES = 12
QUIZ_PER_KIND = 5
MIN_DISCUSSION, MAX_DISCUSSION = 5, 10
PER_TEMPLATE_KIND = 3  # phrases, and headings, that discussion templates are filled with
DISTRACTORS = 3  # a choice question has the answer and up to this many wrong options
MIN_DISTRACTORS = 2  # with fewer, guessing is too easy: the sentence becomes a blank instead
KEY_POINT_CHARS = (20, 160)  # shorter is a fragment, longer is a paragraph read aloud
QUIZ_CHARS = (12, 150)
WHAT_CHARS = (2, 40)  # the description of a figure, for one table cell
MIN_COUNTED_CHARS = 4  # fewer after a measure word (房屋) and the words before it are needed too
QUIZ_PHRASE_CHARS = (2, 12)  # a blank longer than this is a recitation test
DISCUSSION_PHRASE_CHARS = (2, 30)

ECHO_WEIGHT = 0.5
QUOTE_BONUS = 0.2
HEADING_PHRASE_BONUS = 1.0  # about a well-matching sentence's score
SAME_ARTICLE_DISCOUNT = 0.6  # each pick from an article multiplies its next sentence's score by this

_UNITS = "|".join(
    sorted(
        "平方公里 平方米 人次 公里 元 % ％ 个 名 人 户 家 条 项 宗 支 期 场 次 件 所 座 栋 处 份 批 类 套 间 张 台 辆 位 岁 亩 吨".split(),
        key=len,
        reverse=True,  # 人次 before 人
    )
)
# A unit, maybe scaled (3.48万人, 2727.5万元), or a bare scale (100亿). Not after 第 (an
# ordinal), a digit or +: 1+5+N is a name, not three figures.
_FIGURE = re.compile(
    rf"(?<![\d.第+])(?P<value>\d+(?:,\d{{3}})*(?:\.\d+)?)(?P<about>余|多)?(?P<unit>[万亿]?(?:{_UNITS})|[万亿])(?![+\d])"
)
# After these the counted thing follows the figure: 7个综合网格, 10宗村民纠纷.
_MEASURE_WORDS = frozenset("个 名 条 项 宗 支 期 场 次 件 所 座 栋 处 份 批 类 套 间 张 台 辆 位 户 家".split())
_QUESTION_END = re.compile(r"[？?][”’」』）)]*$")
_CLAUSE_BREAK = re.compile(r"[，,；;：:。！？!?]")  # not brackets: 39个村（社区）软弱涣散党组织
_BEFORE_FIGURE = re.compile(r"(?:约|达|共|为|有|逾|超过|近|了|计)+$")  # 交叉任职达100% -> 交叉任职
_AFTER_FIGURE = re.compile(r"[的和与及、\s]+$")  # 2座城市服务驿站和3个…: 城市服务驿站
_HEADING_MARK = re.compile(r"^(?:[^\w“「]+|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．])|[：:]+$")
_NUMBERING = re.compile(r"^\s*(?:\d+[.、．)）]|[（(]\d+[）)]|[-*•·])\s*")  # how models number list lines


@dataclass(frozen=True)
class KeyPoint:
    text: str
    n: int


@dataclass(frozen=True)
class KeyFigure:
    number: str  # as written, with its unit: 1867人
    what: str  # what it counts: 全村户籍人口
    n: int


@dataclass(frozen=True)
class QuizItem:
    kind: Literal["choice", "blank"]
    stem: str
    options: list[str]  # shuffled, answer among them; empty for a blank
    answer: str
    n: int
    sentence: str  # the source sentence, verbatim, that holds the answer


@dataclass
class StudyPack:
    topic: str
    key_points: list[KeyPoint]
    figures: list[KeyFigure]
    discussion: list[str]
    quiz: list[QuizItem]
    sources: list[Citation]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Sentence:
    hit: int  # 0-based position of its chunk in the hits
    start: int  # offset in the chunk text, for reading order
    text: str  # verbatim
    article: str
    score: float


@dataclass(frozen=True)
class _Fact:
    """A number or a quoted phrase of a sentence that a quiz can blank out."""

    sentence: _Sentence
    start: int  # span of the answer in the sentence text
    end: int
    kind: str  # the unit of a number (人, %), or "phrase"

    @property
    def answer(self) -> str:
        return self.sentence.text[self.start : self.end]

    def blanked(self) -> str:
        return self.sentence.text[: self.start] + BLANK + self.sentence.text[self.end :]


@dataclass(frozen=True)
class _Figure:
    sentence: _Sentence
    start: int
    number: str
    what: str


@dataclass(frozen=True)
class _Question:
    fact: _Fact
    distractors: tuple[str, ...]  # empty for a blank


def build_study_pack(
    topic: str,
    retriever: Retriever,
    library: ChunkSource,
    prompts_dir: Path,
    doc_ids: Sequence[str] = (),
    k: int = 12,
    llm: BaseChatModel | None = None,
) -> StudyPack:
    """A study pack on ``topic`` from its ``k`` best chunks (within ``doc_ids`` if given), or
    on the whole articles ``doc_ids`` (read from ``library``) when there is no topic; with
    ``llm`` the model writes the discussion questions; templates come from ``prompts_dir``."""
    topic = topic.strip()
    hits = _gather(topic, retriever, library, doc_ids, k)
    sentences = _sentences(topic, hits)
    points = _spread(s for s in sentences if _fits(s.text, KEY_POINT_CHARS))[:MAX_KEY_POINTS]
    figures = _figures(sentences)
    questions = _quiz(sentences)
    used = [*points, *(f.sentence for f in figures), *(q.fact.sentence for q in questions)]
    numbering = _numbering({s.hit for s in used}, hits)
    sources = [_citation(n, hit, hits, used) for hit, n in numbering.items()]

    def n(sentence: _Sentence) -> int:
        return numbering[sentence.hit]

    pack = StudyPack(
        # With no topic the pack is about its articles, named by their titles.
        topic=topic or "；".join(dict.fromkeys(c.title for c in sources if c.title)),
        key_points=[KeyPoint(s.text, n(s)) for s in sorted(points, key=lambda s: (n(s), s.start))],
        figures=[
            KeyFigure(f.number, f.what, n(f.sentence))
            for f in sorted(figures, key=lambda f: (n(f.sentence), f.sentence.start, f.start))
        ],
        discussion=_discussion(topic, sentences, hits, prompts_dir),
        quiz=[_quiz_item(q, n(q.fact.sentence), prompts_dir) for q in questions],
        sources=sources,
    )
    if llm is not None and sources:
        _ask_llm(pack, llm, [hits[hit] for hit in numbering], prompts_dir)
    return pack


# --- sources and their sentences -------------------------------------------------------


def _gather(
    topic: str, retriever: Retriever, library: ChunkSource, doc_ids: Sequence[str], k: int
) -> list[RetrievedChunk]:
    if topic:
        return retriever.retrieve(topic, SearchFilter(doc_ids=tuple(doc_ids)), k)
    # No topic: a session on whole articles, so every chunk of them, in reading order.
    order = {doc_id: i for i, doc_id in enumerate(doc_ids)}
    chunks = sorted(library.chunks_of(list(doc_ids)), key=lambda c: (order[c.doc_id], c.start))
    return [RetrievedChunk(chunk, score=0.0) for chunk in chunks]


def _sentences(topic: str, hits: Sequence[RetrievedChunk]) -> list[_Sentence]:
    """Each distinct sentence of the hits, scored; chunks overlap by a sentence, so the
    repeat in the later chunk is dropped."""
    spans = [(i, s, hit.chunk.text[s:e]) for i, hit in enumerate(hits) for s, e in sentence_spans(hit.chunk.text)]
    seen: set[str] = set()
    unique = []
    for i, start, text in spans:
        key = key_form(text)
        if key not in seen and not _QUESTION_END.search(text):  # a rhetorical question states no point
            seen.add(key)
            unique.append((i, start, text, key))
    terms = analyse(topic).terms if topic else frozenset()
    weights = term_weights(terms, [plain for *_, plain in unique])
    total = sum(weights.values()) or 1.0
    headings = [_heading_words(hit) for hit in hits]
    sentences = []
    for i, start, text, plain in unique:
        on_topic = sum(w for t, w in weights.items() if t in plain) / total
        echo = sum(w in plain for w in headings[i]) / (len(headings[i]) or 1)
        score = on_topic + ECHO_WEIGHT * echo + QUOTE_BONUS * bool(QUOTED.search(text)) + RANK_WEIGHT / (i + 1)
        sentences.append(_Sentence(i, start, text, article_of(hits[i]), score))
    return sentences


def _heading_words(hit: RetrievedChunk) -> set[str]:
    text = key_form(f"{hit.chunk.title} {hit.chunk.section}")
    return {w for w in jieba.lcut(text) if len(w) > 1 and HAN_CHAR.search(w)}


def _spread(sentences: Iterable[_Sentence]) -> list[_Sentence]:
    """Best first, each pick discounting the rest of its article, so sources take turns."""
    left = list(sentences)
    picked: list[_Sentence] = []
    per_article: Counter[str] = Counter()
    while left:
        best = max(left, key=lambda s: s.score * SAME_ARTICLE_DISCOUNT ** per_article[s.article])
        left.remove(best)
        picked.append(best)
        per_article[best.article] += 1
    return picked


def _fits(text: str, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= len(text) <= bounds[1]


def _numbering(used: set[int], hits: Sequence[RetrievedChunk]) -> dict[int, int]:
    """Hit -> source number, for the hits the pack uses: articles in the order of their best
    hit, the chunks of each together in reading order, so an article is one run of numbers."""
    first: dict[str, int] = {}
    for hit in sorted(used):
        first.setdefault(article_of(hits[hit]), hit)
    order = sorted(used, key=lambda h: (first[article_of(hits[h])], hits[h].chunk.start))
    return {hit: n for n, hit in enumerate(order, start=1)}


def _citation(n: int, hit: int, hits: Sequence[RetrievedChunk], used: list[_Sentence]) -> Citation:
    """Source ``n``, quoting the sentences of it the pack uses, in reading order."""
    mine = sorted({s for s in used if s.hit == hit}, key=lambda s: s.start)
    return Citation.of(n, hits[hit].chunk, "\n".join(s.text for s in mine))


# --- key figures -------------------------------------------------------------------------


def _figures(sentences: list[_Sentence]) -> list[_Figure]:
    """The best figures, one row per number as written per article."""
    found: list[_Figure] = []
    seen: set[tuple[str, str]] = set()
    for sentence in _spread(s for s in sentences if _FIGURE.search(s.text)):
        for match in _FIGURE.finditer(sentence.text):
            what = _counted(sentence.text, match)
            key = (sentence.article, match.group())
            if _fits(what, WHAT_CHARS) and key not in seen:
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
    others = [m for m in _FIGURE.finditer(text) if m.start() != match.start()]
    lefts = [b + 1 for b in breaks if b < match.start()] + [m.end() for m in others if m.end() <= match.start()]
    rights = [b for b in breaks if b >= match.end()] + [m.start() for m in others if m.start() >= match.end()]
    before = _BEFORE_FIGURE.sub("", text[max(lefts, default=0) : match.start()]).lstrip("、")
    after = _AFTER_FIGURE.sub("", text[match.end() : min(rights, default=len(text))])
    if match.group("unit").lstrip("万亿") in _MEASURE_WORDS and len(after) >= MIN_COUNTED_CHARS:
        return after.strip()
    # Past a plain unit a 、 starts the next item: 党员干部4200人、镇街机关和企事业单位3.48万人.
    return (before + after.split("、")[0]).strip()


# --- quiz --------------------------------------------------------------------------------


def _quiz(sentences: list[_Sentence]) -> list[_Question]:
    """Up to ``QUIZ_PER_KIND`` choice questions, then as many blanks; a sentence is asked
    once, about its fact with the most distractors, and an answer is asked once. Kinds
    alternate while both can grow."""
    facts = {s: _facts(s) for s in sentences}
    every = [f for found in facts.values() for f in found]
    choice: list[_Question] = []
    blank: list[_Question] = []
    asked: set[str] = set()
    for sentence in _spread(s for s in sentences if facts[s] and _fits(s.text, QUIZ_CHARS)):
        if len(choice) >= QUIZ_PER_KIND and len(blank) >= QUIZ_PER_KIND:
            break
        fresh = [f for f in facts[sentence] if _same(f) not in asked]
        if not fresh:
            continue
        fact, wrong = max(((f, _distractors(f, every)) for f in fresh), key=lambda pair: len(pair[1]))
        asked.add(_same(fact))
        choice_turn = len(choice) <= len(blank) or len(blank) >= QUIZ_PER_KIND
        if len(wrong) >= MIN_DISTRACTORS and len(choice) < QUIZ_PER_KIND and choice_turn:
            choice.append(_Question(fact, tuple(wrong)))
        elif len(blank) < QUIZ_PER_KIND:
            blank.append(_Question(fact, ()))
    return choice + blank


def _facts(sentence: _Sentence) -> list[_Fact]:
    """Its numbers with units and short quoted phrases, each written only once in it, so
    the stem does not give the answer away."""
    text = sentence.text
    found = [_Fact(sentence, *m.span("value"), _unit(m)) for m in _FIGURE.finditer(text)]
    for match in QUOTED.finditer(text):
        group = 1 if match.group(1) else 2
        if _fits(match.group(group), QUIZ_PHRASE_CHARS) and HAN_CHAR.search(match.group(group)):
            found.append(_Fact(sentence, *match.span(group), "phrase"))
    return [f for f in found if text.count(f.answer) == 1]


def _unit(match: re.Match[str]) -> str:
    return match.group("unit").replace("％", "%")


def _distractors(fact: _Fact, facts: list[_Fact]) -> list[str]:
    """Other answers of the same kind from the sources, closest first, none the stem shows."""
    stem = key_form(fact.blanked())
    taken = {_same(fact)}
    wrong = []
    for other in sorted((f for f in facts if f.kind == fact.kind), key=lambda f: (_distance(fact, f), f.answer)):
        key = _same(other)
        if key in taken or key in stem or (fact.kind == "phrase" and _overlaps(key, taken)):
            continue
        taken.add(key)
        wrong.append(other.answer)
        if len(wrong) == DISTRACTORS:
            break
    return wrong


def _same(fact: _Fact) -> str:
    """What two answers are compared by: 1,867 is 1867, 黨建 is 党建."""
    return next(numbers(fact.answer)) if fact.kind != "phrase" else key_form(fact.answer)


def _overlaps(phrase: str, others: set[str]) -> bool:
    # 五治 and 五治工作模式 would both be right.
    return any(phrase in other or other in phrase for other in others)


def _distance(fact: _Fact, other: _Fact) -> tuple[float, ...]:
    if fact.kind == "phrase":  # the same article writes in the same script and register
        return (other.sentence.article != fact.sentence.article, abs(len(other.answer) - len(fact.answer)))
    return (abs(math.log1p(float(_same(other))) - math.log1p(float(_same(fact)))),)


def _quiz_item(question: _Question, n: int, prompts_dir: Path) -> QuizItem:
    fact = question.fact
    if not question.distractors:
        return QuizItem("blank", fact.blanked(), [], fact.answer, n, fact.sentence.text)
    stem = load_text("study_quiz_choice", prompts_dir).format(sentence=fact.blanked())
    # A hash, not random: the same sources give the same pack, answer key and all.
    options = sorted([fact.answer, *question.distractors], key=lambda o: hashlib.sha1(f"{stem}|{o}".encode()).digest())
    return QuizItem("choice", stem, options, fact.answer, n, fact.sentence.text)


# --- discussion --------------------------------------------------------------------------


def _discussion(
    topic: str, sentences: list[_Sentence], hits: Sequence[RetrievedChunk], prompts_dir: Path
) -> list[str]:
    """Templates filled with the best 提法, then headings, then the topic, then general ones."""
    phrases = [f"“{to_simplified(p)}”" for p in _phrases(sentences, hits)[:PER_TEMPLATE_KIND]]
    headings = _headings(sentences, hits)[:PER_TEMPLATE_KIND]
    by_phrase = cycle(_templates("study_discussion_phrase", prompts_dir))
    by_heading = cycle(_templates("study_discussion_heading", prompts_dir))
    questions = [t.format(phrase=p) for p, t in zip(phrases, by_phrase)]
    questions += [t.format(heading=h) for h, t in zip(headings, by_heading)]
    if topic:
        questions += [t.format(topic=topic) for t in _templates("study_discussion_topic", prompts_dir)]
    # Enough of these to reach MIN_DISCUSSION on articles without a quote or a heading.
    questions += _templates("study_discussion_general", prompts_dir)
    return list(dict.fromkeys(questions))[:MAX_DISCUSSION]


def _templates(name: str, prompts_dir: Path) -> list[str]:
    return load_text(name, prompts_dir).splitlines()


def _phrases(sentences: list[_Sentence], hits: Sequence[RetrievedChunk]) -> list[str]:
    """Quoted phrases with words in them, by the summed score of the sentences quoting them,
    plus a bonus per title or heading quoting them: an article is organised around its 提法."""
    weight: Counter[str] = Counter()
    written: dict[str, str] = {}
    headings = {hit.chunk.title for hit in hits} | {hit.chunk.section for hit in hits}
    quoted = [(s.text, s.score) for s in sentences] + [(h, HEADING_PHRASE_BONUS) for h in headings]
    for text, score in quoted:
        for match in QUOTED.finditer(text):
            phrase = match.group(1) or match.group(2)
            if _fits(phrase, DISCUSSION_PHRASE_CHARS) and HAN_CHAR.search(phrase):
                written.setdefault(key_form(phrase), phrase)
                weight[key_form(phrase)] += score
    return [written[key] for key, _ in weight.most_common()]


def _headings(sentences: list[_Sentence], hits: Sequence[RetrievedChunk]) -> list[str]:
    """The innermost section headings of the hits, markers dropped, in simplified script,
    by their best sentence."""
    best: dict[str, float] = {}
    for sentence in sentences:
        leaf = hits[sentence.hit].chunk.section.split(" / ")[-1]
        # 推动实施“长效治理”，筑牢共建共治共享格局: the part before the comma names the theme.
        heading = to_simplified(re.split(r"[，,]", _HEADING_MARK.sub("", leaf))[0].strip())
        if heading:
            best[heading] = max(best.get(heading, 0.0), sentence.score)
    return sorted(best, key=best.get, reverse=True)


def _ask_llm(pack: StudyPack, llm: BaseChatModel, hits: list[RetrievedChunk], prompts_dir: Path) -> None:
    """Replace the template questions with the model's, if it gives enough sound ones."""
    from rag.llm import format_sources  # loads the OpenAI client, which the extractive path never needs

    chain = load_chat_prompt("study_discussion", prompts_dir) | llm | StrOutputParser()
    try:
        reply = chain.invoke({"topic": pack.topic, "sources": format_sources(hits)})
    except Exception as err:  # any backend failure: the template questions still make a whole pack
        log.warning("study discussion from the LLM failed: %s", err)
        pack.warnings.append(f"llm_failed:{type(err).__name__}")
        return
    lines = [_NUMBERING.sub("", line).strip() for line in reply.splitlines()]
    asked = [q for q in dict.fromkeys(lines) if q and _grounded(q, hits)]
    if len(asked) < MIN_DISCUSSION:
        pack.warnings.append(f"llm_discussion_too_few:{len(asked)}")
        return
    pack.discussion = asked[:MAX_DISCUSSION]


def _grounded(question: str, hits: list[RetrievedChunk]) -> bool:
    """Every quoted phrase and number of the question is in the sources: the answer checks,
    with the question citing them all."""
    cited = question + "".join(f"[{n}]" for n in range(1, len(hits) + 1))
    warnings = check_citations(cited, hits).warnings
    return not any(w.startswith((UNQUOTED_PHRASE, UNSUPPORTED_NUMBER)) for w in warnings)
