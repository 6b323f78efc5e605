"""The scale benchmark's stages, each run in a fresh process by bench.scale (so the serving process
measured holds only what serving loads, and no two processes hold one embedded Chroma).

    python -m bench.scale_stages grow|copies|serve|add-one --data-dir DIR --backend B --corpus DIR [...]

Each prints one JSON line of results last on stdout. ``grow`` and ``copies`` also append one line
per step to ``--log``, so a killed stage keeps the tally of the steps it finished.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import signal
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from itertools import count
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langchain_core.documents import Document  # noqa: E402
from langchain_core.embeddings import Embeddings  # noqa: E402

from bench.scale_corpus import Corpus, Shard, load_corpus, read_jsonl  # noqa: E402
from bench.smaps import rss_mib, smaps_mib  # noqa: E402
from core.settings import Settings  # noqa: E402
from index.embedding import build_embeddings  # noqa: E402
from index.service import Index, open_index  # noqa: E402
from index.store import chunk_to_document  # noqa: E402
from policyqa.factory import open_assistant  # noqa: E402

COPY_MARK = "~"  # a copy's doc_id is the original's plus ~<round>; no real doc_id holds it
COPY_ROOT = "scale-copy"  # the catalog "file" each batch of copies is recorded under
COPY_BATCH = 1000  # articles copied per step (~2k chunks)
GROUP_MIN = 2000  # chunks per ingest call at least: each call reconciles and brings BM25 up to date
Log = Callable[[dict], None]


def scale_settings(data_dir: Path, backend: str) -> Settings:
    return Settings(data_dir=data_dir, embedding_backend=backend)


def fake_embeddings() -> Embeddings:
    """The hash embedding of the unit tests: for trying the harness, never for reported numbers."""
    from tests.fakes import HashEmbeddings

    return HashEmbeddings()


# --- grow: real articles ------------------------------------------------------------------------


def grow(idx: Index, corpus: Corpus, target: int | None, log: Log, group_min: int = GROUP_MIN) -> None:
    """Ingest shards in order until the index holds ``target`` chunks (None: every shard)."""
    done = set(idx.catalog.paths())
    todo = [s for s in corpus.shards if s.path not in done]
    chars_done = sum(s.chars for s in corpus.shards if s.path in done)
    while todo and (target is None or idx.store.count() < target):
        stored = idx.store.count()
        per_chunk = chars_done / stored if stored else 300.0
        budget = max(group_min, stored // 4)  # each call's fixed costs grow with the index
        if target is not None:
            budget = min(budget, target - stored)
        group, chars = [], 0
        while todo and (not group or chars / per_chunk < budget):
            group.append(todo.pop(0))
            chars += group[-1].chars
        started = time.perf_counter()
        try:
            embedded = idx.ingest([Path(s.path) for s in group]).chunks_embedded
        except KeyboardInterrupt:  # tally what the stopped call stored (a file cut short is redone on resume)
            _log_group(idx, group, idx.store.count() - stored, started, log, interrupted=True)
            raise
        chars_done += chars
        _log_group(idx, group, embedded, started, log)


def _log_group(idx: Index, group: list[Shard], embedded: int, started: float, log: Log, interrupted: bool = False) -> None:
    stored = set(idx.catalog.paths())
    done = [s for s in group if s.path in stored]
    log({"shards": len(done), "articles": sum(s.articles for s in done), "chunks_embedded": embedded,
         "seconds": round(time.perf_counter() - started, 2), "chunks": idx.store.count(),
         **({"interrupted": True} if interrupted else {})})  # fmt: skip


# --- copies: more chunks without the corpus to make them -----------------------------------------


def add_copies(idx: Index, target: int, log: Log) -> None:
    """Copy real articles (catalog entries, chunks with their stored vectors) under new ids until
    the index holds ``target`` chunks; BM25 takes in each batch, as an ingest would."""
    real = _real_doc_ids(idx)
    if not real:
        raise SystemExit("no real articles to copy: run the real parts first")
    minhashes = {k: v for k, (_, v) in idx.catalog.minhashes().items() if COPY_MARK not in k}
    done = set(idx.catalog.paths())
    if not idx.store.bm25_in_step():  # a copy step was stopped before BM25 took it in
        idx.store.sync_bm25()
    for round_ in count(1):
        for start in range(0, len(real), COPY_BATCH):
            if idx.store.count() >= target:
                return
            path = f"{COPY_ROOT}/{round_}/{start // COPY_BATCH:05d}"
            if path not in done:
                _copy_batch(idx, real[start : start + COPY_BATCH], round_, path, minhashes, log)


def _real_doc_ids(idx: Index) -> list[str]:
    paths = [p for p in idx.catalog.paths() if not p.startswith(COPY_ROOT)]
    return sorted(doc_id for p in paths for doc_id in idx.catalog.file_doc_ids(p))


def _copy_batch(idx: Index, doc_ids: list[str], round_: int, path: str, minhashes: dict, log: Log) -> None:
    """Chunks first, then the catalog, as ingest does: a copy killed half way is redone whole."""
    started = time.perf_counter()
    renamed = {d: f"{d}{COPY_MARK}{round_}" for d in doc_ids}
    pairs = idx.store.vectors_of(doc_ids)
    copies = [chunk_to_document(replace(c, doc_id=renamed[c.doc_id], canonical_doc_id=None, path=path)) for c, _ in pairs]
    idx.store.put_vectors([d.id for d in copies], [v for _, v in pairs], [d.page_content for d in copies],
                          [d.metadata for d in copies])  # fmt: skip
    docs = []
    for doc_id in doc_ids:
        doc = idx.catalog.document(doc_id)
        meta = {**doc.metadata, "doc_id": renamed[doc_id], "canonical_doc_id": None, "path": path}
        docs.append(Document(page_content=doc.page_content, metadata=meta))
    idx.catalog.replace_file(path, "copy", path, docs, [minhashes[d] for d in doc_ids])
    synced = time.perf_counter()
    idx.store.sync_bm25()
    log({"articles": len(docs), "chunks_copied": len(pairs), "seconds": round(time.perf_counter() - started, 2),
         "bm25_seconds": round(time.perf_counter() - synced, 2), "chunks": idx.store.count()})  # fmt: skip


# --- serve: a fresh process answers the sample questions -----------------------------------------


def serve(settings: Settings, corpus: Corpus, embeddings: Embeddings | None, profile: int) -> dict:
    """RSS (VmRSS with its anonymous and file-backed parts, and per kind of mapping) at each step of
    a process that loads the model, opens the index and answers the sample questions; warm latency."""
    questions = list(read_jsonl(corpus.questions_path))
    memory, mappings = {}, {}

    def step(name: str) -> None:
        memory[name], mappings[name] = rss_mib(), smaps_mib(settings.data_dir)

    step("started")  # the imports
    if embeddings is None:  # the lazy model of the index is this one: built once per process
        build_embeddings(settings)
        step("model")
    with open_assistant(settings, embeddings=embeddings) as (idx, chain):
        step("opened")
        warmup = list(read_jsonl(corpus.warmup_path))
        chain.ask(warmup[0]["question"])  # jieba and BM25 load on the first question
        step("first_question")
        for q in warmup[1:]:  # caches warm
            chain.ask(q["question"])
        step("warm")
        rows = [_timed(chain, q) for q in questions]
        step("steady")
        memory["peak"] = memory["steady"]["peak"]
        result = {"chunks": idx.store.count(), "questions": len(rows), "rss_mib": memory, "smaps_mib": mappings,
                  **_summary(rows)}  # fmt: skip
        if profile:
            asked = questions[:profile]
            result["profile"] = _profile(lambda: [chain.ask(q["question"]) for q in asked], len(asked))
    return result


def _timed(chain, question: dict) -> dict:
    answer = chain.ask(question["question"])
    retrieve, total = answer.timings_ms["retrieve"], answer.timings_ms["total"]
    cited = {c.doc_id.split(COPY_MARK)[0] for c in answer.citations or answer.nearest}
    said = json.dumps([answer.answer, answer.refused, [c.doc_id for c in answer.shown]], ensure_ascii=False)
    return {"retrieve": retrieve, "answer": total - retrieve, "total": total, "refused": answer.refused,
            "relevant_cited": bool(cited & set(question["doc_ids"])), "said": said}  # fmt: skip


def _summary(rows: list[dict]) -> dict:
    out = {}
    for key in ("retrieve", "answer", "total"):
        values = [r[key] for r in rows]
        out[f"{key}_ms"] = {"p50": round(statistics.median(values), 1), "p95": round(_p95(values), 1)}
    out["answered"] = round(sum(not r["refused"] for r in rows) / len(rows), 3)
    out["relevant_cited"] = round(sum(r["relevant_cited"] for r in rows) / len(rows), 3)
    # Two runs answered alike (text, refusal, passages shown) when these are equal.
    out["answers_sha256"] = hashlib.sha256("\n".join(r["said"] for r in rows).encode()).hexdigest()
    return out


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def _profile(work: Callable[[], object], repeats: int, rows: int = 25) -> dict:
    """Where the time of ``work`` goes (cProfile), per repeat: the functions with most cumulative and own time."""
    profiler = cProfile.Profile()
    profiler.runcall(work)
    stats = pstats.Stats(profiler).stats

    def top(column: int) -> list[str]:
        ranked = sorted(stats.items(), key=lambda kv: -kv[1][column])[:rows]
        return [f"{v[3] / repeats * 1000:8.1f} ms cum {v[2] / repeats * 1000:8.1f} ms own  "
                f"{pstats.func_std_string(k)}" for k, v in ranked]  # fmt: skip

    return {"repeats": repeats, "by_cumulative": top(3), "by_own_time": top(2)}


# --- add-one: one new article into the index as it is ---------------------------------------------


def add_one(settings: Settings, probes: list[str], embeddings: Embeddings | None, profile: bool) -> dict:
    """Time ``Index.ingest`` of one held-out article, end to end, with the model already loaded;
    with ``profile``, then add another one under cProfile."""
    with open_index(settings, embeddings) as idx:
        known = set(idx.catalog.paths())
        unused = [Path(p) for p in probes if p not in known]  # an earlier, killed try used its probe
        idx.store.search_dense("预热", 1)  # loads the model: a running server has it loaded
        before = idx.store.count()
        started = time.perf_counter()
        report = idx.ingest(unused[:1])
        seconds = time.perf_counter() - started
        result = {"probe": str(unused[0]), "chunks_before": before, "chunks_added": report.chunks,
                  "seconds": round(seconds, 2), "rss_mib": rss_mib()}  # fmt: skip
        if profile:
            result["profile"] = _profile(lambda: idx.ingest(unused[1:2]), 1)
        return result


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    # kill (TERM) stops a stage as Ctrl-C does, so a stopped ingest tallies what it stored; and
    # INT is handled even when the shell started us in the background with it ignored.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    parser = argparse.ArgumentParser()
    parser.add_argument("stage", choices=("grow", "copies", "serve", "add-one"))
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--backend", required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--target", type=int, help="chunks to reach (grow: none means every shard)")
    parser.add_argument("--log", type=Path, help="grow/copies: one JSON line per step is appended here")
    parser.add_argument("--profile", type=int, default=0, help="serve: questions asked again under cProfile; "
                        "add-one: another article added under cProfile")  # fmt: skip
    parser.add_argument("--fake-embedding", action="store_true")
    args = parser.parse_args()
    settings = scale_settings(args.data_dir, args.backend)
    embeddings = fake_embeddings() if args.fake_embedding else None
    corpus = load_corpus(args.corpus)
    print(json.dumps(_run(args, settings, corpus, embeddings)))


def _run(args: argparse.Namespace, settings: Settings, corpus: Corpus, embeddings: Embeddings | None) -> dict:
    if args.stage == "serve":
        return serve(settings, corpus, embeddings, args.profile)
    if args.stage == "add-one":
        return add_one(settings, corpus.probes, embeddings, bool(args.profile))
    with open_index(settings, embeddings) as idx:
        log = _appender(args.log)
        if args.stage == "grow":
            grow(idx, corpus, args.target, log)
        else:
            add_copies(idx, args.target, log)
        return {"chunks": idx.store.count()}


def _appender(path: Path) -> Log:
    def log(row: dict) -> None:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")

    return log


if __name__ == "__main__":
    main()
