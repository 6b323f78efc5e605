"""Per-question result rows + gold questions -> one flat dict of metrics, in a fixed order."""

from __future__ import annotations

from collections.abc import Sequence

from eval.metrics.answer import AnswerScore, answer_metrics, score_answer
from eval.metrics.citation import (
    citation_precision,
    citation_recall,
    quote_precision,
    quote_recall,
    unsupported_number_rate,
)
from eval.metrics.latency import latency_metrics
from eval.metrics.refusal import refusal_metrics, removal_metrics
from eval.metrics.retrieval import Ranked, hit_at, reciprocal_rank, retrieval_metrics
from eval.questions import Question

METRICS = (
    "hit@1", "hit@3", "hit@5", "hit@10", "mrr", "recall@5", "recall@10",
    "contains", "f1", "em", "chunk_cite_precision", "chunk_cite_recall", "quote_precision", "quote_recall",
    "refusal_precision", "refusal_recall", "false_refusal_rate", "removal_questions", "removal_refusal_recall",
    "unsupported_number_rate", "latency_p50_ms", "latency_p95_ms",
)  # fmt: skip
LOWER_IS_BETTER = frozenset({"false_refusal_rate", "unsupported_number_rate", "latency_p50_ms", "latency_p95_ms"})
# Shares in [0, 1] worth watching over time; drawn together on one chart.
HEADLINE = ("hit@1", "hit@5", "mrr", "contains", "f1", "quote_precision", "quote_recall",
            "refusal_recall", "false_refusal_rate", "removal_refusal_recall")  # fmt: skip
_WRONG = AnswerScore(contains=False, f1=0.0, em=False)

Pair = tuple[Question, dict]


def summarise(
    questions: Sequence[Question], rows: Sequence[dict], removal_rows: Sequence[dict] | None = None
) -> dict[str, float | None]:
    """``removal_rows``: the run's removal questions (eval.removal), None when not asked."""
    pairs = _pairs(questions, rows)
    answerable = [(q, r) for q, r in pairs if q.answerable]
    scores = [_score(q, r) for q, r in answerable]
    correct = [(q, r) for (q, r), s in zip(answerable, scores, strict=True) if s.contains]
    answered = [r for _, r in pairs if not r["refused"]]
    answerable_answered = [(q, r) for q, r in answerable if not r["refused"]]
    metrics = {
        **retrieval_metrics([(ranked_docs(r), q.doc_ids) for q, r in answerable]),
        **answer_metrics(scores),
        "chunk_cite_precision": citation_precision(*_citations(answerable)),
        "chunk_cite_recall": citation_recall(*_citations(correct)),
        "quote_precision": quote_precision(*_citations(answerable, "quote")),
        "quote_recall": quote_recall(*_citations(answerable_answered, "quote")),
        **refusal_metrics([(q.answerable, r["refused"]) for q, r in pairs]),
        **removal_metrics(None if removal_rows is None else [r["refused"] for r in removal_rows]),
        "unsupported_number_rate": unsupported_number_rate([r["warnings"] for r in answered]),
        **latency_metrics([r["latency_ms"] for _, r in pairs]),
    }
    return {name: _rounded(metrics[name]) for name in METRICS}


def misses(questions: Sequence[Question], rows: Sequence[dict], k: int = 5) -> list[dict]:
    """Answerable questions with no gold document in the top k: what to look at first."""
    return [
        {"id": q.id, "question": q.question, "gold": list(q.doc_ids), "top": [d["doc_id"] for d in r["retrieved"][:k]]}
        for q, r in _pairs(questions, rows)
        if q.answerable and not hit_at(ranked_docs(r), q.doc_ids, k)
    ]


def reciprocal_ranks(questions: Sequence[Question], rows: Sequence[dict]) -> list[float]:
    """Per answerable question, in question order: 1/rank of the first gold document, 0 if none."""
    return [reciprocal_rank(ranked_docs(r), q.doc_ids) for q, r in _pairs(questions, rows) if q.answerable]


def ranked_docs(row: dict) -> Ranked:
    return [{hit["doc_id"], hit["canonical_doc_id"]} for hit in row["retrieved"]]


def _pairs(questions: Sequence[Question], rows: Sequence[dict]) -> list[Pair]:
    by_id = {r["id"]: r for r in rows}
    return [(q, by_id[q.id]) for q in questions if q.id in by_id]


def _score(question: Question, row: dict) -> AnswerScore:
    # The refusal text could contain a short gold answer by chance; a refusal never answers.
    if row["refused"]:
        return _WRONG
    # F1 and EM judge the short answer when the chain gives one (a span, as CMRC's golds are);
    # containment judges the whole answer.
    short = score_answer(row.get("short_answer") or row["answer"], question.answers)
    return AnswerScore(contains=score_answer(row["answer"], question.answers).contains, f1=short.f1, em=short.em)


def _citations(pairs: Sequence[Pair], field: str = "text") -> tuple[list[list[str]], list[tuple[str, ...]]]:
    """Per question, the cited chunks' ``text`` (or each citation's ``quote``), and its gold answers."""
    return [[c.get(field) or "" for c in r["citations"]] for _, r in pairs], [q.answers for q, _ in pairs]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
