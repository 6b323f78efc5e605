"""Serving memory before and after a change (issue 12, item 6): the scale benchmark's serve stage
(bench/scale_stages.py), run on one index by two versions of the program in interleaved rounds.

    .venv/bin/python -m bench.scale_memory 100k --data-dir /work/memory-100k/index --before d70125a
    .venv/bin/python -m bench.scale_memory 500k --data-dir /work/memory-500k/index --before d70125a --rounds 1

"before" is the commit given, with this checkout's bench/ (the same stage and breakdown); "after"
is this checkout. The stage writes to the index's Chroma SQLite when it opens it: point it at a
copy. Each size's runs are kept in bench/results/scale-memory.json, all sizes in scale-memory.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from unittest import mock

from bench.scale import OUT, REPO, run_stage
from bench.scale_corpus import load_corpus, read_jsonl
from core.settings import Settings
from index import bm25

NAME = "scale-memory"
STEPS = ("started", "model", "opened", "first_question", "warm", "steady")
GROUPS_SHOWN = 8  # mappings per version in the breakdown table


def code_at(commit: str, into: Path) -> Path:
    """The program at ``commit`` with this checkout's bench/, unpacked into ``into``."""
    archive = subprocess.run(["git", "archive", commit], cwd=REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    shutil.rmtree(into / "bench")
    shutil.copytree(REPO / "bench", into / "bench", ignore=shutil.ignore_patterns("results", "runs", "__pycache__"))
    return into


def measure(data_dir: Path, backend: str, corpus: Path, before: str, rounds: int) -> list[dict]:
    """``rounds`` of (before, after), each a fresh serving process; the load average with each."""
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        versions = {f"before ({before})": code_at(before, Path(scratch)), "after": REPO}
        for round_ in range(rounds):
            for version, code in versions.items():
                load = os.getloadavg()[0]
                served = run_stage("serve", data_dir, backend, corpus, code=code)
                runs.append({"version": version, "round": round_, "load_before": round(load, 1), **served})
    return runs


def release_cost(data_dir: Path, corpus: Path, rounds: int = 4, questions: int = 50) -> dict:
    """BM25 search time at this size with its pages let go (as served) and kept (the release
    stubbed out), in interleaved rounds in one process over the same questions; medians."""
    index = bm25.Bm25Index.load(Settings(data_dir=data_dir).bm25_dir)
    asked = [q["question"] for q in read_jsonl(load_corpus(corpus).questions_path)][:questions]
    times: dict[str, list[float]] = {"released": [], "kept": []}
    for _ in range(rounds):
        for mode, seconds in times.items():
            index.release_pages()  # each block starts with no page held (before the stub)
            with mock.patch.object(bm25, "release", bm25.release if mode == "released" else lambda segments: None):
                for question in asked:
                    started = time.perf_counter()
                    index.search(question, 30)
                    seconds.append(time.perf_counter() - started)
                    index.release_pages()  # as the store does after each search
    medians = {mode: round(statistics.median(s) * 1000, 1) for mode, s in times.items()}
    return {**{f"{m}_ms": v for m, v in medians.items()}, "ratio": round(medians["released"] / medians["kept"], 3),
            "searches": len(asked) * rounds, "load": round(os.getloadavg()[0], 1)}  # fmt: skip


def to_markdown(sizes: dict[str, dict]) -> str:
    lines = []
    for size, entry in sizes.items():
        lines += [f"## {size}: {entry['runs'][0]['chunks']:,} chunks ({entry['data_dir']})", "",
                  f"`{entry['command']}`", "", "VmRSS MiB at each step of the serving process (peak: VmHWM):", "",
                  "| version | round | " + " | ".join(STEPS) + " | peak | steady anonymous / file-backed | "
                  "total p50 / p95 ms | answered / relevant cited | answers (sha256) | load |",
                  "|---" * (len(STEPS) + 8) + "|"]  # fmt: skip
        lines += [_row(run) for run in entry["runs"]]
        lines += ["", "Resident MiB per mapping at steady (anonymous part in brackets), last round:", ""]
        lines += _breakdown(entry["runs"]) + [""]
        cost = entry["bm25_release"]
        lines += [f"BM25 search with its pages let go against kept, side by side ({cost['searches']} searches each, "
                  f"load {cost['load']}): median {cost['released_ms']} against {cost['kept_ms']} ms ({cost['ratio']}x).", ""]  # fmt: skip
    return "\n".join(lines) + "\n"


def _row(run: dict) -> str:
    rss = run["rss_mib"]
    steps = [f"{rss[s]['now']:.0f}" if s in rss else "—" for s in STEPS]
    cells = [run["version"], str(run["round"]), *steps, f"{rss['peak']:.0f}",
             f"{rss['steady']['anon']:.0f} / {rss['steady']['file']:.0f}",
             f"{run['total_ms']['p50']} / {run['total_ms']['p95']}",
             f"{run['answered']:.1%} / {run['relevant_cited']:.1%}", run["answers_sha256"][:12], str(run["load_before"])]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


def _breakdown(runs: list[dict]) -> list[str]:
    last = {run["version"]: run for run in runs}
    lines = ["| version | " + " | ".join(["mapping: MiB (anonymous)"] * GROUPS_SHOWN) + " |", "|---" * (GROUPS_SHOWN + 1) + "|"]
    for version, run in last.items():
        groups = list(run["smaps_mib"]["steady"]["groups"].items())[:GROUPS_SHOWN]
        cells = [f"{name}: {g['rss']:.0f} ({g['anon']:.0f})" for name, g in groups]
        cells += [""] * (GROUPS_SHOWN - len(cells))
        lines.append(f"| {version} | " + " | ".join(cells) + " |")
    big = {v: r["smaps_mib"]["steady"]["big_anonymous"] for v, r in last.items()}
    return lines + ["", "Anonymous mappings of 32 MiB or more at steady: " + "; ".join(f"{v}: {b}" for v, b in big.items())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("size", help="the row's name, e.g. 100k")
    parser.add_argument("--data-dir", type=Path, required=True, help="a copy of a scale index folder")
    parser.add_argument("--before", required=True, help="the commit measured as before")
    parser.add_argument("--backend", default="onnx-int8")
    parser.add_argument("--corpus", type=Path, default=Path("/work/scale-data/corpus"))
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    load_corpus(args.corpus)  # written by bench.scale before: only read here
    command = (f".venv/bin/python -m bench.scale_memory {args.size} --data-dir {args.data_dir} --before {args.before}"
               f" --rounds {args.rounds}")  # fmt: skip
    path = OUT / f"{NAME}.json"
    sizes = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    runs = measure(args.data_dir, args.backend, args.corpus, args.before, args.rounds)
    sizes[args.size] = {"data_dir": str(args.data_dir), "command": command, "cores": os.cpu_count(), "runs": runs,
                        "bm25_release": release_cost(args.data_dir, args.corpus)}  # fmt: skip
    path.write_text(json.dumps(sizes, ensure_ascii=False, indent=1), encoding="utf-8")
    (OUT / f"{NAME}.md").write_text(to_markdown(sizes), encoding="utf-8")
    print(to_markdown(sizes))


if __name__ == "__main__":
    main()
