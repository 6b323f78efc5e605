"""The quiz: a sentence with a number or a quoted phrase blanked out.

Multiple choice adds distractors of the same kind from other sentences of the sources
(numbers with the same unit, closest in size first; other quoted phrases, from the same
article and of similar length first), never one the stem shows; options are shuffled by a
hash of the stem, so a pack is the same every time. The answer key cites the sentence the
blank came from."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from index.text.chars import HAN_CHAR
from index.text.normalise import key_form
from rag.citations import QUOTED, numbers
from rag.prompts import load_text
from rag.study.figures import FIGURE
from rag.study.sentences import Sentence, fits, spread

BLANK = "____"
QUIZ_PER_KIND = 5
DISTRACTORS = 3  # a choice question has the answer and up to this many wrong options
MIN_DISTRACTORS = 2  # with fewer, guessing is too easy: the sentence becomes a blank instead
QUIZ_CHARS = (12, 150)
QUIZ_PHRASE_CHARS = (2, 12)  # a blank longer than this is a recitation test


@dataclass(frozen=True)
class QuizItem:
    kind: Literal["choice", "blank"]
    stem: str
    options: list[str]  # shuffled, answer among them; empty for a blank
    answer: str
    n: int
    sentence: str  # the source sentence, verbatim, that holds the answer


@dataclass(frozen=True)
class _Fact:
    """A number or a quoted phrase of a sentence that a quiz can blank out."""

    sentence: Sentence
    start: int  # span of the answer in the sentence text
    end: int
    kind: str  # the unit of a number (人, %), or "phrase"

    @property
    def answer(self) -> str:
        return self.sentence.text[self.start : self.end]

    def blanked(self) -> str:
        return self.sentence.text[: self.start] + BLANK + self.sentence.text[self.end :]


@dataclass(frozen=True)
class _Question:
    fact: _Fact
    distractors: tuple[str, ...]  # empty for a blank


def quiz(sentences: list[Sentence]) -> list[_Question]:
    """Up to ``QUIZ_PER_KIND`` choice questions, then as many blanks; a sentence is asked
    once, about its fact with the most distractors, and an answer is asked once. Kinds
    alternate while both can grow."""
    facts = {s: _facts(s) for s in sentences}
    every = [f for found in facts.values() for f in found]
    choice: list[_Question] = []
    blank: list[_Question] = []
    asked: set[str] = set()
    for sentence in spread(s for s in sentences if facts[s] and fits(s.text, QUIZ_CHARS)):
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


def _facts(sentence: Sentence) -> list[_Fact]:
    """Its numbers with units and short quoted phrases, each written only once in it, so
    the stem does not give the answer away."""
    text = sentence.text
    found = [_Fact(sentence, *m.span("value"), _unit(m)) for m in FIGURE.finditer(text)]
    for match in QUOTED.finditer(text):
        group = 1 if match.group(1) else 2
        if fits(match.group(group), QUIZ_PHRASE_CHARS) and HAN_CHAR.search(match.group(group)):
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


def quiz_item(question: _Question, n: int, prompts_dir: Path) -> QuizItem:
    fact = question.fact
    if not question.distractors:
        return QuizItem("blank", fact.blanked(), [], fact.answer, n, fact.sentence.text)
    stem = load_text("study_quiz_choice", prompts_dir).format(sentence=fact.blanked())
    # A hash, not random: the same sources give the same pack, answer key and all.
    options = sorted([fact.answer, *question.distractors], key=lambda o: hashlib.sha1(f"{stem}|{o}".encode()).digest())
    return QuizItem("choice", stem, options, fact.answer, n, fact.sentence.text)
