"""Incremental BM25 (index/bm25.py): building it, adding one article, searching it, its RSS and disk.

Chunks: CRUD-RAG articles (../shared/benchmarks/crud_rag/docs-*.jsonl) cut by the chunker (not
cleaned first), each indexed as the store indexes it (heading line + simplified text). Past the
real chunks, the same texts repeat under new ids: say so when quoting 500k. Queries: the CRUD-RAG
dev questions, simplified as the retriever does. Each index is loaded and queried in a fresh
subprocess, so the RSS is that index's alone, in rounds (medians quoted).

The comparisons in bench/results/bm25-*.md with the bm25s index the store kept before, and with
the segments searched before the exact top-k, were made by this file as of commit 7b854b1; they
went with it, since bm25s is a storage library (used only inside index/ and by the tests that
check index/bm25.py's scores against it) and the old search is gone from the code.

Measured: building the index; adding one article's chunks; query latency p50/p95; RSS after
loading and after the queries; disk size. With ``--e2e`` instead: ``Index.ingest`` of
one new small file into a store of ``--chunks`` chunks (the bulk stored with tests/fakes.py's
HashEmbeddings, uncleaned articles and random MinHash signatures, so no model embeds it), and the
parts of that ingest that grow with the store.

    PYTHONPATH=. .venv/bin/python -m bench.bm25 --chunks 100000
    PYTHONPATH=. .venv/bin/python -m bench.bm25 --chunks 500000
    PYTHONPATH=. .venv/bin/python -m bench.bm25 --chunks 10000 --e2e
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from langchain_core.documents import Document

from bench.smaps import rss_mib
from index.bm25 import Bm25Index
from index.chunking import chunk_document
from index.store import chunk_to_document
from index.text.script import to_simplified

REPO = Path(__file__).resolve().parent.parent
CRUD = REPO.parent / "shared" / "benchmarks" / "crud_rag"
RESULTS = REPO / "bench" / "results"
PAGE = 5000  # chunks per page, as the store reads Chroma
ADDS = 5  # articles added one at a time
ROUNDS = 3  # rounds of serving subprocesses


def articles() -> Iterator[dict]:
    for path in sorted(CRUD.glob("docs-*.jsonl")):
        with open(path, encoding="utf-8") as lines:
            yield from map(json.loads, lines)


def article(record: dict) -> Document:
    """A record as the chunker takes it; not cleaned (no jieba place tagging), to keep 50k articles quick."""
    return Document(record["text"], metadata={"doc_id": record["doc_id"], "title": record.get("title") or ""})


def article_chunks(record: dict) -> list:
    return chunk_document(article(record))


def held_out() -> list[list[dict]]:
    """ADDS new "articles" of about ten chunks: CRUD-RAG articles are short (2 chunks each), so each
    is the next few articles, kept out of the bulk."""
    groups, records = [], articles()
    for _ in range(ADDS):
        group, chunks = [], 0
        while chunks < 10:
            group.append(next(records))
            chunks += len(article_chunks(group[-1]))
        groups.append(group)
    return groups


def corpus(work: Path, wanted: int, held: list[list[dict]]) -> tuple[list[tuple[str, str]], list[list[tuple[str, str]]]]:
    """``wanted`` (id, stored text) chunks of the bulk, repeating the real ones under new ids past
    their end, and the held-out articles' chunks; cached in ``work``."""
    cache = work / f"chunks-{wanted}.json"
    skip = {r["doc_id"] for group in held for r in group}
    if not cache.exists():
        real = []
        for record in articles():
            if record["doc_id"] not in skip:
                real += [(c.chunk_id, chunk_to_document(c).page_content) for c in article_chunks(record)]
            if len(real) >= wanted:
                break
        cache.write_text(json.dumps(real[:wanted], ensure_ascii=False), encoding="utf-8")
    real = [tuple(p) for p in json.loads(cache.read_text(encoding="utf-8"))]
    copies = [(f"{cid}#copy{i // len(real)}", text) for i in range(len(real), wanted) for cid, text in [real[i % len(real)]]]
    added = [[(c.chunk_id, chunk_to_document(c).page_content) for r in group for c in article_chunks(r)] for group in held]
    return real + copies, added


def questions(n: int = 200) -> list[str]:
    with open(CRUD / "qa.dev.jsonl", encoding="utf-8") as lines:
        return [to_simplified(json.loads(line)["question"]) for line, _ in zip(lines, range(n))]


# --- measuring -------------------------------------------------------------------------------------


def serve(folder: Path) -> dict:
    """In a fresh process: load the index, answer every question twice (the first pass warms), time the second."""
    asked = questions()
    before = rss_mib()["now"]
    started = time.perf_counter()
    search = Bm25Index.load(folder).search
    loaded_s = time.perf_counter() - started
    loaded = rss_mib()["now"]
    for q in asked:
        search(q, 10)
    times = []
    for q in asked:
        t = time.perf_counter()
        search(q, 10)
        times.append(time.perf_counter() - t)
    return {"load_s": round(loaded_s, 3), "rss_mb_start": round(before), "rss_mb_loaded": round(loaded),
            "rss_mb_after_queries": round(rss_mib()["now"]), "p50_ms": round(1000 * statistics.median(times), 2),
            "p95_ms": round(1000 * float(np.percentile(times, 95)), 2)}  # fmt: skip


def served(folder: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bm25", "--serve", str(folder)], cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout)


def disk_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def timed(task) -> tuple[float, object]:
    started = time.perf_counter()
    result = task()
    return time.perf_counter() - started, result


def bm25_side(work: Path, chunks, held) -> dict:
    folder = work / "segments"
    shutil.rmtree(folder, ignore_errors=True)

    def build() -> Bm25Index:
        bm25 = Bm25Index()
        for i in range(0, len(chunks), PAGE):  # page by page, as the store rebuilds from Chroma
            bm25 = bm25.updated((), dict(chunks[i : i + PAGE]), folder)
        return bm25.save(folder, "built")

    row: dict = {"chunks": len(chunks), "build_s": round(timed(build)[0], 1)}
    row["segments_after_build"] = len(Bm25Index.load(folder).segments)
    row["disk_mb"] = disk_mb(folder)
    adds = []
    for number, article in enumerate(held):  # one article at a time, each saved as the store saves it
        bm25 = Bm25Index.load(folder)
        adds.append(timed(lambda: bm25.updated((), dict(article), folder).save(folder, f"add{number}"))[0])
    row["add_one_article_s"] = {"median": round(statistics.median(adds), 3), "max": round(max(adds), 3),
                                "article_chunks": [len(a) for a in held]}  # fmt: skip
    row["segments_after_adds"] = len(Bm25Index.load(folder).segments)
    row["load_average"] = [round(os.getloadavg()[0], 2)]
    runs = []
    for _ in range(ROUNDS):
        runs.append(served(folder))
        row["load_average"].append(round(os.getloadavg()[0], 2))
    row["serve"] = {**{key: statistics.median(run[key] for run in runs) for key in runs[0]},
                    "p50_ms_rounds": [run["p50_ms"] for run in runs]}  # fmt: skip
    return row


# --- end to end: one new file into a store of many chunks --------------------------------------------


def e2e(work: Path, chunks_wanted: int, held: list[list[dict]]) -> dict:
    from index.dedup import NUM_PERM
    from index.pipeline import reconcile
    from index.service import open_index
    from core.settings import Settings
    from tests.fakes import HashEmbeddings

    settings = Settings(data_dir=work / "store")
    rng = np.random.default_rng(0)
    skip = {r["doc_id"] for group in held for r in group}
    with open_index(settings, HashEmbeddings()) as idx:
        stored = idx.store.count()
        batch_docs, batch_chunks = [], []
        for record in articles():
            if stored >= chunks_wanted:
                break
            if record["doc_id"] in skip or idx.catalog.file_hash(f"/bulk/{record['doc_id']}") is not None:
                continue
            chunks = article_chunks(record)
            batch_docs.append((record["doc_id"], [article(record)]))
            batch_chunks += chunks
            stored += len(chunks)
            if len(batch_chunks) >= 2000 or stored >= chunks_wanted:
                idx.store.add(batch_chunks, batch_size=256)
                for doc_id, docs in batch_docs:  # random signatures: no bulk article is a copy of another
                    sigs = [rng.integers(0, 2**32, NUM_PERM, dtype=np.uint64) for _ in docs]
                    idx.catalog.replace_file(f"/bulk/{doc_id}", "bulk", doc_id, docs, sigs)
                batch_docs, batch_chunks = [], []
                print(f"stored {stored} chunks", file=sys.stderr, flush=True)
        if not idx.store.bm25_in_step():
            built_s = timed(idx.store.sync_bm25)[0]
            print(f"BM25 synced from the whole collection in {built_s:.1f} s", file=sys.stderr)
        row: dict = {"chunks": idx.store.count()}
        row["reconcile_s"] = round(timed(lambda: reconcile(idx.catalog, idx.store))[0], 2)
        row["bm25_in_step_s"] = round(timed(idx.store.bm25_in_step)[0], 3)
        row["read_all_documents_s"] = round(timed(lambda: sum(1 for _ in idx.store._pages(["documents"])))[0], 1)
        ingests = []
        for number, group in enumerate(held):
            path = work / f"new-{number}.txt"
            path.write_text("\n\n".join(r["text"] for r in group), encoding="utf-8")
            seconds, report = timed(lambda: idx.ingest([path]))
            ingests.append({"seconds": round(seconds, 2), "chunks": report.chunks})
        row["ingest_one_file"] = ingests
        row["ingest_one_file_median_s"] = statistics.median(i["seconds"] for i in ingests)
    return row


def markdown(rows: list[dict]) -> str:
    lines = ["| chunks | build s | add one article s | query p50 ms | p95 ms | RSS loaded MB | RSS after 200 queries MB | disk MB |",
             "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for row in rows:
        if "serve" not in row:
            continue
        run, add = row["serve"], row["add_one_article_s"]
        lines.append(f"| {row['chunks']} | {row['build_s']} | {add['median']} (max {add['max']}) | {run['p50_ms']} | "
                     f"{run['p95_ms']} | {run['rss_mb_loaded'] - run['rss_mb_start']} | "
                     f"{run['rss_mb_after_queries'] - run['rss_mb_start']} | {row['disk_mb']} |")  # fmt: skip
        lines += ["", f"Medians of {ROUNDS} rounds (p50 per round: {run['p50_ms_rounds']}); load average {row['load_average']}."]
    for row in rows:
        if "ingest_one_file" in row:
            lines += ["", f"`Index.ingest` of one new file into a store of {row['chunks']} chunks: median {row['ingest_one_file_median_s']} s "
                      f"({', '.join(str(i['seconds']) for i in row['ingest_one_file'])}); of which reconcile {row['reconcile_s']} s, "
                      f"bm25_in_step {row['bm25_in_step_s']} s; reading every chunk back as the old rebuild did: {row['read_all_documents_s']} s."]  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/policyqa-bench-bm25"))
    parser.add_argument("--e2e", action="store_true")
    parser.add_argument("--serve", type=Path, metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        print(json.dumps(serve(args.serve)))
        return
    work = args.work / str(args.chunks)
    work.mkdir(parents=True, exist_ok=True)
    held = held_out()
    chunks, added = corpus(args.work, args.chunks, held)
    name = f"bm25-{args.chunks // 1000}k" + ("-e2e" if args.e2e else "")
    row = e2e(work, args.chunks, held) if args.e2e else bm25_side(work, chunks, added)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(row, indent=1, ensure_ascii=False), encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(markdown([row]), encoding="utf-8")
    print(markdown([row]))


if __name__ == "__main__":
    main()
