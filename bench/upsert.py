"""ChunkStore.add rows/s by rows per Chroma upsert (index/store.py's _UPSERT_ROWS): NCPQA chunks with
random unit vectors (an embedding that costs nothing), each size filling a fresh embedded store;
sizes interleaved within each round, medians of the rounds.

Writes bench/results/embed-upsert.json and .md. Usage:
    .venv/bin/python -m bench.upsert [--rows 2048] [--sizes 32,128,512,1024,2048] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

import index.store
from bench.run import write_run
from core.settings import Settings
from index.chunking import chunk_document
from index.documents import build_documents
from index.loaders import load_file
from index.store import ChunkStore

REPO = Path(__file__).resolve().parent.parent


class RandomVectors(Embeddings):
    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = self.rng.standard_normal((len(texts), 384))
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def chunks(source: Path, rows: int):
    """The first ``rows`` chunks of ``source``."""
    settings, found = Settings(), []
    for record in load_file(source):
        for doc in build_documents(record, source.stem)[0]:
            found += chunk_document(doc, settings.chunk_min_chars, settings.chunk_max_chars)
        if len(found) >= rows:
            return found[:rows]
    return found


def fill(data_dir: Path, found: list, size: int) -> float:
    """Seconds ChunkStore.add takes to store every chunk into a new store, upserting ``size`` rows a call."""
    index.store._UPSERT_ROWS = size
    store = ChunkStore(Settings(data_dir=data_dir), RandomVectors())
    started = time.perf_counter()
    store.add(found, batch_size=32)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=Path, default=REPO.parent / "shared/benchmarks/ncpqa/docs.jsonl")
    parser.add_argument("--rows", type=int, default=2048)
    parser.add_argument("--sizes", default="32,128,512,1024,2048")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    docs = chunks(args.docs, args.rows)
    sizes = [int(s) for s in args.sizes.split(",")]
    seconds: dict[int, list[float]] = {size: [] for size in sizes}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            loads.append(round(os.getloadavg()[0], 1))
            for size in sizes:
                seconds[size].append(fill(Path(tmp) / f"rows-{size}-{r}", docs, size))
    result = {
        "source": args.docs.name, "rows": len(docs), "mean_chars": round(statistics.mean(len(c.text) for c in docs)),
        "rounds": args.rounds, "load_average": loads, "cores": os.cpu_count(),
        "rows_per_s": {size: round(len(docs) / statistics.median(s)) for size, s in seconds.items()},
        "seconds": {size: [round(x, 2) for x in s] for size, s in seconds.items()},
    }  # fmt: skip
    lines = [f"`ChunkStore.add` of {result['rows']} `{result['source']}` chunks ({result['mean_chars']} characters on "
             f"average, random 384-dim vectors) into a fresh embedded store, by rows per Chroma upsert, medians of "
             f"{args.rounds} interleaved rounds; {result['cores']} cores, load average {loads}.", "",
             "| rows per upsert | rows/s |", "|---|---|"]  # fmt: skip
    lines += [f"| {size} | {rate} |" for size, rate in result["rows_per_s"].items()]
    write_run("embed-upsert", result, "\n".join(lines) + "\n", REPO / "bench" / "results")


if __name__ == "__main__":
    main()
