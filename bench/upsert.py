"""Chroma upsert rows/s by rows per call: NCPQA chunks as ChunkStore stores them (embedded text and
metadata), with random unit vectors, each call size filling a fresh collection of an embedded
client; sizes interleaved within each round, medians of the rounds. Picks index/store.py's _UPSERT_ROWS.

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

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from bench.run import write_run
from core.settings import Settings
from index.chunking import chunk_document
from index.documents import build_documents
from index.loaders import load_file
from index.store import chunk_to_document

REPO = Path(__file__).resolve().parent.parent


def documents(source: Path, rows: int):
    """The first ``rows`` chunks of ``source`` as Chroma gets them."""
    settings, found = Settings(), []
    for record in load_file(source):
        for doc in build_documents(record, source.stem)[0]:
            found += map(chunk_to_document, chunk_document(doc, settings.chunk_min_chars, settings.chunk_max_chars))
        if len(found) >= rows:
            return found[:rows]
    return found


def fill(client, name: str, docs, vectors: np.ndarray, size: int) -> float:
    """Seconds to upsert every row in calls of ``size`` into a new collection."""
    collection = client.create_collection(name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
    started = time.perf_counter()
    for i in range(0, len(docs), size):
        part = docs[i : i + size]
        collection.upsert(ids=[d.id for d in part], embeddings=vectors[i : i + size],
                          documents=[d.page_content for d in part], metadatas=[d.metadata for d in part])  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=Path, default=REPO.parent / "shared/benchmarks/ncpqa/docs.jsonl")
    parser.add_argument("--rows", type=int, default=2048)
    parser.add_argument("--sizes", default="32,128,512,1024,2048")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    docs = documents(args.docs, args.rows)
    vectors = np.random.default_rng(0).standard_normal((len(docs), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    seconds: dict[int, list[float]] = {size: [] for size in sizes}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        client = chromadb.PersistentClient(path=tmp, settings=ChromaSettings(anonymized_telemetry=False))
        for r in range(args.rounds):
            loads.append(round(os.getloadavg()[0], 1))
            for size in sizes:
                seconds[size].append(fill(client, f"rows-{size}-{r}", docs, vectors, size))
        cap = client.get_max_batch_size()
    result = {
        "source": args.docs.name, "rows": len(docs), "mean_chars": round(statistics.mean(len(d.page_content) for d in docs)),
        "rounds": args.rounds, "load_average": loads, "max_batch_size": cap, "cores": os.cpu_count(),
        "rows_per_s": {size: round(len(docs) / statistics.median(s)) for size, s in seconds.items()},
        "seconds": {size: [round(x, 2) for x in s] for size, s in seconds.items()},
    }  # fmt: skip
    lines = [f"Chroma {chromadb.__version__} embedded, upsert of {result['rows']} `{result['source']}` chunks (embedded text "
             f"of {result['mean_chars']} characters on average, ChunkStore's metadata, 384-dim vectors) into a fresh "
             f"collection, medians of {args.rounds} interleaved rounds; {result['cores']} cores, load average {loads}. "
             f"Chroma's cap on one call: {cap} rows.", "", "| rows per call | rows/s |", "|---|---|"]  # fmt: skip
    lines += [f"| {size} | {rate} |" for size, rate in result["rows_per_s"].items()]
    write_run("embed-upsert", result, "\n".join(lines) + "\n", REPO / "bench" / "results")


if __name__ == "__main__":
    main()
