"""Embedding throughput: each candidate's raw encode on the same chunk texts, side by side in one run,
and `policyqa ingest` of the same documents next to the raw encode of the backends in `--pipeline`
(default: the fastest), with a profile of where that ingest spends its time.

Candidates are the backends (`POLICYQA_EMBEDDING_BACKEND`), and e5 with fewer tokens embedded per
chunk (`onnx-int8@128`: `POLICYQA_EMBEDDING_MAX_TOKENS=128`; `torch-bf16@128` likewise, here only).
Each ingest runs in a fresh process, as `policyqa ingest` does (model loading not counted); with
`--baseline`, the same ingest of another checkout (its PYTHONPATH) runs in the same rounds, so a
change to the pipeline is measured before and after side by side.

Writes bench/results/<name>.json and .md. Usage:
    .venv/bin/python -m bench.embed [--docs ../shared/benchmarks/ncpqa/docs.jsonl] [--chunks 400] [--rounds 3]
        [--candidates onnx-int8,onnx-int8@64,static] [--pipeline onnx-int8,static] [--baseline /tmp/base:/tmp/occ-py]
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
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
from index.store import chunk_to_document  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "results"
BACKENDS = ("torch", "torch-bf16", "onnx", "onnx-int8", "static")
CUTS = (128, 64)
CANDIDATES = BACKENDS + tuple(f"{b}@{n}" for b in ("torch-bf16", "onnx-int8") for n in CUTS)


def sample_docs(source: Path, chunks: int, out: Path, settings: Settings) -> list[str]:
    """Write the first articles of ``source`` holding at least ``chunks`` chunks to ``out``; return
    the texts ingest would embed for them (headings included, as Chroma stores them)."""
    texts: list[str] = []
    one = out.with_suffix(".one.jsonl")
    with source.open(encoding="utf-8") as handle, out.open("w", encoding="utf-8") as sample:
        for line in handle:
            if len(texts) >= chunks:
                break
            sample.write(line)
            one.write_text(line, encoding="utf-8")
            texts += chunk_texts(one, settings)
    one.unlink(missing_ok=True)
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


# What a fresh process runs for one ingest: only APIs a baseline checkout has too. An ingest of the
# first article elsewhere first loads what every run loads once (the model, jieba's dictionary).
_INGEST = """
import cProfile, json, sys
from pathlib import Path
from core.settings import Settings
from index.service import open_index
docs, data_dir, profile = sys.argv[1:4]
first = Path(data_dir + "-warm.jsonl")
first.write_text(Path(docs).read_text(encoding="utf-8").splitlines()[0], encoding="utf-8")
with open_index(Settings(data_dir=first.with_suffix(""))) as idx:
    idx.ingest([first])
with open_index(Settings(data_dir=Path(data_dir))) as idx:
    profiler = cProfile.Profile()
    report = profiler.runcall(idx.ingest, [Path(docs)]) if profile else idx.ingest([Path(docs)])
if profile:
    profiler.dump_stats(profile)
print(json.dumps({"seconds": report.seconds, "chunks": report.chunks, "embedded": report.chunks_embedded}))
"""


def ingest(backend: str, docs: Path, scratch: Path, path: str = "", profile: Path | None = None) -> dict:
    """`Index.ingest` of ``docs`` into a new data dir, in a fresh process whose PYTHONPATH is ``path`` (else this tree)."""
    found = _fresh(_INGEST, [str(docs), str(scratch), str(profile or "")], scratch.parent, path, backend)
    return json.loads(found)


def _fresh(script: str, args: list[str], cwd: Path, path: str = "", backend: str = "") -> str:
    """The last line ``script`` prints, run in a fresh Python process whose PYTHONPATH is ``path``
    (else this tree), with POLICYQA_EMBEDDING_BACKEND set to ``backend`` when given."""
    env = {**os.environ, "PYTHONPATH": path or _own_path(), **({"POLICYQA_EMBEDDING_BACKEND": backend} if backend else {})}
    done = subprocess.run([sys.executable, "-c", script, *args], env=env, check=True, capture_output=True, text=True, cwd=cwd)
    return done.stdout.strip().splitlines()[-1]


def _own_path() -> str:
    return os.pathsep.join(p for p in (os.environ.get("PYTHONPATH", ""), str(REPO)) if p)


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


def own_time(stats_file: Path, roots: list[str], top: int = 12) -> list[dict]:
    """Where a profiled ingest spent its time: the functions with the most time of their own, by file."""
    by_file: dict[str, float] = {}
    for (file, _line, name), (_calls, _primitive, own, _cumulative, _callers) in pstats.Stats(str(stats_file)).stats.items():
        # C functions (regex, sqlite, numpy) have no file: their own name says more.
        key = name if file == "~" else file.split("site-packages/")[-1]
        for root in roots:
            key = key.removeprefix(root.rstrip("/") + "/")
        by_file[key] = by_file.get(key, 0.0) + own
    total = sum(by_file.values())
    ranked = sorted(by_file.items(), key=lambda item: -item[1])[:top]
    return [{"file": f, "seconds": round(t, 2), "share": round(t / total, 3)} for f, t in ranked]


# Raw encode runs in a fresh process too, as an ingest does: timed inside this process it ran slower
# than a whole ingest (2.4 against 4.3 chunks/s), its libraries' thread pools beside ONNX Runtime's.
_ENCODE = """
import json, sys, time
import numpy as np
from bench.embed import build_candidate
name, texts_file, vectors_file = sys.argv[1:4]
texts = json.loads(open(texts_file, encoding="utf-8").read())
model = build_candidate(name)
np.save(vectors_file, np.array(model.embed_documents(texts[:64])))  # warm-up; also what is compared
started = time.perf_counter()
model.embed_documents(texts)
print(time.perf_counter() - started)
"""


def encode(name: str, texts_file: Path, scratch: Path) -> tuple[float, np.ndarray]:
    """Seconds a fresh process's candidate ``name`` takes to embed the texts (model warm), and its
    vectors of the first 64."""
    vectors = scratch / f"{name}.npy"
    seconds = float(_fresh(_ENCODE, [name, str(texts_file), str(vectors)], scratch))
    return seconds, np.load(vectors)


def measure(texts_file: Path, chunks: int, rounds: int, candidates: list[str], scratch: Path) -> dict:
    """Raw encode of every candidate on the texts, each try a fresh process, in interleaved rounds
    (so a busy moment on the machine hits every candidate alike)."""
    seconds: dict[str, list[float]] = {c: [] for c in candidates}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(rounds):
        for name in candidates:
            took, vectors[name] = encode(name, texts_file, scratch)
            seconds[name].append(took)
    reference = next((c for c in candidates if c != "static"), candidates[0])
    cosine = {c: round(float(np.min(np.sum(v * vectors[reference], axis=1))), 5)
              if v.shape == vectors[reference].shape else None for c, v in vectors.items()}  # fmt: skip
    rates = {c: round(chunks / statistics.median(s), 2) for c, s in seconds.items()}
    found = {c: {"chunks_per_s": rates[c], "seconds": [round(x, 2) for x in seconds[c]],
                 "min_cosine_vs_reference": cosine[c]} for c in candidates}  # fmt: skip
    fastest = max((c for c in candidates if "@" not in c), key=rates.get)
    return {"reference": reference, "encode": found, "fastest": fastest}


def pipeline(backend: str, docs: Path, texts_file: Path, chunks: int, rounds: int, scratch: Path, baseline: str) -> dict:
    """`policyqa ingest` of ``docs`` next to raw encode of their chunk texts, in interleaved rounds,
    for this tree and (when given) the baseline; then one more ingest of each under cProfile."""
    codes = {**({"before": baseline} if baseline else {}), "after": ""}
    raw: list[float] = []
    runs: dict[str, list[dict]] = {code: [] for code in codes}
    loads = []
    for r in range(rounds):
        loads.append(round(os.getloadavg()[0], 1))
        raw.append(encode(backend, texts_file, scratch)[0])
        for code, path in (list(codes.items())[::-1] if r % 2 else codes.items()):  # each goes first in turn
            runs[code].append(ingest(backend, docs, scratch / f"{backend}-{code}-{r}", path))
    raw_rate = chunks / statistics.median(raw)
    found = {"backend": backend, "raw_chunks_per_s": round(raw_rate, 2), "raw_seconds": [round(x, 2) for x in raw],
             "load_average": loads}  # fmt: skip
    for code, path in codes.items():
        rate = chunks / statistics.median(run["seconds"] for run in runs[code])
        stats = scratch / f"{backend}-{code}.prof"
        ingest(backend, docs, scratch / f"{backend}-{code}-profiled", path, stats)
        roots = [str(REPO), *(path.split(os.pathsep) if path else [])]
        found[code] = {"ingest_chunks_per_s": round(rate, 2), "pipeline_overhead_pct": round((raw_rate / rate - 1) * 100, 1),
                       "runs": runs[code], "profile": own_time(stats, roots)}  # fmt: skip
    return found


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
    for found in result["pipeline"].values():
        lines += ["", *pipeline_markdown(found)]
    return "\n".join(lines) + "\n"


def pipeline_markdown(found: dict) -> list[str]:
    codes = [c for c in ("before", "after") if c in found]
    lines = [f"`policyqa ingest` of the same articles with {found['backend']} (each run a fresh process), against "
             f"{found['raw_chunks_per_s']} chunks/s raw encode in the same rounds (load average {found['load_average']}):",
             "", "| code | ingest chunks/s | pipeline adds | ingest seconds |", "|---|---|---|---|"]  # fmt: skip
    lines += [f"| {code} | {found[code]['ingest_chunks_per_s']} | {found[code]['pipeline_overhead_pct']}% | "
              f"{', '.join(str(run['seconds']) for run in found[code]['runs'])} |" for code in codes]  # fmt: skip
    lines += ["", "Where one more ingest of each spends its time (cProfile, the main thread; own time by file):", "",
              "| " + " | ".join(f"{code}: file | s | share" for code in codes) + " |", "|---" * 3 * len(codes) + "|"]  # fmt: skip
    profiles = [found[code]["profile"] for code in codes]
    for row in zip(*profiles):
        lines.append("| " + " | ".join(f"`{p['file']}` | {p['seconds']} | {p['share']:.1%}" for p in row) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=Path, default=REPO.parent / "shared/benchmarks/ncpqa/docs.jsonl")
    parser.add_argument("--chunks", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--name", default="embed")
    parser.add_argument("--candidates", default=",".join(CANDIDATES), help="comma-separated; the first e5 one is the reference")
    parser.add_argument("--pipeline", default="", help="comma-separated backends whose ingest to measure; default the fastest")
    parser.add_argument("--baseline", default="", help="PYTHONPATH of another checkout, to ingest with in the same rounds")
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
            "baseline": args.baseline,
        }
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        found = measure(texts_file, len(texts), args.rounds, args.candidates.split(","), Path(tmp))
        backends = args.pipeline.split(",") if args.pipeline else [found["fastest"]]
        pipelines = {b: pipeline(b, docs, texts_file, len(texts), args.rounds, Path(tmp), args.baseline) for b in backends}
        result |= found | {"pipeline": pipelines}
    write_run(args.name, result, to_markdown(result), OUT)


if __name__ == "__main__":
    main()
