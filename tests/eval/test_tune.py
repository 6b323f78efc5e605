import json

import pytest

from eval.benchmarks import bench_set, tuning_set
from eval.tune import ONE_LIST, OBJECTIVE, TuningQuestion, _level_or_above, _row, grid, tune_markdown
from index.search import ScoredChunk
from index.types import Chunk
from rag.fusion import FusionConfig


def chunk(doc_id: str, text: str) -> Chunk:
    return Chunk(doc_id=doc_id, text=text, search_text=text, start=0, end=len(text), title=doc_id)


def question(gold: str, bm25: list[str], dense: list[str]) -> TuningQuestion:
    """Hits are named ``<doc>:<n>``; each list scores its hits 10, 9, 8, ..."""
    by_name = {name: chunk(name.split(":")[0], f"{name}正文") for name in {*bm25, *dense}}

    def scored(names: list[str]) -> list[ScoredChunk]:
        return [ScoredChunk(by_name[n], 10.0 - i) for i, n in enumerate(names)]

    return TuningQuestion((gold,), {"bm25": scored(bm25), "dense": scored(dense)})


@pytest.fixture
def gathered():
    # BM25 finds the first question's gold document at rank 2, dense the second's at rank 2;
    # both put it in their top 3, so fusion can be right where each alone is wrong once.
    return {
        "toy": [
            question("g1", ["x:1", "g1:1", "y:1"], ["g1:1", "z:1", "x:1"]),
            question("g2", ["g2:1", "y:1", "x:1"], ["x:1", "g2:1", "z:1"]),
        ]
    }


def test_each_retriever_alone_is_scored_from_its_own_list(gathered):
    bm25 = _row("bm25", ONE_LIST, gathered, only="bm25")["metrics"]["toy"]
    dense = _row("dense", ONE_LIST, gathered, only="dense")["metrics"]["toy"]
    assert bm25["hit@1"] == 0.5 and bm25["mrr"] == pytest.approx(0.75)
    assert dense["hit@1"] == 0.5 and dense["mrr"] == pytest.approx(0.75)


def test_fusion_rows_carry_their_setting_and_objective(gathered):
    row = _row("rrf", FusionConfig("rrf", 1.0, 1.0, 60), gathered)
    assert row["config"]["method"] == "rrf" and row["config"]["rrf_k"] == 60
    assert row["metrics"]["toy"]["hit@5"] == 1.0
    assert 0 < row["objective"] <= 1


def test_fusion_that_finds_what_either_list_ranks_second_is_level_or_above_both(gathered):
    alone = [_row(name, ONE_LIST, gathered, only=name) for name in ("bm25", "dense")]
    fused = _row("rrf", FusionConfig("rrf", 1.0, 1.0, 60), gathered)
    assert fused["metrics"]["toy"]["hit@1"] == 1.0
    assert _level_or_above(fused, alone)


def test_one_metric_below_either_retriever_alone_is_not_level_or_above():
    def row(**changed):
        return {"metrics": {"toy": {key: changed.get(key.replace("@", ""), 0.8) for key in OBJECTIVE}}}

    alone = [row(), row(hit5=0.9)]
    assert _level_or_above(row(hit5=0.9), alone)
    assert not _level_or_above(row(hit5=0.9, mrr=0.79), alone)
    assert not _level_or_above(row(hit1=1.0), alone)  # better first hits do not make up for hit@5


def test_grid_covers_both_fusion_functions_with_bm25_fixed():
    configs = list(grid())
    assert {c.method for c in configs} == {"rrf", "convex"}
    assert {c.bm25_weight for c in configs} == {1.0}
    assert len({(c.method, c.dense_weight, c.rrf_k if c.method == "rrf" else 0) for c in configs}) == len(configs)


def test_markdown_lists_the_single_retrievers_first(gathered):
    alone = [_row(name, ONE_LIST, gathered, only=name) for name in ("bm25", "dense")]
    fused = [{**_row("convex dense 1", FusionConfig("convex", 1.0, 1.0, 0), gathered), "level_or_above_alone": True}]
    report = {"sets": {"toy": 2}, "objective": "o", "alone": alone, "fused": fused, "seconds": 0}
    report |= {"chosen": "convex dense 1", "configured": "rrf k=2 dense 0.4"}
    table = tune_markdown(report).splitlines()
    assert [line.split(" | ")[0] for line in table if line.startswith("| ") and "setting" not in line and "---" not in line] == [
        "| bm25",
        "| dense",
        "| convex dense 1",
    ]
    assert table[-1].endswith("| ✓ |") and "Chosen: convex dense 1" in tune_markdown(report)


@pytest.mark.parametrize("name", ["ncpqa", "crud"])
def test_tuning_questions_are_never_ci_questions(name, tmp_path):
    tune, ci = tuning_set(name, tmp_path), bench_set(name, tmp_path)
    read = lambda path: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]  # noqa: E731
    tune_questions = read(tune.questions)
    assert tune.questions.name == f"{name}-tune.qa.jsonl"
    assert not {q["id"] for q in tune_questions} & {q["id"] for q in read(ci.questions)}
    assert {d for q in tune_questions for d in q["doc_ids"]} <= {d["doc_id"] for d in read(tune.docs)}
