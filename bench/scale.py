"""Scale benchmark (issue 12): ingest rate, disk, serving memory, the time to add one article and
warm `ask` latency at 10k, 50k and 100k+ real chunks (CRUD-RAG's docs, then the CCTV news), and
at 500k chunks made of copies of the real ones (latency and memory only).

Each part is one command that continues from the index the parts before it left; a part stopped
at any point (Ctrl-C, kill) continues where it stopped when run again:

    .venv/bin/python -m bench.scale 10k --backend static
    .venv/bin/python -m bench.scale 50k --backend static
    .venv/bin/python -m bench.scale 100k --backend static
    .venv/bin/python -m bench.scale all --backend static     # every article: the 88k-document ingest
    .venv/bin/python -m bench.scale 500k --backend static    # copies of real chunks
    .venv/bin/python -m bench.scale 100k --backend static --copies   # 100k by copies of the 10k part

The corpus shards, the index and the tallies live under --root (default /work/scale-data, outside
the repository: the corpora may not be copied into it); results go to
bench/results/scale-<backend>-<part>.json and the table to bench/results/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from bench.run import write_run
from bench.scale_corpus import CRUD, XWLB, load_corpus
from bench.scale_report import to_markdown

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "results"
# chunks each part ends with; "all" ingests every real article (None: no target, ~176k chunks)
PARTS: dict[str, int | None] = {"10k": 10_000, "50k": 50_000, "100k": 100_000, "all": None, "500k": 500_000}
COPIES_PART = "500k"


@dataclass(frozen=True)
class Run:
    root: Path
    backend: str
    scale: float = 1.0  # trying the harness: every target times this
    fake: bool = False  # trying the harness: the tests' hash embedding
    profile: int = 0
    crud: Path = CRUD
    xwlb: Path = XWLB
    copies: bool = False  # reach each size by copying the real 10k part's chunks, in a folder of its own

    @property
    def real_folder(self) -> Path:
        return self.root / (f"fake-{self.backend}" if self.fake else self.backend)

    @property
    def folder(self) -> Path:
        return self.real_folder.with_name(self.real_folder.name + "-copies") if self.copies else self.real_folder

    def name(self, part: str) -> str:
        return f"scale-{self.backend}-{part}" + ("-copies" if self.copies else "")

    @property
    def corpus_dir(self) -> Path:
        return self.root / "corpus"

    @property
    def results_dir(self) -> Path:
        """bench/results for real runs only: a trial's numbers are never reported."""
        return OUT if not self.fake and self.scale == 1 else self.folder / "results"

    def target(self, part: str) -> int | None:
        size = PARTS[part]
        return None if size is None else max(1, int(size * self.scale))


def run_part(run: Run, part: str, redo: tuple[str, ...] = ()) -> dict:
    """Run (or finish) one part; its results, also written as JSON and folded into the Markdown table.
    The measuring steps named in ``redo`` are measured again (after a change to the code measured)."""
    load_corpus(run.corpus_dir, run.crud, run.xwlb)
    if run.copies and run.target(part) is None:
        raise SystemExit(f"part {part} is the whole real corpus: it has no size to reach by copies")
    if run.copies and not run.folder.exists():
        _seed_copies(run)
    state = _load_state(run)
    _check_order(run, state, part)
    steps = state.setdefault(part, {})
    for name in redo:
        steps.pop(name, None)
    for name, step in (("grow", _grow), ("disk", _disk), ("serve", _serve), ("add_one", _add_one)):
        if name not in steps and not (name == "add_one" and part == COPIES_PART):
            load = os.getloadavg()[0]
            steps[name] = {**step(run, part), "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1)}
            _save_state(run, state)
    copies = run.copies or part == COPIES_PART
    result = {"part": part, "backend": run.backend, "copies": copies, "fake_embedding": run.fake,
              "scale": run.scale, "commit": _commit(), "cores": os.cpu_count(),
              "settings": {k: v for k, v in os.environ.items() if k.startswith("POLICYQA_")},
              "command": f".venv/bin/python -m bench.scale {part} --backend {run.backend}"
              + (" --copies" if run.copies else ""), **steps}  # fmt: skip
    if PARTS[part] is None:
        result["corpus_ingest"] = _corpus_ingest(state)
    _write(run, part, result)
    return result


def _corpus_ingest(state: dict) -> dict:
    """The whole corpus's ingest: every real part's grow step, added up."""
    grows = [state[p]["grow"] for p in PARTS if p != COPIES_PART and "grow" in state.get(p, {})]
    seconds = sum(g["seconds"] for g in grows)
    chunks = sum(g["chunks_added"] for g in grows)
    return {"seconds": round(seconds, 1), "chunks": chunks, "articles": sum(g["articles_added"] for g in grows),
            "chunks_per_s": round(chunks / seconds, 1) if seconds else None}  # fmt: skip


def _seed_copies(run: Run) -> None:
    """The copies' folder starts as a copy of the real folder after its 10k part."""
    if "add_one" not in _load_state(replace(run, copies=False)).get("10k", {}):
        raise SystemExit(f"--copies copies the real 10k part: run `python -m bench.scale 10k --backend {run.backend}` first")
    shutil.copytree(run.real_folder, run.folder)
    state = {"10k": _load_state(run)["10k"]}
    _save_state(run, state)


def _check_order(run: Run, state: dict, part: str) -> None:
    earlier_parts = ["10k"] if run.copies else list(PARTS)[: list(PARTS).index(part)]
    for earlier in earlier_parts:
        if "add_one" not in state.get(earlier, {}):
            raise SystemExit(
                f"part {part} continues from part {earlier}: run `python -m bench.scale {earlier} --backend {run.backend}` first"
            )


def _stage(run: Run, stage: str, *extra: str) -> dict:
    return run_stage(stage, run.folder / "index", run.backend, run.corpus_dir, *extra, fake=run.fake)


def run_stage(stage: str, data_dir: Path, backend: str, corpus: Path, *extra: str, fake: bool = False,
              code: Path = REPO) -> dict:  # fmt: skip
    """One stage in a fresh process, of the program in ``code``; its last line of output is its JSON result."""
    command = [sys.executable, "-m", "bench.scale_stages", stage, "--data-dir", str(data_dir),
               "--backend", backend, "--corpus", str(corpus), *extra]  # fmt: skip
    if fake:
        command.append("--fake-embedding")
    # A fixed hash seed: which of two identical copied chunks is cited follows set order, so answers repeat.
    env = {**os.environ, "PYTHONPATH": str(code), "HF_HUB_OFFLINE": "1", "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, cwd=code, env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"the {stage} stage stopped (exit {done.returncode}); run the same command again to continue")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _grow(run: Run, part: str) -> dict:
    log = run.folder / f"grow-{part}.jsonl"
    stage = "copies" if run.copies or part == COPIES_PART else "grow"
    target = run.target(part)
    _stage(run, stage, "--log", str(log), *(["--target", str(target)] if target is not None else []))
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    steps = [r for r in rows if "seconds" in r]
    seconds = sum(r["seconds"] for r in steps)
    added = sum(r.get("chunks_embedded", r.get("chunks_copied", 0)) for r in steps)
    return {"chunks": rows[-1]["chunks"] if rows else None, "chunks_added": added, "articles_added":
            sum(r["articles"] for r in steps), "seconds": round(seconds, 1), "calls": len(steps),
            "chunks_per_s": round(added / seconds, 1) if seconds else None,
            "bm25_seconds": sum(r.get("bm25_seconds", 0) for r in rows)}  # fmt: skip


def _disk(run: Run, part: str) -> dict:
    index = run.folder / "index"
    catalog = list(index.glob("*.manifest.sqlite*"))  # with its -wal or -journal, if any
    return {"chroma_mib": _mib([index / "chroma"]), "bm25_mib": _mib([index / "bm25"]), "catalog_mib": _mib(catalog)}


def _mib(paths: list[Path]) -> float:
    """Space the files take on disk (allocated blocks, as du counts them)."""
    files = [f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()]
    return round(sum(f.stat().st_blocks * 512 for f in files) / 2**20, 1)


def _serve(run: Run, part: str) -> dict:
    return _stage(run, "serve", *_profiling(run))


def _add_one(run: Run, part: str) -> dict:
    return _stage(run, "add-one", *_profiling(run))


def _profiling(run: Run) -> list[str]:
    return ["--profile", str(run.profile)] if run.profile else []


def _load_state(run: Run) -> dict:
    path = run.folder / "state.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _save_state(run: Run, state: dict) -> None:
    path = run.folder / "state.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".tmp").write_text(json.dumps(state, indent=1), encoding="utf-8")
    path.with_suffix(".tmp").replace(path)  # a kill mid-write leaves the old state


def _commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return head.stdout.strip()


def _write(run: Run, part: str, result: dict) -> None:
    folder = run.results_dir
    write_run(run.name(part), result, to_markdown([result]), folder)
    results = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("scale-*-*.json"))]
    results = [r for r in results if "grow" in r]  # not the add-one and memory benches' results beside them
    (folder / "scale.md").write_text(to_markdown(results), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=list(PARTS))
    parser.add_argument("--backend", default="onnx-int8", help="POLICYQA_EMBEDDING_BACKEND of the index built")
    parser.add_argument("--root", type=Path, default=Path("/work/scale-data"))
    parser.add_argument("--profile", type=int, default=0, help="ask this many questions again under cProfile")
    parser.add_argument("--redo", nargs="*", choices=("disk", "serve", "add_one"), default=(),
                        help="measure these steps of the part again")  # fmt: skip
    parser.add_argument("--copies", action="store_true",
                        help="reach the part's size with copies of the real 10k part's chunks (latency and memory)")
    parser.add_argument("--scale", type=float, default=1.0, help="trying the harness: targets times this")
    parser.add_argument("--fake-embedding", action="store_true", help="trying the harness: the tests' hash embedding")
    parser.add_argument("--crud", type=Path, default=CRUD, help="folder of CRUD-RAG docs-*.jsonl and qa.dev.jsonl")
    parser.add_argument("--xwlb", type=Path, default=XWLB, help="folder of the CCTV news docs-*.jsonl")
    args = parser.parse_args()
    run = Run(args.root, args.backend, args.scale, args.fake_embedding, args.profile, args.crud, args.xwlb, args.copies)
    started = time.perf_counter()
    run_part(run, args.part, tuple(args.redo))
    print(f"part {args.part} done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
