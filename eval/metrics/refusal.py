"""Refusing the questions the corpus cannot answer, and only those."""

from __future__ import annotations

from collections.abc import Sequence


def refusal_metrics(cases: Sequence[tuple[bool, bool]]) -> dict[str, float | None]:
    """Precision and recall of refusal as a detector of unanswerable questions, and how often an
    answerable question is refused.

    ``cases`` are (answerable, refused) per question; a metric with no denominator is None
    (no refusals at all, or a set without unanswerable or without answerable questions).
    """
    answerable_if_refused = [answerable for answerable, refused in cases if refused]
    correct = answerable_if_refused.count(False)
    unanswerable = sum(not answerable for answerable, _ in cases)
    answerable = len(cases) - unanswerable
    return {
        "refusal_precision": correct / len(answerable_if_refused) if answerable_if_refused else None,
        "refusal_recall": correct / unanswerable if unanswerable else None,
        "false_refusal_rate": answerable_if_refused.count(True) / answerable if answerable else None,
    }


def removal_metrics(refused: Sequence[bool] | None) -> dict[str, float | None]:
    """Questions asked with their gold documents (and copies) left out of the search, whose
    answer no remaining document holds: each should be refused. None: not asked this run."""
    if refused is None:
        return {"removal_questions": None, "removal_refusal_recall": None}
    return {
        "removal_questions": len(refused),
        "removal_refusal_recall": sum(refused) / len(refused) if refused else None,
    }
