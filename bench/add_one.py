"""Adding one article to a large library, end to end: this tree's code beside another tree's (main
before a change, say), in interleaved rounds on two copies of one library, so the shared machine's
load hits both alike.

    .venv/bin/python -m bench.add_one --library /work/scale-data/onnx-int8-copies --work /work/addone-100k \\
        --base /work/addone-base --rounds 5 --name scale-add-one-100k

Each round runs the scale benchmark's add-one stage (bench/scale_stages.py) once per code tree, each
in a fresh process on its own copy: the index is opened and the model loaded, then one held-out
probe article is ingested under the clock. Both trees take the same probes in the same order.
Round 0 is the first write after the upgrade (the new code fills the catalog's band keys then) and
is reported apart; the last round also profiles the add of one more probe. The library is copied to
``--work/<tree>`` (cp -a) when that copy is missing, and is never written itself.

With ``--one-copy`` (a library too big to copy twice) both trees write one copy, the other tree's
rounds first: each then takes other probes, into a library one or two articles apart.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.run import write_run

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "results"


def stage(tree: Path, data_dir: Path, corpus: Path, backend: str, profile: bool) -> dict:
    """One add-one stage of ``tree``'s code in a fresh process: its result, wall time and the load around it."""
    command = [sys.executable, "-m", "bench.scale_stages", "add-one", "--data-dir", str(data_dir / "index"),
               "--backend", backend, "--corpus", str(corpus), *(["--profile", "1"] if profile else [])]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1"}
    load, started = os.getloadavg()[0], time.perf_counter()
    done = subprocess.run(command, cwd=tree, env=env, stdout=subprocess.PIPE, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "process_s": round(time.perf_counter() - started, 1), "load": round(load, 1)}


def run(trees: dict[str, Path], library: Path, work: Path, corpus: Path, backend: str, rounds: dict[str, int],
        profiled: set[str], one_copy: bool = False) -> dict:  # fmt: skip
    copies = {name: work / ("shared" if one_copy else name) for name in trees}
    for copy in set(copies.values()):
        if not copy.exists():
            subprocess.run(["cp", "-a", str(library), str(copy)], check=True)
    schedule = [(r, name) for name in trees for r in range(rounds[name] + 1)]
    rows: dict[str, list[dict]] = {name: [] for name in trees}
    for round_, name in schedule if one_copy else sorted(schedule, key=lambda s: s[0]):
        rows[name].append(stage(trees[name], copies[name], corpus, backend, profile=name in profiled and round_ == rounds[name]))
        print(name, round_, rows[name][-1]["seconds"], "s", file=sys.stderr, flush=True)
    summary = {name: _summary(r) for name, r in rows.items()}
    first, second = (summary[name]["median_s"] for name in trees)
    return {"library": str(library), "backend": backend, "rounds": rounds, "one_copy": one_copy,
            "trees": {k: str(v) for k, v in trees.items()},
            "commits": {k: _commit(v) for k, v in trees.items()}, "cores": os.cpu_count(),
            "ratio": round(first / second, 1), "summary": summary, "rows": rows}  # fmt: skip


def _summary(rows: list[dict]) -> dict:
    timed = [r["seconds"] for r in rows[1:]] or [rows[0]["seconds"]]  # no round past round 0: round 0 it is
    return {"chunks_before": rows[-1]["chunks_before"], "first_write_s": rows[0]["seconds"], "seconds": timed,
            "median_s": round(statistics.median(timed), 2), "load": [r["load"] for r in rows],
            "profile": rows[-1].get("profile")}  # fmt: skip


def _commit(tree: Path) -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True, text=True)
    return head.stdout.strip() or (tree / "COMMIT").read_text(encoding="utf-8").strip()


def to_markdown(result: dict, command: str) -> str:
    how = "one copy, one tree after the other" if result["one_copy"] else "interleaved rounds on two copies"
    lines = [f"Adding one article to {result['library']} ({result['backend']}), {how}; `{command}`", "",
             "| code | commit | chunks before | first write after upgrade s | add one article s (rounds) | median s | load avg |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for name, s in result["summary"].items():
        lines.append(f"| {name} | {result['commits'][name]} | {s['chunks_before']:,} | {s['first_write_s']} | "
                     f"{', '.join(map(str, s['seconds']))} | {s['median_s']} | {min(s['load'])}-{max(s['load'])} |")  # fmt: skip
    lines += ["", f"Median ratio {' / '.join(result['summary'])}: {result['ratio']}x."]
    for name, s in result["summary"].items():
        if s["profile"]:
            lines += ["", f"Profile of one more add, {name} (cProfile, cumulative):", "```",
                      *s["profile"]["by_cumulative"][:15], "```"]  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", type=Path, required=True, help="the library to copy (never written)")
    parser.add_argument("--work", type=Path, required=True, help="folder for the copies, one per code tree")
    parser.add_argument("--base", type=Path, required=True, help="the other code tree (e.g. git archive of main)")
    parser.add_argument("--corpus", type=Path, default=Path("/work/scale-data/corpus"))
    parser.add_argument("--backend", default="onnx-int8")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--base-rounds", type=int, help="rounds of the other tree (default: --rounds)")
    parser.add_argument("--no-base-profile", action="store_true", help="profile only this tree's last round")
    parser.add_argument("--one-copy", action="store_true", help="both trees write one copy, the other tree first")
    parser.add_argument("--name", default="scale-add-one")
    args = parser.parse_args()
    rounds = {"before": args.rounds if args.base_rounds is None else args.base_rounds, "after": args.rounds}
    trees = {"before": args.base, "after": REPO}
    profiled = {"after"} if args.no_base_profile else set(trees)
    result = run(trees, args.library, args.work, args.corpus, args.backend, rounds, profiled, args.one_copy)
    command = " ".join(["python -m bench.add_one", *sys.argv[1:]])
    write_run(args.name, {**result, "command": command}, to_markdown(result, command), OUT)


if __name__ == "__main__":
    main()
