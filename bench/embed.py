"""Embedding throughput: each candidate's raw encode on the same chunk texts, side by side in one run,
and `policyqa ingest` of the same documents next to the fastest backend's raw encode, with a
profile of where that ingest spends its time.

Candidates are the backends (`POLICYQA_EMBEDDING_BACKEND`), and e5 with fewer tokens embedded per
chunk (`onnx-int8@128`: `POLICYQA_EMBEDDING_MAX_TOKENS=128`; `torch-bf16@128` likewise, here only).

Writes bench/results/<name>.json and .md. Usage:
    .venv/bin/python -m bench.embed [--docs ../shared/benchmarks/ncpqa/docs.jsonl] [--chunks 400] [--rounds 3]
        [--candidates onnx-int8,onnx-int8@64,static]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
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
from index import embedding  # noqa: E402
from index.embedding import Bf16Autocast, build_embeddings  # noqa: E402
from index.loaders import load_file  # noqa: E402
from index.service import open_index  # noqa: E402
from index.store import chunk_to_document  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "results"
BACKENDS = ("torch", "torch-bf16", "onnx", "onnx-int8", "static")
CUTS = (128, 64)
CANDIDATES = BACKENDS + tuple(f"{b}@{n}" for b in ("torch-bf16", "onnx-int8") for n in CUTS)


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


def mean_tokens(texts: list[str]) -> int:
    """e5 tokens per chunk as embedded (prompt and <s> </s> included), before any cut."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(embedding._default_folder(Settings()))
    prompt = Settings().passage_prefix
    return round(statistics.mean(len(tokenizer(prompt + t)["input_ids"]) for t in texts))


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def ingest_seconds(settings: Settings, docs: Path, scratch: Path) -> float:
    with open_index(settings.model_copy(update={"data_dir": scratch})) as idx:
        report = idx.ingest([docs])
    return report.seconds


def build_candidate(name: str):
    """A backend as the index builds it, or e5 cut after N tokens (`backend@N`), built afresh."""
    backend, _, cut = name.partition("@")
    settings = Settings(embedding_backend=backend)
    if not cut:
        return build_embeddings(settings)
    if backend in embedding.ONNX_BACKENDS:
        return build_embeddings(settings.model_copy(update={"embedding_max_tokens": int(cut)}))
    folder = embedding._default_folder(settings)
    torch = embedding._load.__wrapped__(str(folder), settings.query_prefix, settings.passage_prefix, settings.embed_batch_size)
    torch._client.max_seq_length = int(cut)  # langchain-huggingface offers no setting for it
    return Bf16Autocast(torch)


def profile_ingest(settings: Settings, docs: Path, scratch: Path, top: int = 12) -> list[dict]:
    """Where one ingest spends its time: the functions with the most time of their own, by file."""
    profiler = cProfile.Profile()
    profiler.runcall(ingest_seconds, settings, docs, scratch)
    stats = pstats.Stats(profiler).stats
    by_file: dict[str, float] = {}
    for (file, _line, name), (_calls, _primitive, own, _cumulative, _callers) in stats.items():
        # C functions (regex, sqlite, numpy) have no file: their own name says more.
        key = name if file == "~" else file.split("site-packages/")[-1].split(str(REPO) + "/")[-1]
        by_file[key] = by_file.get(key, 0.0) + own
    total = sum(by_file.values())
    ranked = sorted(by_file.items(), key=lambda item: -item[1])[:top]
    return [{"file": f, "seconds": round(t, 2), "share": round(t / total, 3)} for f, t in ranked]


def measure(docs: Path, texts: list[str], rounds: int, scratch: Path, candidates: list[str]) -> dict:
    models = {c: build_candidate(c) for c in candidates}
    reference = next(c for c in candidates if c != "static")
    e5_reference = np.array(models[reference].embed_documents(texts[:64]))
    seconds: dict[str, list[float]] = {c: [] for c in candidates}
    cosine = {}
    for name, model in models.items():
        vectors = np.array(model.embed_documents(texts[:64]))  # warm-up; also the agreement with the reference
        same_space = vectors.shape == e5_reference.shape
        cosine[name] = round(float(np.min(np.sum(vectors * e5_reference, axis=1))), 5) if same_space else None
    for _ in range(rounds):  # interleaved, so a busy moment on the machine hits every candidate alike
        for name, model in models.items():
            seconds[name].append(timed(lambda: model.embed_documents(texts)))
    rates = {c: round(len(texts) / statistics.median(s), 2) for c, s in seconds.items()}
    fastest = max((c for c in candidates if "@" not in c), key=rates.get)
    settings = Settings(embedding_backend=fastest)
    raw, ingest = [], []
    for r in range(rounds):
        raw.append(timed(lambda: models[fastest].embed_documents(texts)))
        ingest.append(ingest_seconds(settings, docs, scratch / f"ingest-{r}"))
    raw_rate, ingest_rate = len(texts) / statistics.median(raw), len(texts) / statistics.median(ingest)
    return {
        "reference": reference,
        "encode": {c: {"chunks_per_s": rates[c], "seconds": [round(x, 2) for x in seconds[c]],
                       "min_cosine_vs_reference": cosine[c]} for c in candidates},
        "fastest": fastest,
        "ingest": {"backend": fastest, "raw_chunks_per_s": round(raw_rate, 2), "ingest_chunks_per_s": round(ingest_rate, 2),
                   "pipeline_overhead_pct": round((raw_rate / ingest_rate - 1) * 100, 1),
                   "raw_seconds": [round(x, 2) for x in raw], "ingest_seconds": ingest,
                   "profile": profile_ingest(settings, docs, scratch / "ingest-profiled")},
    }


def to_markdown(result: dict) -> str:
    ref = result["reference"]
    lines = [
        f"Raw encode of {result['chunks']} chunk texts (mean {result['mean_chars']} characters, "
        f"{result['mean_tokens']} e5 tokens) from {result['documents']} articles of `{result['source']}`, "
        f"median of {result['rounds']} interleaved rounds; {result['machine']}. `backend@N`: e5 cut after N tokens.",
        "",
        f"| candidate | chunks/s | × {ref} | min cosine vs {ref} (64 chunks) |",
        "|---|---|---|---|",
    ]
    base = result["encode"][ref]["chunks_per_s"]
    lines += [
        f"| {c} | {r['chunks_per_s']} | {r['chunks_per_s'] / base:.2f} | {r['min_cosine_vs_reference'] or '– (another space)'} |"
        for c, r in result["encode"].items()
    ]
    i = result["ingest"]
    lines += ["", f"`policyqa ingest` of the same articles with {i['backend']}: {i['ingest_chunks_per_s']} chunks/s "
              f"against {i['raw_chunks_per_s']} chunks/s raw encode in the same rounds: the pipeline adds "
              f"{i['pipeline_overhead_pct']}% to the time.", "",
              "Where that ingest spends its time (one more run under cProfile; own time by file):", "",
              "| file | seconds | share |", "|---|---|---|"]
    lines += [f"| `{p['file']}` | {p['seconds']} | {p['share']:.1%} |" for p in i["profile"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=Path, default=REPO.parent / "shared/benchmarks/ncpqa/docs.jsonl")
    parser.add_argument("--chunks", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--name", default="embed")
    parser.add_argument("--candidates", default=",".join(CANDIDATES), help="comma-separated; the first e5 one is the reference")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "sample.jsonl"
        texts = sample_docs(args.docs, args.chunks, docs, Settings())
        result = {
            "source": args.docs.name,
            "documents": sum(1 for _ in docs.open(encoding="utf-8")),
            "chunks": len(texts),
            "mean_chars": round(statistics.mean(map(len, texts))),
            "mean_tokens": mean_tokens(texts),
            "rounds": args.rounds,
            "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
            **measure(docs, texts, args.rounds, Path(tmp), args.candidates.split(",")),
        }
    write_run(args.name, result, to_markdown(result), OUT)


if __name__ == "__main__":
    main()
