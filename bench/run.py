"""Benchmarks: ingest throughput and warm question latency, measured side by side in one run.

Writes bench/runs/<name>.json and bench/runs/<name>.md. Usage:
    .venv/bin/python bench/run.py [--ncpqa ../shared/benchmarks/ncpqa/docs.jsonl] [--questions 20]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index.service import open_index  # noqa: E402
from policyqa.factory import open_assistant  # noqa: E402
from core.settings import Settings  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "runs"


def bench_ingest(name: str, paths: list[Path], data_dir: Path) -> dict:
    settings = Settings(data_dir=data_dir)
    with open_index(settings) as idx:
        first = idx.ingest(paths)
        started = time.perf_counter()
        again = idx.ingest(paths)
        second_s = time.perf_counter() - started
    return {
        "corpus": name,
        "documents": first.documents,
        "chunks": first.chunks,
        "ingest_s": first.seconds,
        "chunks_per_s": round(first.chunks / first.seconds, 1),
        "reingest_unchanged_s": round(second_s, 2),
        "reingest_embedded": again.chunks_embedded,
    }


def bench_questions(data_dir: Path, n: int) -> dict:
    questions = [json.loads(line)["question"] for line in (REPO / "eval/datasets/seeds.jsonl").open(encoding="utf-8")][:n]
    settings = Settings(data_dir=data_dir)
    with open_assistant(settings) as (_, chain):
        chain.ask(questions[0])  # warm: model load and first query excluded
        timings = [chain.ask(q).timings_ms for q in questions]
    return {
        "questions": len(timings),
        **{f"{k}_ms_median": round(statistics.median(t[k] for t in timings), 1) for k in ("retrieve", "generate", "total")},
        "total_ms_max": max(t["total"] for t in timings),
    }


def to_markdown(result: dict) -> str:
    lines = ["| corpus | documents | chunks | ingest s | chunks/s | re-ingest unchanged s | re-embedded |", "|---|---|---|---|---|---|---|"]
    lines += [
        f"| {r['corpus']} | {r['documents']} | {r['chunks']} | {r['ingest_s']} | {r['chunks_per_s']} | {r['reingest_unchanged_s']} | {r['reingest_embedded']} |"
        for r in result["ingest"]
    ]
    q = result["ask"]
    lines += ["", f"Warm `ask` (extractive, sample corpus), {q['questions']} seed questions: median retrieve "
              f"{q['retrieve_ms_median']} ms, generate {q['generate_ms_median']} ms, total {q['total_ms_median']} ms "
              f"(max {q['total_ms_max']} ms).", f"Peak RSS {result['peak_rss_mb']} MB; {result['machine']}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ncpqa", type=Path, default=REPO.parent / "shared/benchmarks/ncpqa/docs.jsonl")
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--name", default="latest")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sample_dir = Path(tmp) / "sample"
        ingest = [bench_ingest("sample (data/articles)", [REPO / "data/articles"], sample_dir)]
        if args.ncpqa.exists():
            ingest.append(bench_ingest("ncpqa docs.jsonl", [args.ncpqa], Path(tmp) / "ncpqa"))
        result = {
            "ingest": ingest,
            "ask": bench_questions(sample_dir, args.questions),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "machine": f"{os.cpu_count()} cores",
        }
    write_run(args.name, result, to_markdown(result))


def write_run(name: str, result: dict, markdown: str) -> None:
    """bench/runs/<name>.json and .md, and the table on stdout."""
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    (OUT / f"{name}.md").write_text(markdown, encoding="utf-8")
    print(markdown)


if __name__ == "__main__":
    main()
