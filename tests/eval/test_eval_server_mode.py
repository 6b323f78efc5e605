"""Evaluation against a Chroma server scores exactly as against the embedded store, on the same corpus."""

from __future__ import annotations

import json

import pytest

from eval.paths import SEEDS
from eval.questions import load_questions
from eval.runner import answer_all
from eval.summary import summarise
from policyqa.cli import main
from tests.conftest import cli_args, make_settings

QUESTIONS = load_questions(SEEDS, 12)


def without_latency(rows_or_metrics):
    if isinstance(rows_or_metrics, dict):
        return {k: v for k, v in rows_or_metrics.items() if not k.startswith("latency")}
    return [without_latency(row) for row in rows_or_metrics]


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_the_runner_answers_and_ranks_alike_in_both_modes(fake_index, server_fake_index, mode):
    embedded = answer_all(fake_index, QUESTIONS, mode, "extractive")
    served = answer_all(server_fake_index, QUESTIONS, mode, "extractive")
    assert without_latency(served) == without_latency(embedded)
    metrics = summarise(QUESTIONS, served)
    assert metrics["hit@5"] > 0.5 and without_latency(metrics) == without_latency(summarise(QUESTIONS, embedded))


def eval_report(monkeypatch, out, settings, *args: str) -> dict:
    """`policyqa eval` on the first seeds over the index of ``settings`` (data dir, collection, Chroma server)."""
    argv = [*cli_args(monkeypatch, settings), "eval", str(SEEDS), "--limit", "8", "--out", str(out), *args]
    assert main(argv) == 0
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


# BM25 embeds no question, so the command runs on the hash-embedded indexes without loading a model.
def test_policyqa_eval_reports_the_same_metrics_in_both_modes(fake_index, server_fake_index, monkeypatch, tmp_path):
    embedded = eval_report(monkeypatch, tmp_path / "embedded", fake_index.settings, "--retriever", "bm25")
    served = eval_report(monkeypatch, tmp_path / "served", server_fake_index.settings, "--retriever", "bm25")
    assert served["ingest"] == {"skipped": "collection not empty", "chunks_total": server_fake_index.store.count()}
    assert served["metrics"]["hit@5"] > 0.5
    assert without_latency(served["metrics"]) == without_latency(embedded["metrics"])


@pytest.mark.e2e
def test_policyqa_eval_with_the_model_fills_a_server_collection_and_scores_as_embedded(
    sample_index, chroma_url, monkeypatch, tmp_path
):
    embedded = eval_report(monkeypatch, tmp_path / "embedded", sample_index.settings)
    server = make_settings(tmp_path / "data", chroma_url=chroma_url, collection="eval_e2e")
    served = eval_report(monkeypatch, tmp_path / "served", server)  # ingests the sample corpus: the collection is empty
    assert served["ingest"]["chunks_total"] == sample_index.store.count() > 0
    assert not server.chroma_dir.exists()  # into the server, not an embedded store
    assert served["retriever"] == "hybrid" and served["metrics"]["hit@5"] > 0.5
    assert without_latency(served["metrics"]) == without_latency(embedded["metrics"])
