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
No padding: a sentence of another article than the lead's is added only if its chunk names
one of the question's places, or, when the question names none, it holds the asked word.

A factoid answer leads with its short answer, ``short_answer[n]`` on a line of its own: the
asked fact copied from the lead sentence (see ``short_answer``), given only when the lead
sentence holds the asked word and the line passes the citation checks.

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
from rag.citations import check_citations, numbers
from rag.evidence import term_weights
from rag.prompts import load_text
from rag.question import ASKED_WORD, QuestionAnalysis
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
class Sentence:
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
    sentences = candidates(question, hits)
    if not sentences:
        return Draft("", {})
    lead = lead_sentence(question, sentences)
    rival = _conflicting(lead, sentences)
    if rival is not None:  # two figures: no one short answer
        return _compose(_dated([lead, rival], prompts_dir))
    draft = _compose([("", s) for s in _select(question, lead, sentences, max_sentences, max_chars)])
    short = short_answer(question, lead, prompts_dir)
    line = f"{short}[{lead.n}]"
    if not short or check_citations(line, hits).warnings:
        return draft
    return Draft(f"{line}\n{draft.text}", draft.quotes, short)


def candidates(question: QuestionAnalysis, hits: Sequence[RetrievedChunk]) -> list[Sentence]:
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
        sentences.append(Sentence(n, text, plain, held, *share, hits[n - 1]))
    return sentences


def _compose(labelled: list[tuple[str, Sentence]]) -> Draft:
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


def lead_sentence(question: QuestionAnalysis, sentences: list[Sentence]) -> Sentence:
    """The best sentence holding the asked fact, the closer to what is asked the better."""
    pool = [s for s in sentences if s.overlap > 0] or sentences
    best = max(_match(s) for s in pool)
    kind = question.asked_kind
    for near in (question.focus, frozenset()) if kind else ():  # the asked word, else any term
        # A fact near one word of a sentence matching half as well as the best is no answer.
        gaps = [(s, nearest_fact(kind, s, question.simplified, near)) for s in pool if _match(s) >= SUPPORT_RATIO * best]
        holding = [(s.score + PROXIMITY_WEIGHT * (1 - f[0] / FACT_WINDOW), s) for s, f in gaps if f is not None]
        if holding:
            return max(holding, key=lambda pair: pair[0])[1]
    return max(pool, key=lambda s: s.score)


def _match(sentence: Sentence) -> float:
    return sentence.overlap + CONTEXT_WEIGHT * sentence.context


def nearest_fact(kind: str, sentence: Sentence, question: str, near: frozenset[str]) -> tuple[int, Span] | None:
    """The closest fact of ``kind`` to a word of ``near`` (any question term if empty) that the
    question does not state itself, with the characters between them, if within ``FACT_WINDOW``."""
    facts = [(s, e) for s, e in _FACT_FINDERS[kind](sentence.plain) if sentence.plain[s:e] not in question]
    terms = [span for term in (near or sentence.terms) for span in _occurrences(term, sentence.plain)]
    gaps = [(max(0, fs - te, ts - fe), (fs, fe)) for fs, fe in facts for ts, te in terms]
    return min((g for g in gaps if g[0] <= FACT_WINDOW), default=None)


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


# --- the short answer --------------------------------------------------------------------

_ANCHOR = 2  # the least characters of question text that place the asked fact in a sentence
MAX_SHORT = 40  # a longer span is no short answer
_CLAUSE_END = frozenset("，,。；;：:！？!?\n")
_OPENERS, _CLOSERS = "《“「『（(【[", "》”」』）)】]"
_AS_OF = re.compile(rf"(?:截至|截止)(?:{_DATE.pattern})")  # 截至2023年1月: when a figure held


def short_answer(question: QuestionAnalysis, lead: Sentence, prompts_dir: Path) -> str:
    """The asked fact copied from ``lead``: the words between the question's text around its
    question word, as they recur in the sentence, narrowed to a fact of the asked kind in
    them; else the fact of that kind closest to the asked word. A figure gets the date it
    held at (截至2023年1月) from the same sentence. "" when the question asks for no fact of
    a kind, or none is found."""
    kind = question.asked_kind
    if kind is None or len(lead.plain) != len(lead.text):  # offsets of plain must be those of text
        return ""
    if question.focus and not any(word in lead.plain for word in question.focus):
        return ""  # the sentence does not say what is asked (收入), whatever figure it holds
    span = _fact_in(kind, lead, question, _aligned(question.simplified, lead.plain))
    if span is None:
        return ""
    if kind == "quantity" and (unit := _SCALED_UNIT.match(lead.plain, span[1])):
        span = (span[0], unit.end())
    fact = lead.text[span[0] : span[1]].strip()
    as_of = _AS_OF.search(lead.plain)
    if kind == "quantity" and as_of and not _DATE.search(fact) and not question.numbers:
        fact = load_text("extractive_short_as_of", prompts_dir).format(fact=fact, date=lead.text[slice(*as_of.span())])
    return fact


# The unit after a scale word, which a quantity match stops short of: 1200万|元, 3.48万|人.
_SCALED_UNIT = re.compile(rf"(?<=[万亿])(?![年月日号时])[{HAN}]")


def _fact_in(kind: str, lead: Sentence, question: QuestionAnalysis, aligned: list[Span]) -> Span | None:
    """The first fact of ``kind`` inside an aligned span; else, for a kind found by its shape
    (not a term), the fact closest to the asked word; else the first aligned span."""
    facts = [f for f in _FACT_FINDERS[kind](lead.plain) if lead.plain[f[0] : f[1]] not in question.simplified]
    asked = [span for word in question.focus for span in _occurrences(word, lead.plain)]
    for start, end in aligned:
        inside = [f for f in facts if start <= f[0] and f[1] <= end]
        if inside:  # the one nearest the asked word: “五治” in ……“强基治理……”的东华村“五治”工作模式
            return min(inside, key=lambda f: min((max(0, f[0] - e, s - f[1]) for s, e in asked), default=0))
    if kind != "term":
        for near in (question.focus, frozenset()):
            nearest = nearest_fact(kind, lead, question.simplified, near)
            if nearest is not None:
                return nearest[1]
    return aligned[0] if aligned else None


def _aligned(question: str, sentence: str) -> list[Span]:
    """Where the sentence may say what the question asks, best first: between the longest
    piece of the question's text before its question word and of the text after it, as both
    recur in the sentence; from the first to the end of its clause; from the second to the
    end of its clause (党员118人 for 多少名党员); from the start of its clause to the second.
    A question's text before the word that ends its clause asks the other way round (Y是X
    for X是什么): the clause before it, less its 是."""
    asked = ASKED_WORD.search(question)
    if asked is None:
        return []
    left = _common(question[: asked.start()], sentence, 0)
    right = _common(question[asked.end() :], sentence, left[1] if left else 0)
    spans = []
    if left and right and right[0] - left[1] <= MAX_SHORT:
        spans.append((left[1], right[0]))
    if left:
        spans.append((left[1], _clause_end(sentence, left[1])))
    if right:
        spans += [(right[1], _clause_end(sentence, right[1])), (_clause_start(sentence, right[0]), right[0])]
    if left and _clause_end(sentence, left[1]) == left[1]:
        start = _clause_start(sentence, left[0])
        spans.append((start, left[0] - 1 if sentence[start : left[0]].endswith("是") else left[0]))
    return [span for span in map(lambda span: _trimmed(sentence, span), spans) if span is not None]


def _common(piece: str, sentence: str, after: int) -> Span | None:
    """The first place at or after ``after`` of the longest run of ``piece`` found in
    ``sentence``, at least ``_ANCHOR`` characters of words, no punctuation at its ends."""
    piece = piece.strip()
    for size in range(len(piece), _ANCHOR - 1, -1):
        for start in range(len(piece) - size, -1, -1):  # ties: the run nearest the question word
            run = piece[start : start + size]
            if not (run[0].isalnum() and run[-1].isalnum()):
                continue
            found = sentence.find(run, after)
            if found >= 0:
                return found, found + size
    return None


def _clause_end(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        depth += (text[i] in _OPENERS) - (text[i] in _CLOSERS)
        if depth <= 0 and text[i] in _CLAUSE_END:
            return i
        depth = max(depth, 0)
    return len(text)


def _clause_start(text: str, end: int) -> int:
    depth = 0
    for i in range(end - 1, -1, -1):
        depth += (text[i] in _CLOSERS) - (text[i] in _OPENERS)
        if depth <= 0 and text[i] in _CLAUSE_END:
            return i + 1
        depth = max(depth, 0)
    return 0


def _trimmed(text: str, span: Span) -> Span | None:
    """``span`` without surrounding blanks and punctuation, if anything and short enough."""
    start, end = span
    while start < end and not (text[start].isalnum() or text[start] in _OPENERS):
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] in _CLOSERS):
        end -= 1
    return (start, end) if 0 < end - start <= MAX_SHORT else None


# --- disagreeing figures -----------------------------------------------------------------


def _conflicting(lead: Sentence, sentences: list[Sentence]) -> Sentence | None:
    """The best sentence of another article giving another figure for a measure of the lead."""
    mine = _measures(lead)
    if not mine:
        return None
    rivals = [s for s in sentences if article_of(s.hit) != article_of(lead.hit) and _disagree(mine, _measures(s))]
    return max(rivals, key=lambda s: s.score, default=None)


def article_of(hit: RetrievedChunk) -> str:
    """The story a hit tells: reposted copies are one article when answers spread over articles."""
    return hit.chunk.story_id


def _measures(sentence: Sentence) -> dict[tuple[str, str], set[str]]:
    """(question term, unit and the words after it) -> figures, for each quantity right after
    a question term: 户籍人口1867人 -> (人口, 人), 划分……553个四级网格 -> (划分, 个四级网格)."""
    found: dict[tuple[str, str], set[str]] = {}
    for match in _QUANTITY.finditer(sentence.plain):
        term = _term_before(sentence, match.start())
        if term is not None:
            unit = match.group()[-1] + _WORDS_AFTER.match(sentence.plain, match.end()).group()
            found.setdefault((term, unit), set()).update(numbers(match.group()[:-1]))
    return found


def _term_before(sentence: Sentence, position: int) -> str | None:
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


def _dated(sentences: list[Sentence], prompts_dir: Path) -> list[tuple[str, Sentence]]:
    """Each sentence labelled with its article's date, newest first, undated last."""
    label = load_text("extractive_conflict", prompts_dir)
    undated = load_text("extractive_undated", prompts_dir)
    # Chunk dates are ISO (2023-06-28), so text order is time order.
    ordered = sorted(sentences, key=lambda s: s.hit.chunk.date or "", reverse=True)
    return [(label.format(date=s.hit.chunk.date or undated), s) for s in ordered]


# --- supporting sentences ----------------------------------------------------------------


def _select(
    question: QuestionAnalysis, lead: Sentence, sentences: list[Sentence], max_sentences: int, max_chars: int
) -> list[Sentence]:
    chosen, used = [lead], len(lead.text)
    for sentence in sorted(sentences, key=lambda s: s.score, reverse=True):
        if len(chosen) >= max_sentences:
            break
        fits = used + len(sentence.text) <= max_chars
        relevant = sentence.overlap > 0 and sentence.overlap >= SUPPORT_RATIO * lead.overlap
        if fits and relevant and _on_topic(question, lead, sentence) and not any(_near_duplicate(sentence, c) for c in chosen):
            chosen.append(sentence)
            used += len(sentence.text)
    return chosen


def _on_topic(question: QuestionAnalysis, lead: Sentence, sentence: Sentence) -> bool:
    """No padding from other articles: a sentence of another article than the lead's must
    name (its chunk or title naming) one of the question's places, or, when the question
    names none, hold what the question asks about."""
    if article_of(sentence.hit) == article_of(lead.hit):
        return True
    if question.places:
        return any(place in sentence.hit.chunk.match_text for place in question.places)
    return any(word in sentence.plain for word in question.focus)


def _near_duplicate(a: Sentence, b: Sentence) -> bool:
    x, y = compact(a.plain), compact(b.plain)
    if x in y or y in x:
        return True
    return bigram_jaccard(x, y) >= DUPLICATE_JACCARD

