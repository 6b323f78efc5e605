import json

from eval.questions import Question
from eval.report import write_run
from eval.summary import METRICS, summarise

QUESTIONS = [
    Question("q1", "东华村户籍人口有多少？", ("1867人",), True, ("d1",)),
    Question("q2", "市捐赠站站长是谁？", ("吴木蔚",), True, ("d2",)),
    Question("q3", "火星上有几个党支部？", (), False, ()),
]


def hit(doc_id: str, rank: int, canonical: str | None = None) -> dict:
    return {
        "doc_id": doc_id,
        "canonical_doc_id": canonical or doc_id,
        "chunk_id": f"{doc_id}:{rank}",
        "rank": rank,
        "score": 1 / rank,
    }


def result(qid: str, answer: str, refused: bool, cited: list[str], retrieved: list[dict], warnings=()) -> dict:
    return {
        "id": qid, "question": "?", "answer": answer, "refused": refused,
        "citations": [{"n": i, "text": t, "quote": t} for i, t in enumerate(cited, 1)],
        "warnings": list(warnings), "retrieved": retrieved, "latency_ms": 100.0 * len(qid),
    }  # fmt: skip


ROWS = [
    result("q1", "全村戶籍人口1867人[1]。", False, ["全村戶籍人口1867人。"], [hit("d1", 1), hit("d2", 2)]),
    result(
        "q2",
        "站长是吴木蔚[1]。",
        False,
        ["东城街道"],
        [hit("d9", 1), hit("x", 2, canonical="d2")],
        ["unsupported_number:3"],
    ),
    result("q3", "资料中没有找到。", True, [], [hit("d1", 1)]),
]


def test_summary_by_hand():
    metrics = summarise(QUESTIONS, ROWS)
    assert list(metrics) == list(METRICS)
    assert metrics["hit@1"] == 0.5 and metrics["hit@5"] == 1.0 and metrics["mrr"] == 0.75
    assert metrics["contains"] == 1.0 and metrics["em"] == 0.0
    assert metrics["chunk_cite_precision"] == 0.5 and metrics["chunk_cite_recall"] == 0.5
    assert metrics["quote_precision"] == 0.5 and metrics["quote_recall"] == 0.5
    assert metrics["refusal_precision"] == 1.0 and metrics["refusal_recall"] == 1.0
    assert metrics["false_refusal_rate"] == 0.0
    assert metrics["removal_questions"] is None and metrics["removal_refusal_recall"] is None
    assert metrics["unsupported_number_rate"] == 0.5


def report(metrics: dict) -> dict:
    return {
        "set": "tiny", "dataset": "tiny.jsonl", "docs": None, "collection": "c", "retriever": "hybrid",
        "backend": "extractive", "questions": 3, "answerable": 2, "metrics": metrics, "ingest": {},
        "seconds": 1.0, "finished": "2025-01-01T10:00:00", "misses": [],
    }  # fmt: skip


def test_run_files_are_written_and_history_grows(tmp_path):
    out = tmp_path / "run"
    metrics = summarise(QUESTIONS, ROWS)
    write_run(out, ROWS, report(metrics))
    write_run(out, ROWS, report({**metrics, "hit@1": 1.0}))
    assert [json.loads(line)["id"] for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()] == [
        "q1",
        "q2",
        "q3",
    ]
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["metrics"]["hit@1"] == 1.0
    assert "| hit@5 | 1.000 |" in (out / "report.md").read_text(encoding="utf-8")
    assert (out / "chart.png").read_bytes().startswith(b"\x89PNG") and (out / "chart.png").stat().st_size > 1000
    history = [json.loads(line) for line in (out / "history.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [h["metrics"]["hit@1"] for h in history] == [0.5, 1.0]


def test_quotes_are_judged_not_the_chunks_they_come_from():
    rows = [dict(r) for r in ROWS]
    rows[0] = {**rows[0], "citations": [{"n": 1, "text": "全村戶籍人口1867人。", "quote": "东华村位于东城街道。"}]}
    rows[1] = {**rows[1], "citations": [{"n": 1, "text": "站长吴木蔚", "quote": ""}]}  # no quote supports nothing
    metrics = summarise(QUESTIONS, rows)
    assert metrics["chunk_cite_precision"] == 1.0
    assert metrics["quote_precision"] == 0.0 and metrics["quote_recall"] == 0.0


def test_f1_and_em_judge_the_short_answer_when_there_is_one():
    rows = [{**ROWS[0], "short_answer": "1867人"}, {**ROWS[1], "short_answer": ""}, ROWS[2]]
    metrics = summarise(QUESTIONS, rows)
    assert metrics["em"] == 0.5  # q1 exact on its short answer; q2 falls back to the whole answer
    assert metrics["contains"] == 1.0


def test_false_refusals_and_removal_refusals():
    rows = [{**ROWS[0], "refused": True}, ROWS[1], ROWS[2]]
    removal = [{"id": "q1", "refused": True}, {"id": "q2", "refused": False}, {"id": "q3", "refused": True}]
    metrics = summarise(QUESTIONS, rows, removal)
    assert metrics["false_refusal_rate"] == 0.5
    assert metrics["removal_questions"] == 3 and metrics["removal_refusal_recall"] == round(2 / 3, 4)
    assert summarise(QUESTIONS, ROWS, [])["removal_refusal_recall"] is None
