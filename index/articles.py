"""Split a cleaned text into the articles pasted into it, and give each a title.

Method. A pasted article starts at a paragraph that opens like a news lead (``近日，``,
``日前，``, ``6月13日，``, ``本报讯``) *and* shares little vocabulary with the text before it:
the cosine of character-bigram counts between everything since the last boundary and the
next few paragraphs falls below ``SEAM_COHESION``. Neither signal is enough alone. A report
may say ``近日，`` halfway through; and measured on the samples, the two real seams in 002
score 0.16 and 0.05, but paragraphs inside one article score 0.14-0.55 against the text
before them (0.14 at a photo caption in 004, 0.15 inside 002's short second article).
A lead that points back (``6月13日，该……``) continues the story, and a seam needs some body
text before it. On 3,000 CCTV news transcripts this still splits 10 multi-part stories
(and the 国内联播快讯 roundups, which are separate items).
A title line just above a seam goes with the new article, since articles do not end on a
heading. Articles without a title line get one from their lead sentence: the first clause
that is not a time cue or a ``根据……`` / ``为……`` adverbial.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from index.chunking import HEADING_MAX_CHARS
from index.text.chars import HAN_CHAR, NOT_HAN
from index.text.sentences import CLOSERS, SENTENCE_END, ends_sentence


@dataclass(frozen=True)
class Article:
    title: str
    body: str  # cleaned paragraphs, the title line first when the article had one
    offset: int  # where ``body`` starts in the text given to ``split_articles``


SEAM_COHESION = 0.2
_WINDOW = 3  # paragraphs after a candidate seam compared with the text before it
_MIN_ARTICLE_CHARS = 200  # body text needed before a seam: a lead right under a title is no seam
_TITLE_MAX_CHARS = HEADING_MAX_CHARS

_LEAD_CUE = re.compile(r"^(?:本[报報][讯訊]|(?:(?:\d{4}年)?\d{1,2}月\d{1,2}日|近日|日前)[，,])")
# A lead that points back (6月13日，该运输机……) continues the story before it.
_ANAPHORA = re.compile(r"该|此|这|其|上述|对此|为此|同时|此外|随后|与此同时")
_TIME_CLAUSE = re.compile(
    r"^(?:本[报報][讯訊](?:[（(][^）)]*[）)])?)?(?:(?:\d{4}年)?\d{1,2}月\d{1,2}日(?:[上下]午|晚)?|近日|日前|近期|昨天|昨日|今天|今日)?$"
)
_ADVERBIAL = re.compile(r"^(?:根据|按照|依据|为了?|随着|围绕|在.{0,16}(?:下|中|上|期间|之际)$)")
_CLAUSE_BREAK = "，,；;"
_MARKER_START = re.compile(r"^[●○■□◆◇▲△★☆◎•▪►※]")


def split_articles(text: str) -> list[Article]:
    """The articles in ``text`` (cleaned, one paragraph a line), in order."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"[^\n]*\S[^\n]*", text)]
    paragraphs = [text[start:end].strip() for start, end in spans]
    starts = _article_starts(paragraphs)
    articles = []
    for first, stop in zip(starts, starts[1:] + [len(paragraphs)]):
        offset = spans[first][0]
        body = text[offset : spans[stop - 1][1]]
        title = paragraphs[first] if _is_title_line(paragraphs[first]) else _derive_title(paragraphs[first])
        articles.append(Article(title=title, body=body, offset=offset))
    return articles


def _article_starts(paragraphs: list[str]) -> list[int]:
    if not paragraphs:
        return []
    starts = [0]
    for i in range(1, len(paragraphs)):
        cue = _LEAD_CUE.match(paragraphs[i])
        if not cue or _ANAPHORA.match(paragraphs[i], cue.end()):
            continue
        # A title line right above the lead goes with the lead, whichever article that is.
        title_above = i - 1 > starts[-1] and _is_title_line(paragraphs[i - 1])
        before = paragraphs[starts[-1] : i - 1 if title_above else i]
        if _body_chars(before) >= _MIN_ARTICLE_CHARS and _cohesion(before, paragraphs[i : i + _WINDOW]) < SEAM_COHESION:
            starts.append(i - 1 if title_above else i)
    return starts


def _body_chars(paragraphs: list[str]) -> int:
    return sum(len(p) for p in paragraphs if not _is_title_line(p))


def _bigrams(paragraphs: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for paragraph in paragraphs:
        han = NOT_HAN.sub("", paragraph)
        counts.update(han[i : i + 2] for i in range(len(han) - 1))
    return counts


def _cohesion(before: list[str], after: list[str]) -> float:
    a, b = _bigrams(before), _bigrams(after)
    norm = math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))
    return sum(count * b[gram] for gram, count in a.items()) / norm if norm else 0.0


def _is_title_line(paragraph: str) -> bool:
    """Short, not a sentence, not a list item or a lead-in ending in a colon."""
    return (
        len(paragraph) <= _TITLE_MAX_CHARS
        and not ends_sentence(paragraph)
        and paragraph[-1] not in "：:"
        and not _MARKER_START.match(paragraph)
        and bool(HAN_CHAR.search(paragraph))
    )


def _derive_title(lead: str) -> str:
    """The first clause of the lead sentence that says who did what."""
    clauses = _clauses(_first_sentence(lead))
    for clause in clauses:
        if not _TIME_CLAUSE.match(clause) and not _ADVERBIAL.match(clause):
            return _shorten(clause)
    return _shorten(clauses[0] if clauses else lead)


def _first_sentence(text: str) -> str:
    """Up to its first sentence end that is more than an ellipsis: a lead that lists things
    trails off before saying what they are (口罩、核酸检测试剂、菜篮子……战“疫”必需品……)."""
    for end in SENTENCE_END.finditer(text):
        mark = end.group().lstrip("…")
        if mark.rstrip(CLOSERS):
            return text[: end.end() - len(mark)]
    return text


def _clauses(sentence: str) -> list[str]:
    # Commas inside quotes (“党员群众同心，共治共建家园”) do not end a clause.
    clauses, depth, current = [], 0, []
    for char in sentence:
        depth += (char in "“‘《「（(") - (char in "”’》」）)")
        if char in _CLAUSE_BREAK and depth <= 0:
            clauses.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    clauses.append("".join(current).strip())
    return [clause for clause in clauses if clause]


def _shorten(clause: str) -> str:
    return clause if len(clause) <= _TITLE_MAX_CHARS else clause[: _TITLE_MAX_CHARS - 1] + "…"
