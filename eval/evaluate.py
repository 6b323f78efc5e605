"""`policyqa eval`: one dataset, one retriever, one backend -> results, report, history chart."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from eval.paths import RUNS_DIR
from eval.questions import load_questions
from eval.report import write_run
from eval.runner import run_target, target_for
from eval.summary import misses, summarise
from core.settings import Settings


def default_out(dataset: Path) -> Path:
    return RUNS_DIR / dataset.stem


def run_eval(
    dataset: Path,
    settings: Settings,
    out: Path,
    docs: Path | None = None,
    retriever: str | None = None,
    backend: str | None = None,
    limit: int | None = None,
) -> dict:
    """Run, write ``out``/{results.jsonl, report.json, report.md, chart.png}, return the report."""
    started = time.perf_counter()
    questions = load_questions(dataset, limit)
    mode, backend = retriever or settings.retriever, backend or settings.backend
    target = target_for(settings, docs)
    ingest, [run] = run_target(target, questions, [mode], backend)
    report = {
        "set": dataset.stem,
        "dataset": str(dataset),
        "docs": str(docs) if docs else None,
        "collection": target.settings.collection,
        "retriever": mode,
        "backend": backend,
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "metrics": summarise(questions, run.rows),
        "ingest": ingest,
        "seconds": round(time.perf_counter() - started, 1),
        "finished": datetime.now().isoformat(timespec="seconds"),
        "misses": misses(questions, run.rows),
    }
    write_run(out, run.rows, report)
    return report
