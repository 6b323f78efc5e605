"""Incremental BM25 (index/bm25.py) against the bm25s index it replaced, side by side in one run.

Chunks: CRUD-RAG articles (../shared/benchmarks/crud_rag/docs-*.jsonl) cut by the chunker (not
cleaned first), each indexed as the store indexes it (heading line + simplified text). Past the
real chunks, the same texts repeat under new ids: say so when quoting 500k. Queries: the CRUD-RAG
dev questions, simplified as the retriever does. Each index is loaded and queried in a fresh
subprocess, so the RSS is that index's alone; the subprocesses run in interleaved rounds (medians
quoted) so the machine's load falls on each alike. ``before`` is the segments index searched as
index/bm25.py searched it before the exact top-k (kept here only, to measure against).

Measured: building each index (for bm25s also the cost of every add: the store rebuilt it whole,
after reading every chunk back from Chroma); adding one article's chunks; query latency p50/p95;
RSS after loading and after the queries; disk size. With ``--e2e`` instead: ``Index.ingest`` of
one new small file into a store of ``--chunks`` chunks (the bulk stored with tests/fakes.py's
HashEmbeddings, uncleaned articles and random MinHash signatures, so no model embeds it), and the
parts of that ingest that grow with the store.

    PYTHONPATH=. .venv/bin/python -m bench.bm25 --chunks 100000
    PYTHONPATH=. .venv/bin/python -m bench.bm25 --chunks 500000 --no-bm25s
    PYTHONPATH=. .venv/bin/python -m bench.bm25 --chunks 10000 --e2e
"""

from __future__ import annotations

import argparse
import hashlib
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

from index.bm25 import Bm25Index, tokenize
from index.bm25_topk import B, K1, top_slots
from index.segments import term_keys
from index.chunking import chunk_document
from index.store import chunk_to_document
from index.text.script import to_simplified

REPO = Path(__file__).resolve().parent.parent
CRUD = REPO.parent / "shared" / "benchmarks" / "crud_rag"
RESULTS = REPO / "bench" / "results"
PAGE = 5000  # chunks per page, as the store reads Chroma
ADDS = 5  # articles added one at a time
ROUNDS = 3  # interleaved rounds of serving subprocesses


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


# --- the index the store kept before (bm25s), as index/bm25.py built and searched it ---------------


def bm25s_build(chunks: list[tuple[str, str]], folder: Path) -> None:
    import bm25s

    model = bm25s.BM25()
    model.index([tokenize(t) or [""] for _, t in chunks], show_progress=False)
    shutil.rmtree(folder, ignore_errors=True)
    model.save(str(folder), show_progress=False)
    (folder / "ids.json").write_text(json.dumps([cid for cid, _ in chunks]), encoding="utf-8")


def bm25s_searcher(folder: Path):
    import bm25s

    ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
    model = bm25s.BM25.load(str(folder), mmap=True)

    def search(query: str, k: int) -> list[tuple[str, float]]:
        scores = model.get_scores(tokenize(query))
        top = np.argsort(-scores)[:k]
        return [(ids[i], float(scores[i])) for i in top if scores[i] > 0]

    return search


# --- the segments searched as before index/bm25_topk.py: every posting of every query term scored ----


def before_searcher(folder: Path):
    index = Bm25Index.load(folder)

    def search(query: str, k: int) -> list[tuple[str, float]]:
        tokens = tokenize(query)
        live = [s for s in index.segments if s.live_count]
        if not tokens or not live:
            return []
        keys, repeats = np.unique(term_keys(tokens), return_counts=True)
        found = [_before_postings(s, keys) for s in live]
        df = sum(np.bincount(which[s.live[docs]] if len(s.dead) else which, minlength=len(keys))
                 for s, (docs, _, which) in zip(live, found))  # fmt: skip
        n = sum(s.live_count for s in live)
        average = sum(s.live_length for s in live) / n
        weights = repeats * np.log(1 + (n - df + 0.5) / (df + 0.5))
        best: list[tuple[float, str]] = []
        for s, (docs, tfs, which) in zip(live, found):
            tf = tfs.astype(np.float64)
            terms = weights[which] * tf / (tf + K1 * (1 - B) + (K1 * B / average) * s.lengths[docs])
            scores = np.bincount(docs, weights=terms, minlength=len(s.ids)).astype(np.float32)
            scores[s.dead] = 0
            best += [(-float(scores[i]), s.ids[i].decode()) for i in top_slots(scores, k)]
        return [(cid, -negated) for negated, cid in sorted(best)[:k]]

    return search


def _before_postings(segment, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    held, starts, ends = segment.spans(keys)
    docs, tfs = segment.gather(starts, ends)
    return docs, tfs, np.repeat(held, ends - starts)


# --- measuring -------------------------------------------------------------------------------------


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def serve(kind: str, folder: Path) -> dict:
    """In a fresh process: load one index, answer every question twice (the first pass warms), time the second."""
    asked = questions()
    before = rss_mb()
    started = time.perf_counter()
    search = {"bm25s": bm25s_searcher, "before": before_searcher}.get(kind, lambda f: Bm25Index.load(f).search)(folder)
    loaded_s = time.perf_counter() - started
    loaded = rss_mb()
    for q in asked:
        search(q, 10)
    times, found = [], []
    for q in asked:
        t = time.perf_counter()
        found.append(search(q, 10))
        times.append(time.perf_counter() - t)
    return {"load_s": round(loaded_s, 3), "rss_mb_start": round(before), "rss_mb_loaded": round(loaded),
            "rss_mb_after_queries": round(rss_mb()), "p50_ms": round(1000 * statistics.median(times), 2),
            "p95_ms": round(1000 * float(np.percentile(times, 95)), 2), "top": found}  # fmt: skip


def served(kind: str, folder: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bm25", "--serve", kind, str(folder)], cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout)


def disk_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def timed(task) -> tuple[float, object]:
    started = time.perf_counter()
    result = task()
    return time.perf_counter() - started, result


def bm25_side(work: Path, chunks, held, with_bm25s: bool) -> dict:
    new, old = work / "segments", work / "bm25s"
    shutil.rmtree(new, ignore_errors=True)

    def build_new() -> Bm25Index:
        bm25 = Bm25Index()
        for i in range(0, len(chunks), PAGE):  # page by page, as the store rebuilds from Chroma
            bm25 = bm25.updated((), dict(chunks[i : i + PAGE]), new)
        return bm25.save(new, "built")

    row: dict = {"chunks": len(chunks)}
    row["build_s"] = {"segments": round(timed(build_new)[0], 1)}
    row["segments_after_build"] = len(Bm25Index.load(new).segments)
    if with_bm25s:  # over the chunks the segments hold once the articles below are added, so scores compare
        whole = chunks + [chunk for article in held for chunk in article]
        row["build_s"]["bm25s"] = round(timed(lambda: bm25s_build(whole, old))[0], 1)
    row["disk_mb"] = {"segments": disk_mb(new), **({"bm25s": disk_mb(old)} if with_bm25s else {})}
    adds = []
    for number, article in enumerate(held):  # one article at a time, each saved as the store saves it
        bm25 = Bm25Index.load(new)
        adds.append(timed(lambda: bm25.updated((), dict(article), new).save(new, f"add{number}"))[0])
    row["add_one_article_s"] = {"segments_median": round(statistics.median(adds), 3), "segments_max": round(max(adds), 3),
                                "article_chunks": [len(a) for a in held]}  # fmt: skip
    row["segments_after_adds"] = len(Bm25Index.load(new).segments)
    kinds = ["segments", "before", "bm25s"] if with_bm25s else ["segments", "before"]
    rounds: dict[str, list[dict]] = {kind: [] for kind in kinds}
    row["load_average"] = [round(os.getloadavg()[0], 2)]
    for _ in range(ROUNDS):
        for kind in kinds:
            rounds[kind].append(served(kind, old if kind == "bm25s" else new))
        row["load_average"].append(round(os.getloadavg()[0], 2))
    top = {kind: runs[0]["top"] for kind, runs in rounds.items()}
    row["same_top10_as_before"] = top["segments"] == top["before"]  # ids and scores, exactly
    if with_bm25s:
        row["same_top10_scores"] = all(
            np.allclose([s for _, s in a], [s for _, s in b], rtol=1e-5) for a, b in zip(top["segments"], top["bm25s"])
        )  # fmt: skip
    row["serve"] = {kind: _medians(runs) for kind, runs in rounds.items()}
    return row


def _medians(runs: list[dict]) -> dict:
    """Each figure's median over the rounds, and the rounds' p50s."""
    figures = {key: statistics.median(run[key] for run in runs) for key in runs[0] if key != "top"}
    return {**figures, "p50_ms_rounds": [run["p50_ms"] for run in runs]}


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
    lines = ["| chunks | index | build s | add one article s | query p50 ms | p95 ms | RSS loaded MB | RSS after 200 queries MB | disk MB |",
             "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for row in rows:
        if "serve" not in row:
            continue
        for kind, run in row["serve"].items():
            add = row["add_one_article_s"]
            stored = "bm25s" if kind == "bm25s" else "segments"
            added = f"{add['segments_median']} (max {add['segments_max']})" if stored == "segments" else "= build (whole rebuild)"
            lines.append(f"| {row['chunks']} | {kind} | {row['build_s'][stored]} | {added} | {run['p50_ms']} | {run['p95_ms']} | "
                         f"{run['rss_mb_loaded'] - run['rss_mb_start']} | {run['rss_mb_after_queries'] - run['rss_mb_start']} | {row['disk_mb'][stored]} |")  # fmt: skip
    for row in rows:
        if "serve" in row:
            same = "identical" if row["same_top10_as_before"] else "NOT identical"
            lines += ["", f"Medians of {ROUNDS} interleaved rounds (p50 per round: "
                      + "; ".join(f"{kind} {run['p50_ms_rounds']}" for kind, run in row["serve"].items())
                      + f"); load average {row['load_average']}. Top 10 of every question {same} to before (ids and scores)."]  # fmt: skip
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
    parser.add_argument("--no-bm25s", action="store_true", help="skip bm25s (its build holds every token as a Python string)")
    parser.add_argument("--e2e", action="store_true")
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        print(json.dumps(serve(args.serve[0], Path(args.serve[1]))))
        return
    work = args.work / str(args.chunks)
    work.mkdir(parents=True, exist_ok=True)
    held = held_out()
    chunks, added = corpus(args.work, args.chunks, held)
    name = f"bm25-{args.chunks // 1000}k" + ("-e2e" if args.e2e else "")
    row = e2e(work, args.chunks, held) if args.e2e else bm25_side(work, chunks, added, not args.no_bm25s)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(row, indent=1, ensure_ascii=False), encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(markdown([row]), encoding="utf-8")
    print(markdown([row]))


if __name__ == "__main__":
    main()
