"""Traditional → simplified converters on every line of our corpora: chars/s, and how many lines
each converts otherwise than opencc-python-reimplemented 0.1.7, which the indexes were built with.

Candidates (both packages install the module ``opencc``, so each runs in a process of its own):
  reimplemented  opencc-python-reimplemented 0.1.7 (pure Python), from the folder ``--old``
  kept           the ``opencc`` wheel (C++) with that package's dictionaries (index/text/t2s): what we use
  upstream       the ``opencc`` wheel's own t2s

Writes bench/results/opencc.json and .md. Usage:
    .venv/bin/pip install --target /tmp/occ-py --no-deps opencc-python-reimplemented==0.1.7
    .venv/bin/python -m bench.opencc --old /tmp/occ-py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.run import write_run

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CONFIGS = {"reimplemented": "t2s", "kept": str(REPO / "index/text/t2s/t2s.json"), "upstream": "t2s"}


def corpus_lines() -> Iterator[str]:
    """Every line of the titles and texts of ../shared/corpus and the benchmarks' documents."""
    files = sorted((SHARED / "corpus").rglob("*.txt")) + sorted((SHARED / "corpus").rglob("*.jsonl"))
    for path in files + sorted((SHARED / "benchmarks").glob("*/*docs*.jsonl")):
        if path.suffix == ".txt":
            yield from path.read_text(encoding="utf-8").splitlines()
            continue
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                yield from f"{record.get('title', '')}\n{record.get('text', '')}".splitlines()


def convert_all(config: str, out: Path) -> dict:
    """Convert every corpus line with whichever ``opencc`` this process imports; one line out per line in."""
    from opencc import OpenCC

    converter, seconds, chars = OpenCC(config), 0.0, 0
    with out.open("w", encoding="utf-8") as handle:
        for line in corpus_lines():
            started = time.perf_counter()
            converted = converter.convert(line)
            seconds += time.perf_counter() - started
            chars += len(line)
            handle.write(converted + "\n")
    return {"chars": chars, "seconds": round(seconds, 2), "chars_per_s": round(chars / seconds)}


def run_candidate(name: str, old: Path, out: Path) -> dict:
    path = [str(old)] if name == "reimplemented" else [os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, str(REPO)])}
    command = [sys.executable, "-m", "bench.opencc", "--child", CONFIGS[name], str(out)]
    return json.loads(subprocess.run(command, env=env, check=True, capture_output=True, text=True, cwd=REPO).stdout)


def compare(reference: Path, other: Path, examples: int = 8) -> dict:
    pairs = zip(reference.read_text(encoding="utf-8").split("\n"), other.read_text(encoding="utf-8").split("\n"))
    differ = [(a, b) for a, b in pairs if a != b]
    shown = [next((a[i - 3 : i + 3], b[i - 3 : i + 3]) for i in range(len(a)) if a[i] != b[i]) for a, b in differ[:examples]]
    return {"lines_differ": len(differ), "length_differs": sum(len(a) != len(b) for a, b in differ), "examples": shown}


def to_markdown(result: dict) -> str:
    lines = [f"t2s of every line of {result['corpora']}: {result['lines']:,} lines, {result['chars']:,} characters; "
             f"{result['machine']}.", "",
             "| converter | chars/s | × reimplemented | lines converted otherwise | of which another length |",
             "|---|---|---|---|---|"]  # fmt: skip
    base = result["candidates"]["reimplemented"]["chars_per_s"]
    for name, found in result["candidates"].items():
        lines.append(f"| {name} | {found['chars_per_s']:,} | {found['chars_per_s'] / base:.1f} | "
                     f"{found.get('lines_differ', '–')} | {found.get('length_differs', '–')} |")  # fmt: skip
    for name, found in result["candidates"].items():
        if found.get("examples"):
            lines += ["", f"First lines {name} converts otherwise (reimplemented → {name}): "
                      + ", ".join(f"{a} → {b}" for a, b in found["examples"])]  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", type=Path, help="a folder holding opencc-python-reimplemented 0.1.7")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(convert_all(args.child[0], Path(args.child[1]))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        outs = {name: Path(tmp) / f"{name}.txt" for name in CONFIGS}
        candidates = {name: run_candidate(name, args.old, out) for name, out in outs.items()}
        for name in ("kept", "upstream"):
            candidates[name].update(compare(outs["reimplemented"], outs[name]))
        result = {
            "corpora": "../shared/corpus and ../shared/benchmarks/*/*docs*.jsonl (titles and texts)",
            "lines": sum(1 for _ in corpus_lines()),
            "chars": candidates["kept"]["chars"],
            "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
            "candidates": candidates,
        }
    write_run("opencc", result, to_markdown(result), REPO / "bench" / "results")


if __name__ == "__main__":
    main()
