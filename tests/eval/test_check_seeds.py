import importlib.util
import json

from eval.paths import REPO_ROOT, SEEDS

_spec = importlib.util.spec_from_file_location("check_seeds", REPO_ROOT / "eval" / "datasets" / "check_seeds.py")
check_seeds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_seeds)


def seed(**fields) -> dict:
    base = {
        "id": "s1",
        "question": "东华村在册党员有多少人？",
        "answers": ["118人"],
        "answerable": True,
        "doc_ids": ["002_258a9ff317ac8ce5#1"],
        "type": "fact",
    }
    return {**base, **fields}


def hard(**fields) -> dict:
    base = {"id": "h1", "question": "上海城中村治理有哪些做法？", "answers": [], "answerable": False, "doc_ids": []}
    return {**base, "type": "unanswerable-hard", "kind": "other_place", **fields}


def row_errors(*rows: dict) -> list[str]:
    """The errors about the rows themselves (the per-type minimums aside)."""
    return [e for e in check_seeds.check(list(rows)) if not e.startswith("type ")]


def test_the_seed_set_passes():
    rows = [json.loads(line) for line in SEEDS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert check_seeds.check(rows) == []


def test_an_answer_with_its_unit_passes():
    assert row_errors(seed()) == []
    assert row_errors(seed(id="p", question="火炼树城市更新项目整体拆除率达到多少？", answers=["95%"], doc_ids=["001_3e734db6665a666c"])) == []


def test_bare_number_answers_are_rejected_even_beside_the_unit():
    errors = row_errors(seed(answers=["118人", "118"]))
    assert errors == ["s1: bare number '118': give the unit from the article (e.g. '118人')"]
    assert row_errors(seed(id="d", answers=["1.5"], doc_ids=["002_258a9ff317ac8ce5#1"]))[0].startswith(
        "d: bare number '1.5'"
    )
    assert row_errors(seed(id="w", answers=["１１８"]))[0].startswith("w: bare number")  # full width too


def test_hard_unanswerable_questions_need_a_known_kind():
    assert row_errors(hard()) == []
    assert row_errors(hard(kind="rumour")) == ["h1: kind 'rumour' not one of " + str(sorted(check_seeds.HARD_KINDS))]
    assert row_errors(hard(kind="missing_fact")) == []
    without_kind = hard(id="h3", question="深圳？")
    del without_kind["kind"]
    assert row_errors(without_kind)[0].startswith("h3: keys")


def test_hard_unanswerable_questions_have_no_gold_and_kind_only_goes_with_that_type():
    assert row_errors(hard(answers=["x"]))[0] == "h1: unanswerable question needs empty answers and doc_ids"
    assert row_errors(hard(answerable=True))[0] == "h1: answerable does not match type unanswerable-hard"
    assert row_errors(seed(kind="missing_fact"))[0].startswith("s1: keys")


def test_too_few_hard_unanswerable_questions_fail():
    assert "type unanswerable-hard: 1 < 30" in check_seeds.check([hard()])
