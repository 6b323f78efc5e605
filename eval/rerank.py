"""`policyqa eval-rerank`: would the answerability model rank passages better than BM25 alone?

Each CI question's fused top ``DEPTH`` chunks are re-ordered by the model's probability that
that chunk alone answers the question (ties keep the fused order). The re-ranked list and the
fused list are each compared with BM25 alone question by question: reciprocal rank of the first
gold document, counts of questions ranked better and worse, two-sided sign-test p. The model
becomes a reranker only if it beats BM25 alone on every set with p < 0.05; the report says
either way.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from core.settings import Settings
from eval.benchmarks import bench_set
from eval.metrics.paired import paired
from eval.metrics.retrieval import reciprocal_rank
from eval.paths import RUNS_DIR, SHARED_BENCHMARKS
from eval.questions import load_questions
from eval.report import fmt, write_json
from eval.runner import RETRIEVED_DEPTH, ensure_ingested, target_for
from index.service import open_index
from policyqa.factory import build_retriever
from rag.answerability import AnswerabilityModel, load_model
from rag.question import analyse
from rag.types import RetrievedChunk

DEPTH = 20  # fused candidates the model re-orders; ranks are scored ten deep like eval-bench
DEFAULT_OUT = RUNS_DIR / "rerank"
SETS = ("ncpqa", "crud")


def run_rerank(settings: Settings, sets: Sequence[str] = SETS, out: Path = DEFAULT_OUT,
               shared: Path = SHARED_BENCHMARKS) -> dict:  # fmt: skip
    started = time.perf_counter()
    model = load_model(settings.answerability_model)
    rows = [_compare(settings, name, model, shared) for name in sets]
    report = {
        "depth": DEPTH,
        "sets": rows,
        "adopt": all(r["reranked_vs_bm25"]["better"] > r["reranked_vs_bm25"]["worse"]
                     and r["reranked_vs_bm25"]["p"] < 0.05 for r in rows),  # fmt: skip
        "seconds": round(time.perf_counter() - started, 1),
        "finished": datetime.now().isoformat(timespec="seconds"),
    }
    write_json(out / "rerank.json", report)
    (out / "rerank.md").write_text(rerank_markdown(report), encoding="utf-8")
    return report


def _compare(settings: Settings, name: str, model: AnswerabilityModel, shared: Path) -> dict:
    bench = bench_set(name, settings.data_dir, shared)
    questions = [q for q in load_questions(bench.questions) if q.answerable and q.doc_ids]
    target = target_for(settings, bench.docs)
    rr: dict[str, list[float]] = {"bm25": [], "hybrid": [], "reranked": []}
    ensure_ingested(target)
    with open_index(target.settings) as idx:
        fused, bm25 = build_retriever(idx.settings, idx.store, "hybrid"), build_retriever(idx.settings, idx.store, "bm25")
        for q in questions:
            hits = fused.retrieve(q.question, None, DEPTH)
            lists = {"bm25": bm25.retrieve(q.question, None, RETRIEVED_DEPTH), "hybrid": hits,
                     "reranked": reranked(model, q.question, hits)}  # fmt: skip
            for key, ranked in lists.items():
                rr[key].append(reciprocal_rank([{h.chunk.doc_id, h.chunk.story_id} for h in ranked[:RETRIEVED_DEPTH]], q.doc_ids))
    mrr = {key: sum(values) / len(values) for key, values in rr.items()}
    return {"set": name, "questions": len(questions), "mrr": mrr,
            "reranked_vs_bm25": paired(rr["reranked"], rr["bm25"]),
            "hybrid_vs_bm25": paired(rr["hybrid"], rr["bm25"]),
            "reranked_vs_hybrid": paired(rr["reranked"], rr["hybrid"])}  # fmt: skip


def reranked(model: AnswerabilityModel, question: str, hits: list[RetrievedChunk]) -> list[RetrievedChunk]:
    """``hits`` by the model's probability that each one alone answers, fused order on ties."""
    analysis = analyse(question)
    scored = [(model.probability(analysis, [hit]), -i, hit) for i, hit in enumerate(hits)]
    return [hit for _, _, hit in sorted(scored, key=lambda s: s[:2], reverse=True)]


def rerank_markdown(report: dict) -> str:
    lines = [
        "# The answerability model as a reranker",
        "",
        f"Fused top {report['depth']} re-ordered by P(this chunk answers); MRR of the first gold document "
        "ten deep; better/worse: questions ranked better/worse than by the second list; p: two-sided sign test. "
        f"Adopted: {'yes' if report['adopt'] else 'no'} (needs more better than worse with p < 0.05 on every set). "
        f"{report['seconds']} s.",
        "",
        "| set | questions | MRR bm25 | MRR fused | MRR reranked | reranked vs bm25 | fused vs bm25 | reranked vs fused |",
        "|---|---:|---:|---:|---:|---|---|---|",
    ]
    for row in report["sets"]:
        pairs = " | ".join(_pair(row[key]) for key in ("reranked_vs_bm25", "hybrid_vs_bm25", "reranked_vs_hybrid"))
        mrr = row["mrr"]
        lines.append(f"| {row['set']} | {row['questions']} | {fmt(mrr['bm25'])} | {fmt(mrr['hybrid'])} | {fmt(mrr['reranked'])} | {pairs} |")
    return "\n".join(lines) + "\n"


def _pair(p: dict) -> str:
    return f"{p['better']} / {p['worse']}, p {p['p']:.3g}"
