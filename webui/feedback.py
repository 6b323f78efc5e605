"""Thumbs up/down on answers, kept in SQLite in the data directory with what was rated."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from rag.types import Answer

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    rating INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
);
"""


class FeedbackLog:
    """One row per rating. Each call opens its own connection: UI events run on many threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> closing[sqlite3.Connection]:
        return closing(sqlite3.connect(self.path))

    def record(self, answer: Answer, liked: bool, comment: str = "") -> int:
        """Store a rating of ``answer`` (+1 or -1); returns its id, for a comment added later."""
        citations = json.dumps([asdict(c) for c in answer.citations], ensure_ascii=False)
        row = (
            datetime.now(timezone.utc).isoformat(timespec="seconds"),
            answer.question,
            answer.answer,
            citations,
            1 if liked else -1,
            comment.strip(),
        )
        with self._connect() as db, db:
            cursor = db.execute(
                "INSERT INTO feedback (created, question, answer, citations, rating, comment) VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cursor.lastrowid)

    def set_comment(self, feedback_id: int, comment: str) -> None:
        with self._connect() as db, db:
            db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment.strip(), feedback_id))

    def rows(self) -> list[dict]:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM feedback ORDER BY id")]
