import json

import pytest

from eval.paths import SEEDS
from eval.questions import DatasetError, Question, load_questions


def write(tmp_path, *lines: str):
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def row(**fields) -> str:
    base = {"id": "q1", "question": "东华村户籍人口有多少？", "answers": ["1867人"], "doc_ids": ["d1"]}
    return json.dumps({**base, **fields}, ensure_ascii=False)


def problems(path) -> list[str]:
    with pytest.raises(DatasetError) as caught:
        load_questions(path)
    return caught.value.problems


def test_seed_set_loads():
    questions = load_questions(SEEDS)
    assert len(questions) == 151
    assert any(not q.answerable and not q.doc_ids for q in questions)


def test_benchmark_shape_with_doc_id_loads_as_answerable(tmp_path):
    path = write(
        tmp_path, json.dumps({"id": "c1", "question": "谁？", "answers": ["甲"], "doc_id": "x", "source": "cmrc"})
    )
    assert load_questions(path) == [Question("c1", "谁？", ("甲",), True, ("x",))]


def test_limit_keeps_the_first_questions(tmp_path):
    path = write(tmp_path, row(id="a"), row(id="b"), row(id="c"))
    assert [q.id for q in load_questions(path, limit=2)] == ["a", "b"]


def test_every_bad_line_is_reported_with_its_number_and_fix(tmp_path):
    missing_question = json.dumps({"id": "q2", "answers": ["x"], "doc_ids": ["d"]})
    path = write(tmp_path, row(), "", missing_question, "{not json", row(answers="1867人"), row())
    assert problems(path) == [
        "line 3: missing 'question' (each line needs id, question, answers)",
        "line 4: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
        "line 5: 'answers' must be a list of non-empty strings, e.g. [\"1867人\"]",
        "line 6: duplicate id 'q1' (ids must be unique)",
    ]


def test_answerable_questions_need_answers_and_documents(tmp_path):
    path = write(tmp_path, row(id="a", answers=[]), row(id="b", doc_ids=[]))
    found = problems(path)
    assert 'set "answerable": false' in found[0] and found[0].startswith("line 1: 'answers' is empty")
    assert found[1].startswith('line 2: no gold document: add "doc_ids"')


def test_unanswerable_questions_must_not_have_gold(tmp_path):
    path = write(tmp_path, row(answerable=False))
    assert problems(path) == ["line 1: an unanswerable question must have empty 'answers' and no doc ids"]


def test_empty_file_says_what_a_line_needs(tmp_path):
    assert problems(write(tmp_path, "")) == ["no questions (each line needs id, question, answers)"]


def test_extra_fields_such_as_a_hard_kind_are_ignored(tmp_path):
    line = row(answers=[], answerable=False, doc_ids=[], type="unanswerable-hard", kind="missing_fact")
    assert load_questions(write(tmp_path, line)) == [Question("q1", "东华村户籍人口有多少？", (), False, ())]
