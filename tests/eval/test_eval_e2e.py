"""`policyqa eval`, `eval-bench` and `eval-gate` on the seed set over the sample corpus, with the real model."""

import json

import pytest

from eval.paths import SEEDS
from policyqa.cli import main

pytestmark = pytest.mark.e2e


def test_seed_eval_writes_results_report_and_chart(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYQA_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "run"
    assert main(["eval", str(SEEDS), "--limit", "10", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 10 and all(0 < len(r["retrieved"]) <= 10 for r in rows)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["metrics"]["hit@5"] >= 0.9  # the first seeds are plain fact questions on the sample index
    assert (out / "report.md").is_file() and (out / "chart.png").stat().st_size > 0


def test_bench_on_the_seeds_writes_one_table_the_gate_reads(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYQA_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "bench"
    argv = ["eval-bench", "--sets", "seeds", "--retrievers", "bm25,dense,hybrid", "--limit", "5", "--out", str(out)]
    assert main(argv) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [r["retriever"] for r in report["runs"]] == ["bm25", "dense", "hybrid"]
    assert [(p["alone"], p["better"] + p["worse"] + p["same"]) for p in report["paired"]] == [("bm25", 5), ("dense", 5)]
    table = (out / "report.md").read_text(encoding="utf-8")
    assert "| seeds | dense | 5 |" in table and "| seeds | bm25 | " in table.split("fused better")[1]
    limits = tmp_path / "thresholds.toml"
    limits.write_text('[seeds.bm25]\n"hit@5" = 0.2\n[seeds.dense]\n"hit@5" = 1.01\n', encoding="utf-8")
    assert main(["eval-gate", str(out / "report.json"), "--thresholds", str(limits)]) == 1
