"""Refusing the questions the corpus cannot answer, and only those."""

from __future__ import annotations

from collections.abc import Sequence


def refusal_metrics(cases: Sequence[tuple[bool, bool]]) -> dict[str, float | None]:
    """Precision and recall of refusal as a detector of unanswerable questions.

    ``cases`` are (answerable, refused) per question; a metric with no denominator is None
    (no refusals at all, or a set without unanswerable questions).
    """
    answerable_if_refused = [answerable for answerable, refused in cases if refused]
    correct = answerable_if_refused.count(False)
    unanswerable = sum(not answerable for answerable, _ in cases)
    return {
        "refusal_precision": correct / len(answerable_if_refused) if answerable_if_refused else None,
        "refusal_recall": correct / unanswerable if unanswerable else None,
    }
