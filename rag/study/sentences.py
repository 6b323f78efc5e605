"""The sentences every part of a study pack picks from, scored once, and the walk that
picks them.

Each sentence of the sources is scored by the weighted share of the topic's content terms
it holds (as the extractive backend scores sentences against a question), plus the share
of its article's title and section heading words it repeats (a sentence that echoes its
heading states the point of that section), a bonus for a quoted official phrase (提法) and
a little for the rank of its chunk. Every part of the pack walks the sentences best first,
each pick discounting the next sentence of the same article, so the pack spans its
sources. One scoring for all parts keeps key points, figures, quiz and discussion on the
same passages."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import jieba

from index.text.chars import HAN_CHAR
from index.text.normalise import key_form
from index.text.sentences import sentence_spans
from rag.citations import QUOTED
from rag.evidence import term_weights
from rag.extractive import RANK_WEIGHT, article_of
from rag.question import analyse
from rag.types import RetrievedChunk

ECHO_WEIGHT = 0.5
QUOTE_BONUS = 0.2
SAME_ARTICLE_DISCOUNT = 0.6  # each pick from an article multiplies its next sentence's score by this

_QUESTION_END = re.compile(r"[？?][”’」』）)]*$")


@dataclass(frozen=True)
class Sentence:
    hit: int  # 0-based position of its chunk in the hits
    start: int  # offset in the chunk text, for reading order
    text: str  # verbatim
    article: str
    score: float


def scored_sentences(topic: str, hits: Sequence[RetrievedChunk]) -> list[Sentence]:
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
        sentences.append(Sentence(i, start, text, article_of(hits[i]), score))
    return sentences


def _heading_words(hit: RetrievedChunk) -> set[str]:
    text = key_form(f"{hit.chunk.title} {hit.chunk.section}")
    return {w for w in jieba.lcut(text) if len(w) > 1 and HAN_CHAR.search(w)}


def spread(sentences: Iterable[Sentence]) -> list[Sentence]:
    """Best first, each pick discounting the rest of its article, so sources take turns."""
    left = list(sentences)
    picked: list[Sentence] = []
    per_article: Counter[str] = Counter()
    while left:
        best = max(left, key=lambda s: s.score * SAME_ARTICLE_DISCOUNT ** per_article[s.article])
        left.remove(best)
        picked.append(best)
        per_article[best.article] += 1
    return picked


def fits(text: str, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= len(text) <= bounds[1]
