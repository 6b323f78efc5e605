"""Ratings with their question, answer and citations, kept in SQLite."""

from __future__ import annotations

import json

from tests.webui.test_render import answer
from webui.feedback import FeedbackLog


def test_a_rating_keeps_question_answer_citations_and_a_later_comment(tmp_path):
    log = FeedbackLog(tmp_path / "data" / "feedback.sqlite")
    up = log.record(answer(), liked=True)
    down = log.record(answer(), liked=False, comment=" 数字不对 ")
    log.set_comment(up, "很有用")
    rows = log.rows()
    assert [(r["id"], r["rating"], r["comment"]) for r in rows] == [(up, 1, "很有用"), (down, -1, "数字不对")]
    assert rows[0]["question"] == "东华村户籍人口有多少？" and "[1]" in rows[0]["answer"]
    assert json.loads(rows[0]["citations"])[0]["doc_id"] == "002#1"
    assert rows[0]["created"].endswith("+00:00")
