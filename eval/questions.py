"""Evaluation questions from JSON Lines, validated with messages that say how to fix each line.

Two shapes are accepted, so the seed set and the external benchmarks load alike:
seeds ``{"id", "question", "answers", "answerable", "doc_ids"}`` and benchmarks
``{"id", "question", "answers", "doc_id" | "doc_ids", ...}`` (answerable unless it says not).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

_NEEDED = "each line needs id, question, answers"


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    answerable: bool
    doc_ids: tuple[str, ...]


class DatasetError(ValueError):
    """Every bad line of a dataset, one message per line."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: {len(problems)} bad line(s)\n" + "\n".join(problems))
        self.problems = problems


def load_questions(path: Path, limit: int | None = None) -> list[Question]:
    """The first ``limit`` questions of ``path`` (all when None); raises DatasetError listing every bad line."""
    questions: list[Question] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            question = parse_question(line)
            if question.id in seen:
                raise ValueError(f"duplicate id {question.id!r} (ids must be unique)")
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        seen.add(question.id)
        questions.append(question)
    if problems:
        raise DatasetError(path, problems)
    if not questions:
        raise DatasetError(path, [f"no questions ({_NEEDED})"])
    return questions[:limit] if limit else questions


def parse_question(line: str) -> Question:
    """One line; a ValueError's message names the problem and the fix."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(row, dict):
        raise ValueError(f"not a JSON object ({_NEEDED})")
    for key in ("id", "question", "answers"):
        if key not in row:
            raise ValueError(f"missing {key!r} ({_NEEDED})")
    for key in ("id", "question"):
        if not isinstance(row[key], str) or not row[key].strip():
            raise ValueError(f"{key!r} must be a non-empty string")
    answers = _strings(row, "answers")
    answerable = row.get("answerable", True)
    if not isinstance(answerable, bool):
        raise ValueError("'answerable' must be true or false")
    doc_ids = _doc_ids(row)
    if answerable and not answers:
        raise ValueError("'answers' is empty: give the gold answer(s), or set \"answerable\": false")
    if answerable and not doc_ids:
        raise ValueError('no gold document: add "doc_ids": [...] (or "doc_id"), or set "answerable": false')
    if not answerable and (answers or doc_ids):
        raise ValueError("an unanswerable question must have empty 'answers' and no doc ids")
    return Question(row["id"], row["question"], tuple(answers), answerable, tuple(doc_ids))


def _strings(row: dict, key: str) -> list[str]:
    value = row[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f'{key!r} must be a list of non-empty strings, e.g. ["1867人"]')
    return value


def _doc_ids(row: dict) -> list[str]:
    if "doc_ids" in row:
        return _strings(row, "doc_ids")
    if "doc_id" in row:
        if not isinstance(row["doc_id"], str) or not row["doc_id"].strip():
            raise ValueError("'doc_id' must be a non-empty string")
        return [row["doc_id"]]
    return []
