"""`policyqa eval-tune`: choose how BM25 and dense are fused, on questions CI never asks.

Each tuning question is searched once per retriever; every fusion setting of the grid is then
scored from those two candidate lists, so the grid costs seconds once the documents are in.
The chosen setting is the best by the objective among those at or above each retriever alone
on every objective metric of every set (a fused retriever that loses to BM25 somewhere is not
worth its cost). It is judged by `eval-bench` on the CI samples, which share no question with these.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from statistics import mean

from eval.benchmarks import tuning_set
from eval.metrics.retrieval import retrieval_metrics
from eval.paths import RUNS_DIR, SHARED_BENCHMARKS
from eval.questions import load_questions
from eval.report import fmt, write_json
from eval.runner import RETRIEVED_DEPTH, ensure_ingested, target_for
from index.text.script import to_simplified
from index.service import open_index
from core.settings import Settings
from rag.fusion import FusionConfig
from policyqa.factory import build_retriever
from rag.retrieve import Candidates, HybridRetriever, fuse_candidates, fusion_config

DEFAULT_OUT = RUNS_DIR / "tune"
# The score a setting is chosen by: first-hit quality and what the answerer's five chunks hold.
OBJECTIVE = ("hit@1", "hit@5", "mrr", "recall@5")
RRF_KS = (1, 2, 5, 10, 20, 60)
DENSE_WEIGHTS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5)  # BM25 stays at 1: only the ratio matters
ALONE = ("bm25", "dense")
ONE_LIST = FusionConfig("rrf", 1.0, 1.0, 60)  # any setting keeps the order of a single list


@dataclass(frozen=True)
class TuningQuestion:
    """What fusion needs of one question: its gold documents and both candidate lists."""

    gold: tuple[str, ...]
    candidates: Candidates


def grid() -> Iterator[FusionConfig]:
    for k in RRF_KS:
        yield from (FusionConfig("rrf", 1.0, w, k) for w in DENSE_WEIGHTS)
    yield from (FusionConfig("convex", 1.0, w, 0) for w in DENSE_WEIGHTS)


def run_tune(settings: Settings, sets: Sequence[str], out: Path = DEFAULT_OUT, shared: Path = SHARED_BENCHMARKS) -> dict:
    """Score every fusion setting and each retriever alone on the tuning sets; write tune.{json,md}."""
    started = time.perf_counter()
    gathered = {name: _gather(settings, name, shared) for name in sets}
    alone = [_row(name, ONE_LIST, gathered, only=name) for name in ALONE]
    ranked = sorted((_row(_label(c), c, gathered) for c in grid()), key=lambda r: r["objective"], reverse=True)
    for row in ranked:
        row["level_or_above_alone"] = _level_or_above(row, alone)
    report = {
        "sets": {name: len(questions) for name, questions in gathered.items()},
        "objective": f"mean over sets of mean({', '.join(OBJECTIVE)})",
        "alone": alone,
        "fused": ranked,
        "chosen": next((r["label"] for r in ranked if r["level_or_above_alone"]), ranked[0]["label"]),
        "configured": _label(fusion_config(settings)),
        "seconds": round(time.perf_counter() - started, 1),
        "finished": datetime.now().isoformat(timespec="seconds"),
    }
    write_json(out / "tune.json", report)
    (out / "tune.md").write_text(tune_markdown(report), encoding="utf-8")
    return report


def _gather(settings: Settings, name: str, shared: Path) -> list[TuningQuestion]:
    bench = tuning_set(name, settings.data_dir, shared)
    target = target_for(settings, bench.docs)
    ensure_ingested(target)
    with open_index(target.settings) as idx:
        retriever = build_retriever(idx.settings, idx.store, "hybrid")
        return [_searched(retriever, q.question, q.doc_ids) for q in load_questions(bench.questions) if q.doc_ids]


def _searched(retriever: HybridRetriever, question: str, gold: Sequence[str]) -> TuningQuestion:
    return TuningQuestion(tuple(gold), retriever.candidates(to_simplified(question)))


def _row(label: str, config: FusionConfig, gathered: dict[str, list[TuningQuestion]], only: str = "") -> dict:
    """One setting's metrics per set; ``only`` scores that retriever's list alone (its order kept)."""
    metrics = {name: _metrics(questions, config, only) for name, questions in gathered.items()}
    objective = mean(mean(m[key] for key in OBJECTIVE) for m in metrics.values())
    return {"label": label, "config": asdict(config) if not only else None, "metrics": metrics, "objective": objective}


def _metrics(questions: list[TuningQuestion], config: FusionConfig, only: str) -> dict:
    cases = []
    for q in questions:
        candidates = {only: q.candidates.get(only, [])} if only else q.candidates
        hits = fuse_candidates(candidates, config)[:RETRIEVED_DEPTH]
        cases.append(([{h.chunk.doc_id, h.chunk.story_id} for h in hits], q.gold))
    return retrieval_metrics(cases)


def _level_or_above(row: dict, alone: list[dict]) -> bool:
    """At or above each retriever alone on every objective metric of every set."""
    return all(
        row["metrics"][name][key] >= other["metrics"][name][key]
        for other in alone
        for name in row["metrics"]
        for key in OBJECTIVE
    )


def _label(config: FusionConfig) -> str:
    ratio = f"dense {config.dense_weight / config.bm25_weight:g}"
    return f"rrf k={config.rrf_k} {ratio}" if config.method == "rrf" else f"convex {ratio}"


def tune_markdown(report: dict, top: int = 15) -> str:
    sets = list(report["sets"])
    head = " | ".join(f"{name} {key}" for name in sets for key in OBJECTIVE)
    lines = [
        "# Fusion tuning",
        "",
        f"Tuning questions: {', '.join(f'{n} {c}' for n, c in report['sets'].items())} (none in the CI samples). "
        f"Objective: {report['objective']}. Chosen: {report['chosen']}. Configured now: {report['configured']}. "
        f"{report['seconds']} s. ✓: at or above each retriever alone on every objective metric.",
        "",
        f"| setting | {head} | objective | ✓ |",
        "|" + " --- |" * (3 + len(sets) * len(OBJECTIVE)),
    ]
    for row in report["alone"] + report["fused"][:top]:
        cells = " | ".join(fmt(row["metrics"][name][key]) for name in sets for key in OBJECTIVE)
        mark = {True: "✓", False: "", None: "–"}[row.get("level_or_above_alone")]
        lines.append(f"| {row['label']} | {cells} | {fmt(row['objective'])} | {mark} |")
    return "\n".join(lines) + "\n"

