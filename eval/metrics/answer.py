"""Answer quality against gold spans: containment, CMRC-style character F1 and exact match.

CMRC 2018's official script scores F1 on the longest common substring of the two
character sequences, and takes the best score over the gold answers; so do we.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eval.metrics.text import normalise


@dataclass(frozen=True)
class AnswerScore:
    contains: bool
    f1: float
    em: bool


def score_answer(answer: str, golds: Sequence[str]) -> AnswerScore:
    norm = normalise(answer)
    gold_norms = [g for g in map(normalise, golds) if g]
    return AnswerScore(
        contains=any(g in norm for g in gold_norms),
        f1=max((char_f1(norm, g) for g in gold_norms), default=0.0),
        em=norm in gold_norms,
    )


def char_f1(prediction: str, gold: str) -> float:
    """F1 of two normalised strings, with the longest common substring as the overlap."""
    overlap = longest_common_substring(prediction, gold)
    if not overlap:
        return 0.0
    precision, recall = overlap / len(prediction), overlap / len(gold)
    return 2 * precision * recall / (precision + recall)


def longest_common_substring(a: str, b: str) -> int:
    best = 0
    previous = [0] * (len(b) + 1)
    for ch in a:
        current = [0] * (len(b) + 1)
        for j, other in enumerate(b, start=1):
            if ch == other:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def answer_metrics(scores: Sequence[AnswerScore]) -> dict[str, float | None]:
    """Means over the scored (answerable) questions; refusals score as wrong answers."""
    if not scores:
        return {"contains": None, "f1": None, "em": None}
    n = len(scores)
    return {
        "contains": sum(s.contains for s in scores) / n,
        "f1": sum(s.f1 for s in scores) / n,
        "em": sum(s.em for s in scores) / n,
    }
