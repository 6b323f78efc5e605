"""Embedding throughput: each backend's raw encode on the same chunk texts, side by side in one run,
and `policyqa ingest` of the same documents next to the fastest backend's raw encode.

Writes bench/results/embed.json and bench/results/embed.md. Usage:
    .venv/bin/python -m bench.embed [--docs ../shared/benchmarks/ncpqa/docs.jsonl] [--chunks 400] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from bench.run import write_run  # noqa: E402
from core.settings import Settings  # noqa: E402
from index.chunking import chunk_document  # noqa: E402
from index.documents import build_documents  # noqa: E402
from index.embedding import build_embeddings  # noqa: E402
from index.loaders import load_file  # noqa: E402
from index.service import open_index  # noqa: E402
from index.store import chunk_to_document  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "results"
BACKENDS = ("torch", "torch-bf16", "onnx", "onnx-int8")


def sample_docs(source: Path, chunks: int, out: Path, settings: Settings) -> list[str]:
    """Write the first articles of ``source`` holding at least ``chunks`` chunks to ``out``; return
    the texts ingest would embed for them (headings included, as Chroma stores them)."""
    lines, texts = [], []
    with source.open(encoding="utf-8") as handle:
        for line in handle:
            if len(texts) >= chunks:
                break
            lines.append(line)
            out.write_text("".join(lines), encoding="utf-8")
            texts = chunk_texts(out, settings)
    return texts


def chunk_texts(path: Path, settings: Settings) -> list[str]:
    texts = []
    for source in load_file(path):
        for doc in build_documents(source, path.stem)[0]:
            chunks = chunk_document(doc, settings.chunk_min_chars, settings.chunk_max_chars)
            texts += [chunk_to_document(c).page_content for c in chunks]
    return texts


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def ingest_seconds(settings: Settings, docs: Path, scratch: Path) -> float:
    with open_index(settings.model_copy(update={"data_dir": scratch})) as idx:
        report = idx.ingest([docs])
    return report.seconds


def measure(docs: Path, texts: list[str], rounds: int, scratch: Path) -> dict:
    models = {b: build_embeddings(Settings(embedding_backend=b)) for b in BACKENDS}
    reference = np.array(models["torch"].embed_documents(texts[:64]))  # also warms torch
    seconds: dict[str, list[float]] = {b: [] for b in BACKENDS}
    cosine = {}
    for backend, model in models.items():
        vectors = np.array(model.embed_documents(texts[:64]))  # warm-up; also the agreement with torch fp32
        cosine[backend] = round(float(np.min(np.sum(vectors * reference, axis=1))), 5)
    for _ in range(rounds):  # interleaved, so a busy moment on the machine hits every backend alike
        for backend, model in models.items():
            seconds[backend].append(timed(lambda: model.embed_documents(texts)))
    rates = {b: round(len(texts) / statistics.median(s), 2) for b, s in seconds.items()}
    fastest = max(rates, key=rates.get)
    settings = Settings(embedding_backend=fastest)
    raw, ingest = [], []
    for r in range(rounds):
        raw.append(timed(lambda: models[fastest].embed_documents(texts)))
        ingest.append(ingest_seconds(settings, docs, scratch / f"ingest-{r}"))
    raw_rate, ingest_rate = len(texts) / statistics.median(raw), len(texts) / statistics.median(ingest)
    return {
        "encode": {b: {"chunks_per_s": rates[b], "seconds": [round(x, 2) for x in seconds[b]],
                       "min_cosine_vs_torch_fp32": cosine[b]} for b in BACKENDS},
        "fastest": fastest,
        "ingest": {"backend": fastest, "raw_chunks_per_s": round(raw_rate, 2), "ingest_chunks_per_s": round(ingest_rate, 2),
                   "pipeline_overhead_pct": round((raw_rate / ingest_rate - 1) * 100, 1),
                   "raw_seconds": [round(x, 2) for x in raw], "ingest_seconds": ingest},
    }


def to_markdown(result: dict) -> str:
    lines = [
        f"Raw encode of {result['chunks']} chunk texts (mean {result['mean_chars']} characters) from "
        f"{result['documents']} articles of `{result['source']}`, median of {result['rounds']} interleaved rounds; "
        f"{result['machine']}.",
        "",
        "| backend | chunks/s | × torch fp32 | min cosine vs torch fp32 (64 chunks) |",
        "|---|---|---|---|",
    ]
    base = result["encode"]["torch"]["chunks_per_s"]
    lines += [
        f"| {b} | {r['chunks_per_s']} | {r['chunks_per_s'] / base:.2f} | {r['min_cosine_vs_torch_fp32']} |"
        for b, r in result["encode"].items()
    ]
    i = result["ingest"]
    lines += ["", f"`policyqa ingest` of the same articles with {i['backend']}: {i['ingest_chunks_per_s']} chunks/s "
              f"against {i['raw_chunks_per_s']} chunks/s raw encode in the same rounds: the pipeline adds "
              f"{i['pipeline_overhead_pct']}% to the time."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=Path, default=REPO.parent / "shared/benchmarks/ncpqa/docs.jsonl")
    parser.add_argument("--chunks", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--name", default="embed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "sample.jsonl"
        texts = sample_docs(args.docs, args.chunks, docs, Settings())
        result = {
            "source": args.docs.name,
            "documents": sum(1 for _ in docs.open(encoding="utf-8")),
            "chunks": len(texts),
            "mean_chars": round(statistics.mean(map(len, texts))),
            "rounds": args.rounds,
            "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
            **measure(docs, texts, args.rounds, Path(tmp)),
        }
    write_run(args.name, result, to_markdown(result), OUT)


if __name__ == "__main__":
    main()
