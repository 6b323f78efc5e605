"""Start-up of `policyqa ask`: a cold process against a warm one, for one or more source trees side by side.

For each tree (e.g. main's checkout as "before" and this one as "after"), in alternation:
the wall time of a whole `policyqa ask` process (cold), and inside one fresh process the time
of each start-up step (imports, opening the index, model load, jieba, BM25, first answer) and of
the same question asked again (warm). Writes bench/runs/startup.json and .md. Usage:
    .venv/bin/python bench/startup.py --data-dir DIR [--tree before=/work/main] [--tree after=.] [--runs 3]
DIR must hold an index of data/articles (`policyqa --data-dir DIR ingest data/articles`). A tree
may carry settings of its own: --tree "onnx=.;POLICYQA_EMBEDDING_BACKEND=onnx-int8;POLICYQA_DATA_DIR=DIR2".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "runs"
QUESTION = "东华村户籍人口有多少？"

# Run inside a fresh interpreter of the tree measured; prints one JSON line of step seconds.
STEPS = """
import json, os, sys, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
marks = {}
def mark(name, started):
    marks[name] = round(time.perf_counter() - started, 3)
    return time.perf_counter()
t = time.perf_counter()
from core.settings import Settings
from policyqa.factory import open_assistant
t = mark("import", t)
settings = Settings()
with open_assistant(settings) as (idx, chain):
    t = mark("open_index", t)
    from index.embedding import build_embeddings
    build_embeddings(settings).embed_query("预热")
    t = mark("model_load", t)
    import jieba
    jieba.initialize()
    t = mark("jieba", t)
    idx.store.bm25_ids()
    t = mark("bm25_load", t)
    chain.ask(sys.argv[1])
    t = mark("first_answer", t)
    warm = []
    for _ in range(3):
        chain.ask(sys.argv[1])
        t = mark("warm", t)
        warm.append(marks["warm"])
    marks["warm"] = sorted(warm)[1]
print(json.dumps(marks))
"""


@dataclass(frozen=True)
class Tree:
    """A source tree to measure, with the settings (POLICYQA_* variables) it runs under."""

    path: Path
    settings: dict[str, str]

    @classmethod
    def parse(cls, spec: str, data_dir: Path) -> tuple[str, Tree]:
        name, rest = spec.split("=", 1)
        path, *pairs = rest.split(";")
        settings = {"POLICYQA_DATA_DIR": str(data_dir), **dict(p.split("=", 1) for p in pairs)}
        return name, cls(Path(path).resolve(), settings)

    def run(self, args: list[str]) -> subprocess.CompletedProcess:
        env = {**os.environ, **self.settings, "PYTHONPATH": str(self.path), "HF_HUB_OFFLINE": "1"}
        return subprocess.run([sys.executable, *args], cwd=self.path, env=env, capture_output=True, text=True, check=True)


def cold_ask(tree: Tree) -> tuple[float, str]:
    """Seconds of a whole `policyqa ask` process, and what it wrote to the terminal's stderr."""
    started = time.perf_counter()
    done = tree.run(["-m", "policyqa.cli", "ask", QUESTION])
    return time.perf_counter() - started, done.stderr


def steps(tree: Tree) -> dict:
    done = tree.run(["-c", STEPS, QUESTION])
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(trees: dict[str, Tree], runs: int) -> dict:
    cold: dict[str, list[float]] = {name: [] for name in trees}
    step_runs: dict[str, list[dict]] = {name: [] for name in trees}
    chatter: dict[str, int] = {}
    for _ in range(runs):
        for name, tree in trees.items():  # alternating, so load on the machine hits every tree alike
            seconds, stderr = cold_ask(tree)
            cold[name].append(seconds)
            chatter[name] = len(stderr.splitlines())
            step_runs[name].append(steps(tree))
    return {
        name: {
            "cold_ask_s": round(statistics.median(cold[name]), 2),
            "stderr_lines": chatter[name],
            **{f"{k}_s": round(statistics.median(r[k] for r in step_runs[name]), 3) for k in step_runs[name][0]},
        }
        for name in trees
    }


def to_markdown(result: dict) -> str:
    names = list(result["trees"])
    keys = list(result["trees"][names[0]])
    lines = [f"| | {' | '.join(names)} |", "|---|" + "---|" * len(names)]
    lines += [f"| {k} | {' | '.join(str(result['trees'][n][k]) for n in names)} |" for k in keys]
    return (
        f"Start-up of `policyqa ask \"{QUESTION}\"` on the sample corpus, medians of {result['runs']} runs, "
        f"trees measured alternately in one run ({result['date']}).\n"
        "cold_ask_s: a whole process; the *_s steps are inside one fresh process, in order; warm_s: "
        "the same question again in that process.\n\n" + "\n".join(lines) + "\n\n"
        + "\n".join(f"- {name}: {json.dumps(settings)}" for name, settings in result["settings"].items()) + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--tree", action="append", default=[], help="name=path of a source tree (repeatable)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    trees = dict(Tree.parse(spec, args.data_dir) for spec in args.tree or [f"this={REPO}"])
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "runs": args.runs,
        "settings": {name: tree.settings for name, tree in trees.items()},
        "trees": measure(trees, args.runs),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "startup.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    (OUT / "startup.md").write_text(to_markdown(result), encoding="utf-8")
    print(to_markdown(result))


if __name__ == "__main__":
    main()
