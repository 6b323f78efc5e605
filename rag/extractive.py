"""The default answer backend: whole source sentences, each cited, and no LLM.

Every sentence of every hit is scored by the weighted share of the question's content
terms it holds (``rag.question``, IDF-weighted over the candidate sentences),
a lesser share for the terms only the rest of its chunk holds, plus a small bonus for the
rank of its hit. A factoid question leads with the best sentence holding the asked kind of
fact, one the question does not state itself, near the word asked about (人口 in
东华村户籍人口有多少; any question term when no sentence has one): a quantity for 多少/几, a
name for 谁, a date for 何时, a place for 哪里/哪个, a “quoted” term for 什么. Up to
``max_sentences`` sentences follow while the answer stays within ``max_chars``, skipping
near-duplicates (a reposted copy) and sentences matching less than half as well as the lead.

When another article gives a different figure for a measure of the lead (the same question
term right before a number, the same unit and words after it), the answer is the two
sentences, each labelled with its article's date, newest first, so the reader sees both.
The only words not copied from a source come from the templates extractive_*.txt of the
configured prompts folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jieba.posseg as pseg

from index.text.chars import HAN
from index.text.normalise import compact, search_form
from index.text.places import PLACE_SUFFIXES
from index.text.sentences import sentence_spans
from index.text.similarity import bigram_jaccard
from rag.citations import numbers
from rag.evidence import term_weights
from rag.prompts import load_text
from rag.question import QuestionAnalysis
from rag.types import Draft, RetrievedChunk

RANK_WEIGHT = 0.1  # enough to break ties between equal matches, never to outweigh a term
# 目前，社区划分为6个网格 answers 星城社区有几个网格 because its paragraph names 星城社区.
CONTEXT_WEIGHT = 0.3
FACT_WINDOW = 16  # characters between an asked fact and a question term that it belongs to
PROXIMITY_WEIGHT = 0.5  # 党员118人 beats 东华村党员、干部、群众……120余人次 for 东华村有多少名党员
MEASURE_GAP = 6  # at most this many characters, no punctuation, between a term and its figure
SUPPORT_RATIO = 0.5  # a sentence matching less than half as well as the lead is padding
DUPLICATE_JACCARD = 0.8  # bigram overlap above which two sentences are one reposted sentence

Span = tuple[int, int]


@dataclass(frozen=True)
class _Sentence:
    n: int  # 1-based position of its hit
    text: str  # verbatim from the chunk
    plain: str  # simplified and lower-cased, for matching
    terms: frozenset[str]  # the question's content terms it holds
    overlap: float  # their weighted share of all the question's terms
    context: float  # the same for terms only the rest of its chunk holds
    hit: RetrievedChunk

    @property
    def score(self) -> float:
        return self.overlap + CONTEXT_WEIGHT * self.context + RANK_WEIGHT / self.n


def extract_answer(
    question: QuestionAnalysis,
    hits: Sequence[RetrievedChunk],
    prompts_dir: Path,
    max_sentences: int = 3,
    max_chars: int = 220,
) -> Draft:
    """An answer of whole cited source sentences, any labels from the templates in
    ``prompts_dir``; an empty Draft when there are no hits."""
    sentences = _candidates(question, hits)
    if not sentences:
        return Draft("", {})
    lead = _lead(question, sentences)
    rival = _conflicting(lead, sentences)
    if rival is not None:
        return _compose(_dated([lead, rival], prompts_dir))
    return _compose([("", s) for s in _select(lead, sentences, max_sentences, max_chars)])


def _candidates(question: QuestionAnalysis, hits: Sequence[RetrievedChunk]) -> list[_Sentence]:
    terms = question.terms
    texts = [(n, hit.chunk.text[s:e]) for n, hit in enumerate(hits, 1) for s, e in sentence_spans(hit.chunk.text)]
    plains = [search_form(text) for _, text in texts]
    weights = term_weights(terms, plains)
    total = sum(weights.values()) or 1.0
    chunks = [hit.chunk.match_text for hit in hits]
    sentences = []
    for (n, text), plain in zip(texts, plains):
        held = frozenset(t for t in terms if t in plain)
        around = frozenset(t for t in terms - held if t in chunks[n - 1])
        share = [sum(weights[t] for t in group) / total for group in (held, around)]
        sentences.append(_Sentence(n, text, plain, held, *share, hits[n - 1]))
    return sentences


def _compose(labelled: list[tuple[str, _Sentence]]) -> Draft:
    quotes: dict[int, list[str]] = {}
    for _, sentence in labelled:
        quotes.setdefault(sentence.n, []).append(sentence.text)
    text = "".join(f"{label}{s.text}[{s.n}]" for label, s in labelled)
    return Draft(text, {n: "\n".join(texts) for n, texts in quotes.items()})


# --- the lead sentence -----------------------------------------------------------------

_DATE = re.compile(
    r"\d{4}\s*年(?:\s*\d{1,2}\s*月)?(?:\s*\d{1,2}\s*日)?|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
)
_QUANTITY = re.compile(rf"\d+(?:[.,]\d+)*\s*(?:[%％]|(?![年月日号时])[{HAN}])")
_QUOTED = re.compile(r"“[^“”]+”")
_WORDS_AFTER = re.compile(rf"[^\W\d_]{{0,{MEASURE_GAP}}}")  # 6个网格 and 1个一级网格 measure different things
# 站长、党支部书记吴木蔚同志 / 党委书记罗伟传认为: a role, then a name, then what follows names.
_ROLE_NAME = re.compile(
    r"(?:书记|站长|主任|处长|局长|部长|市长|区长|镇长|村长|社长|主席|委员|调研员|记者|经理|院长|校长|组长|队长)"
    rf"([{HAN}]{{2,3}})(?=同志|表示|介绍|认为|指出|说|[：:，,、\s])"
)


def _lead(question: QuestionAnalysis, sentences: list[_Sentence]) -> _Sentence:
    """The best sentence holding the asked fact, the closer to what is asked the better."""
    pool = [s for s in sentences if s.overlap > 0] or sentences
    kind = question.kind
    for near in (question.focus, frozenset()) if kind else ():  # the asked word, else any term
        gaps = [(s, _fact_gap(kind, s, question.simplified, near)) for s in pool]
        holding = [(s.score + PROXIMITY_WEIGHT * (1 - gap / FACT_WINDOW), s) for s, gap in gaps if gap is not None]
        if holding:
            return max(holding, key=lambda pair: pair[0])[1]
    return max(pool, key=lambda s: s.score)


def _fact_gap(kind: str, sentence: _Sentence, question: str, near: frozenset[str]) -> int | None:
    """Characters between a word of ``near`` (any question term if empty) and the closest fact
    of ``kind`` that the question does not state itself, if within ``FACT_WINDOW``."""
    facts = [(s, e) for s, e in _FACT_FINDERS[kind](sentence.plain) if sentence.plain[s:e] not in question]
    terms = [span for term in (near or sentence.terms) for span in _occurrences(term, sentence.plain)]
    gaps = [max(0, fs - te, ts - fe) for fs, fe in facts for ts, te in terms]
    return min((g for g in gaps if g <= FACT_WINDOW), default=None)


def _occurrences(term: str, text: str) -> list[Span]:
    return [(m.start(), m.start() + len(term)) for m in re.finditer(re.escape(term), text)]


def _matches(pattern: re.Pattern[str], group: int = 0) -> Callable[[str], list[Span]]:
    return lambda text: [m.span(group) for m in pattern.finditer(text)]


def _tagged(keep: Callable[[str, str], bool]) -> Callable[[str], list[Span]]:
    """Spans of the jieba words of a text that ``keep(word, part_of_speech)`` accepts."""

    def find(text: str) -> list[Span]:
        spans, position = [], 0
        for word, flag in pseg.cut(text):
            if keep(word, flag):
                spans.append((position, position + len(word)))
            position += len(word)
        return spans

    return find


def _people(text: str) -> list[Span]:
    names = _tagged(lambda word, flag: flag == "nr" and len(word) > 1)(text)
    return names + _matches(_ROLE_NAME, 1)(text)


_FACT_FINDERS: dict[str, Callable[[str], list[Span]]] = {
    "date": _matches(_DATE),
    "person": _people,
    "place": _tagged(lambda word, flag: flag == "ns" or (len(word) > 2 and word.endswith(PLACE_SUFFIXES))),
    "quantity": _matches(_QUANTITY),
    "term": _matches(_QUOTED),
}


# --- disagreeing figures -----------------------------------------------------------------


def _conflicting(lead: _Sentence, sentences: list[_Sentence]) -> _Sentence | None:
    """The best sentence of another article giving another figure for a measure of the lead."""
    mine = _measures(lead)
    if not mine:
        return None
    rivals = [s for s in sentences if article_of(s.hit) != article_of(lead.hit) and _disagree(mine, _measures(s))]
    return max(rivals, key=lambda s: s.score, default=None)


def article_of(hit: RetrievedChunk) -> str:
    """The story a hit tells: reposted copies are one article when answers spread over articles."""
    return hit.chunk.story_id


def _measures(sentence: _Sentence) -> dict[tuple[str, str], set[str]]:
    """(question term, unit and the words after it) -> figures, for each quantity right after
    a question term: 户籍人口1867人 -> (人口, 人), 划分……553个四级网格 -> (划分, 个四级网格)."""
    found: dict[tuple[str, str], set[str]] = {}
    for match in _QUANTITY.finditer(sentence.plain):
        term = _term_before(sentence, match.start())
        if term is not None:
            unit = match.group()[-1] + _WORDS_AFTER.match(sentence.plain, match.end()).group()
            found.setdefault((term, unit), set()).update(numbers(match.group()[:-1]))
    return found


def _term_before(sentence: _Sentence, position: int) -> str | None:
    """The question term ending closest before ``position``, if no punctuation is between."""
    best = None
    for term in sentence.terms:
        for _, end in _occurrences(term, sentence.plain[:position]):
            gap = sentence.plain[end:position]
            if len(gap) <= MEASURE_GAP and not re.search(r"[^\w\s]", gap) and (best is None or end > best[0]):
                best = (end, term)
    return best[1] if best else None


def _disagree(mine: dict[tuple[str, str], set[str]], theirs: dict[tuple[str, str], set[str]]) -> bool:
    return any(key in mine and mine[key].isdisjoint(values) for key, values in theirs.items())


def _dated(sentences: list[_Sentence], prompts_dir: Path) -> list[tuple[str, _Sentence]]:
    """Each sentence labelled with its article's date, newest first, undated last."""
    label = load_text("extractive_conflict", prompts_dir)
    undated = load_text("extractive_undated", prompts_dir)
    # Chunk dates are ISO (2023-06-28), so text order is time order.
    ordered = sorted(sentences, key=lambda s: s.hit.chunk.date or "", reverse=True)
    return [(label.format(date=s.hit.chunk.date or undated), s) for s in ordered]


# --- supporting sentences ----------------------------------------------------------------


def _select(lead: _Sentence, sentences: list[_Sentence], max_sentences: int, max_chars: int) -> list[_Sentence]:
    chosen, used = [lead], len(lead.text)
    for sentence in sorted(sentences, key=lambda s: s.score, reverse=True):
        if len(chosen) >= max_sentences:
            break
        fits = used + len(sentence.text) <= max_chars
        relevant = sentence.overlap > 0 and sentence.overlap >= SUPPORT_RATIO * lead.overlap
        if fits and relevant and not any(_near_duplicate(sentence, c) for c in chosen):
            chosen.append(sentence)
            used += len(sentence.text)
    return chosen


def _near_duplicate(a: _Sentence, b: _Sentence) -> bool:
    x, y = compact(a.plain), compact(b.plain)
    if x in y or y in x:
        return True
    return bigram_jaccard(x, y) >= DUPLICATE_JACCARD

