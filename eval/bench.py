"""`policyqa eval-bench`: every set with every retriever, the extractive backend, one table."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from eval.benchmarks import SETS, bench_set
from eval.paths import RUNS_DIR, SHARED_BENCHMARKS
from eval.metrics.paired import paired
from eval.questions import Question, load_questions
from eval.report import bench_markdown, write_json, write_rows
from eval.runner import ModeRun, run_target, target_for
from eval.summary import reciprocal_ranks, summarise
from core.settings import Settings

MODES = ("bm25", "dense", "hybrid")
BACKEND = "extractive"  # answer metrics must not depend on a model server being up
# Removal questions (eval.removal) are asked with the fused retriever only, the default one,
# which bounds CI time: each set's answerable questions are asked a fourth time at most.
REMOVAL_MODES = ("hybrid",)
DEFAULT_OUT = RUNS_DIR / "bench"


def run_bench(
    settings: Settings,
    sets: Sequence[str] = SETS,
    modes: Sequence[str] = MODES,
    out: Path = DEFAULT_OUT,
    shared: Path = SHARED_BENCHMARKS,
    limit: int | None = None,
) -> dict:
    """Write ``out``/report.{json,md} and the per-run results; return the report."""
    _check_choices(sets, SETS, "set")
    _check_choices(modes, MODES, "retriever")
    started = time.perf_counter()
    runs, ingest, comparisons = [], {}, []
    for name in sets:
        bench = bench_set(name, settings.data_dir, shared)
        questions = load_questions(bench.questions, limit)
        target = target_for(settings, bench.docs)
        ingest[name], mode_runs = run_target(target, questions, modes, BACKEND, REMOVAL_MODES)
        comparisons += _fused_against_alone(name, questions, mode_runs)
        for run in mode_runs:
            write_rows(out / "results" / f"{name}.{run.mode}.jsonl", run.rows)
            if run.removal is not None:
                write_rows(out / "results" / f"{name}.{run.mode}.removal.jsonl", run.removal)
            runs.append({
                "set": name,
                "retriever": run.mode,
                "questions": len(questions),
                "answerable": sum(q.answerable for q in questions),
                "metrics": summarise(questions, run.rows, run.removal),
                "seconds": run.seconds,
                "removal_seconds": run.removal_seconds,
            })  # fmt: skip
    report = {
        "backend": BACKEND,
        "limit": limit,
        "runs": runs,
        "paired": comparisons,
        "ingest": ingest,
        "seconds": round(time.perf_counter() - started, 1),
        "finished": datetime.now().isoformat(timespec="seconds"),
    }
    write_json(out / "report.json", report)
    (out / "report.md").write_text(bench_markdown(report), encoding="utf-8")
    return report


def _fused_against_alone(name: str, questions: list[Question], runs: list[ModeRun]) -> list[dict]:
    """Per-question wins and losses of the hybrid retriever against each retriever alone."""
    rr = {run.mode: reciprocal_ranks(questions, run.rows) for run in runs}
    if "hybrid" not in rr:
        return []
    return [{"set": name, "alone": mode, **paired(rr["hybrid"], rr[mode])} for mode in rr if mode != "hybrid"]


def _check_choices(given: Sequence[str], allowed: tuple[str, ...], what: str) -> None:
    unknown = [g for g in given if g not in allowed]
    if unknown or not given:
        raise ValueError(f"unknown {what} {', '.join(unknown) or '(none given)'}; choose from {','.join(allowed)}")
