"""Writing runs down: results.jsonl, report.json and a report.md people read."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from eval.history import CHART, append_history, draw_chart
from eval.summary import METRICS

# Short column names keep the side-by-side benchmark table readable.
_SHORT = {
    "chunk_cite_precision": "chunk cite P", "chunk_cite_recall": "chunk cite R",
    "quote_precision": "quote P", "quote_recall": "quote R",
    "refusal_precision": "refuse P", "refusal_recall": "refuse R", "false_refusal_rate": "false refusal",
    "removal_questions": "n removal", "removal_refusal_recall": "removal refuse R",
    "unsupported_number_rate": "unsupp. num", "latency_p50_ms": "p50 ms", "latency_p95_ms": "p95 ms",
}  # fmt: skip


# The answer-trust table: refusing what the library cannot answer, answering what it can, and
# quoting the sentence that holds the answer; the first table keeps the rest.
TRUST = (
    "removal_questions", "removal_refusal_recall", "false_refusal_rate", "refusal_precision", "refusal_recall",
    "quote_precision", "quote_recall", "f1", "em",
)  # fmt: skip
_TRUST_NOTE = (
    "Answer trust. n removal: questions asked with their gold documents and near-copies left out of the"
    " search and no remaining document holding the answer (hybrid only); removal refuse R: share of them"
    " refused. false refusal: share of answerable questions refused. refuse P/R: the set's own"
    " unanswerable questions. quote P/R: the cited sentence(s), not the whole chunk, hold a gold answer."
    " F1/EM on the short answer when there is one:"
)
_PAIRED_NOTE = (
    "Fused against each retriever alone, question by question (reciprocal rank of the first gold document;"
    " p: two-sided sign test, ties dropped; a large p means the difference may be chance):"
)


def write_rows(path: Path, rows: Iterable[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_run(out: Path, rows: list[dict], report: dict) -> None:
    """The files of one run; the history and its chart grow by one run each time."""
    write_rows(out / "results.jsonl", rows)
    write_json(out / "report.json", report)
    summary = {key: report[key] for key in ("finished", "retriever", "backend", "questions", "metrics")}
    draw_chart(append_history(out, summary), out / CHART, f"{report['set']}: headline metrics over runs")
    (out / "report.md").write_text(run_markdown(report, CHART), encoding="utf-8")


def fmt(value: float | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):  # a count
        return str(value)
    return f"{value:.0f}" if value >= 10 else f"{value:.3f}"


def run_markdown(report: dict, chart: str) -> str:
    """One run: what was asked of what, every metric, and the retrieval misses."""
    lines = [
        f"# Evaluation: {report['set']}",
        "",
        f"dataset `{report['dataset']}` · collection `{report['collection']}` · retriever {report['retriever']}"
        f" · backend {report['backend']} · {report['questions']} questions ({report['answerable']} answerable)"
        f" · {report['seconds']} s",
        "",
        "| metric | value |",
        "|---|---|",
        *(f"| {name} | {fmt(report['metrics'][name])} |" for name in METRICS),
        "",
        f"![metrics over runs]({chart})",
    ]
    if report["misses"]:
        lines += ["", f"## No gold document in the top 5 ({len(report['misses'])})", ""]
        lines += [
            f"- `{m['id']}` {m['question']} — gold {', '.join(m['gold'])}; got {', '.join(m['top'])}"
            for m in report["misses"]
        ]
    return "\n".join(lines) + "\n"


def bench_markdown(report: dict) -> str:
    """All benchmark runs in one table, their answer trust in another, then what each set's ingest cost."""
    main = [m for m in METRICS if m not in TRUST or m in ("f1", "em")]
    header = ["set", "retriever", "n", *(_SHORT.get(m, m) for m in main), "s"]
    lines = [
        "# Benchmarks",
        "",
        f"backend {report['backend']} · total {report['seconds']} s",
        "",
        _table_row(header),
        _table_row(["---"] * len(header)),
    ]
    for run in report["runs"]:
        cells = [run["set"], run["retriever"], str(run["questions"]), *(fmt(run["metrics"][m]) for m in main)]
        lines.append(_table_row([*cells, str(run["seconds"])]))
    trust = ["set", "retriever", *(_SHORT.get(m, m) for m in TRUST), "removal s"]
    lines += ["", _TRUST_NOTE, "", _table_row(trust), _table_row(["---"] * len(trust))]
    for run in report["runs"]:
        cells = [run["set"], run["retriever"], *(fmt(run["metrics"].get(m)) for m in TRUST)]
        lines.append(_table_row([*cells, str(run.get("removal_seconds") or "–")]))
    if report.get("paired"):
        lines += ["", _PAIRED_NOTE, "", "| set | against | fused better | fused worse | same | p |", "|---|---|---|---|---|---|"]
        for pair in report["paired"]:
            cells = [pair["set"], pair["alone"], *(str(pair[k]) for k in ("better", "worse", "same")), f"{pair['p']:.2f}"]
            lines.append(_table_row(cells))
    lines += ["", "| set | documents | chunks | embedded now | ingest s |", "|---|---|---|---|---|"]
    for name, info in report["ingest"].items():
        cells = [name, *(str(info.get(k, "–")) for k in ("documents", "chunks_total", "chunks_embedded", "seconds"))]
        lines.append(_table_row(cells))
    return "\n".join(lines) + "\n"


def _table_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
