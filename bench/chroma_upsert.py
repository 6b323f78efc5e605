"""What a Chroma upsert costs by what it stores: vectors alone, with the chunks' metadata, with their
texts (`documents`) as `ChunkStore.add` stores them, and without the two copies of the text the
metadata holds (`text`, `search_text`). NCPQA chunks with random vectors, each variant filling a
fresh store through `ChunkStore.put_vectors` (the store's upsert of vectors made before) in calls
of 1,024 rows, as `ChunkStore.add` makes them; variants interleaved within each round, medians.

Writes bench/results/chroma-upsert.json and .md. Usage:
    .venv/bin/python -m bench.chroma_upsert [--rows 2356] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.run import write_run
from bench.upsert import RandomVectors, chunks
from core.settings import Settings
from index.store import ChunkStore, chunk_to_document

REPO = Path(__file__).resolve().parent.parent
BATCH = 1024
COPIES = ("text", "search_text")
VARIANTS = {  # name: (texts stored, metadata keys left out (None: no metadata))
    "vectors": (False, None),
    "vectors + metadata": (False, ()),
    "vectors + metadata + texts (as stored)": (True, ()),
    "as stored, metadata without search_text": (True, COPIES[1:]),
    "as stored, metadata without text and search_text": (True, COPIES),
}


def fill(folder: Path, rows: list, vectors: np.ndarray, texts: bool, left_out: tuple | None) -> float:
    store = ChunkStore(Settings(data_dir=folder), RandomVectors())
    started = time.perf_counter()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        store.put_vectors([f"{start + n}" for n in range(len(batch))], vectors[start : start + BATCH],
                          [d.page_content for d in batch] if texts else None,
                          None if left_out is None else [_without(d.metadata, left_out) for d in batch])  # fmt: skip
    return time.perf_counter() - started


def _without(metadata: dict, keys: tuple) -> dict:
    return {k: v for k, v in metadata.items() if k not in keys}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=Path, default=REPO.parent / "shared/benchmarks/ncpqa/docs.jsonl")
    parser.add_argument("--rows", type=int, default=2356)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = [chunk_to_document(c) for c in chunks(args.docs, args.rows)]  # as the store writes them
    vectors = np.random.default_rng(0).standard_normal((len(rows), 384)).astype(np.float32)
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for name, variant in VARIANTS.items():
                folder = Path(tmp) / f"{round_}-{list(VARIANTS).index(name)}"
                seconds[name].append(fill(folder, rows, vectors, *variant))
    result = {"rows": len(rows), "batch": BATCH, "rounds": args.rounds, "load_average": os.getloadavg()[0],
              "variants": {n: {"rows_per_s": round(len(rows) / statistics.median(s)), "seconds": [round(x, 2) for x in s]}
                           for n, s in seconds.items()}}  # fmt: skip
    write_run("chroma-upsert", result, to_markdown(result), REPO / "bench" / "results")


def to_markdown(result: dict) -> str:
    base = result["variants"]["vectors"]["rows_per_s"]
    lines = [f"Chroma upserts of {result['rows']} NCPQA chunks in calls of {result['batch']}, medians of "
             f"{result['rounds']} interleaved rounds (load average {result['load_average']:.1f} at the end).", "",
             "| stored | rows/s | × vectors alone | seconds |", "|---|---|---|---|"]  # fmt: skip
    lines += [f"| {n} | {v['rows_per_s']} | {v['rows_per_s'] / base:.2f} | {', '.join(map(str, v['seconds']))} |"
              for n, v in result["variants"].items()]  # fmt: skip
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
