"""`python -m eval.set_thresholds REPORT [--out FILE]`: the gate's limits from one eval-bench report.

The rule is code so that re-setting the gate after a deliberate change (new samples, a refitted
model) is one command whose result can be reviewed, not 140 numbers edited by hand.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from eval.paths import THRESHOLDS
from eval.summary import LOWER_IS_BETTER

HEADER = """\
# CI gate for `policyqa eval-gate eval/runs/ci/report.json` (after `policyqa eval-bench`, see Makefile `eval`).
# One table per set and retriever; each metric maps to its limit: a minimum, except for
# false_refusal_rate, unsupported_number_rate and latency_*_ms, where it is a maximum
# (eval.summary.LOWER_IS_BETTER). A thresholded run or metric missing from the report fails the gate.
# Written by `python -m eval.set_thresholds` from the eval-bench run of {finished} ({note}):
# - retrieval (hit@1, hit@5, mrr) 0.02 under the measured value; contains and chunk_cite_precision 0.03;
#   seeds' own refusal_precision/refusal_recall 0.05;
# - quote_precision, quote_recall, f1, em, and false_refusal_rate (a maximum) by 0.02 when the set has 150
#   or more questions, 0.03 from 50, 0.05 under 50; removal_refusal_recall the same by its own count of
#   removal questions; where that margin would reach 0 the minimum is half the measured value; f1 and em
#   on CMRC only, the span-answer set;
# - unsupported_number_rate 0.02 over; latency p95 3x the measured value, but at least 100 ms (a 3x limit
#   on a 17 ms BM25 p95 would trip on one garbage-collection pause).
# A few questions of noise pass; a real regression fails. The bm25 and dense rows' answer limits are low
# because the answerability model reads both retrievers' scores, which a single retriever does not give:
# those rows are there for retrieval, and their answer limits guard against further regression only.

# The fused retriever may trail a retriever alone only by what chance explains: when it ranks
# more questions worse than better, the sign-test p of those counts must stay at or above this.
[paired]
p_when_worse = 0.05
"""
FIXED_MARGIN = {"hit@1": 0.02, "hit@5": 0.02, "mrr": 0.02, "contains": 0.03, "chunk_cite_precision": 0.03,
                "refusal_precision": 0.05, "refusal_recall": 0.05}  # fmt: skip
BY_COUNT = ("f1", "em", "quote_precision", "quote_recall", "false_refusal_rate")
SPAN_SETS = ("cmrc",)  # f1/em are gated where gold answers are spans; elsewhere they are sentences' parts
ORDER = ("hit@1", "hit@5", "mrr", "contains", "f1", "em", "chunk_cite_precision", "quote_precision",
         "quote_recall", "refusal_precision", "refusal_recall", "false_refusal_rate", "removal_refusal_recall",
         "unsupported_number_rate", "latency_p95_ms")  # fmt: skip


def thresholds_toml(report: dict, note: str) -> str:
    blocks = [HEADER.format(finished=report["finished"], note=note)]
    for run in report["runs"]:
        lines = [f"[{run['set']}.{run['retriever']}]"]
        for metric in ORDER:
            limit = _limit(metric, run)
            if limit is not None:
                lines.append(f"{json.dumps(metric) if '@' in metric else metric} = {limit:g}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _limit(metric: str, run: dict) -> float | None:
    value = run["metrics"].get(metric)
    if value is None:
        return None
    if metric == "latency_p95_ms":
        return round(max(3 * value, 100.0), 1)
    if metric == "unsupported_number_rate":
        return round(value + 0.02, 3)
    if metric in FIXED_MARGIN:
        if metric.startswith("refusal_") and not run["questions"] - run["answerable"]:
            return None  # a set without unanswerable questions has nothing to refuse
        return _moved(metric, value, FIXED_MARGIN[metric])
    if metric in ("f1", "em") and run["set"] not in SPAN_SETS:
        return None
    if metric in BY_COUNT:
        return _moved(metric, value, _count_margin(run["questions"]))
    if metric == "removal_refusal_recall" and run["metrics"].get("removal_questions"):
        return _moved(metric, value, _count_margin(run["metrics"]["removal_questions"]))
    return None


def _count_margin(n: int) -> float:
    return 0.02 if n >= 150 else 0.03 if n >= 50 else 0.05


def _moved(metric: str, value: float, margin: float) -> float:
    if metric in LOWER_IS_BETTER:
        return round(min(1.0, value + margin), 3)
    return round(value - margin if value - margin > 0 else value / 2, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--out", type=Path, default=THRESHOLDS)
    parser.add_argument("--note", default="extractive backend, on a quiet machine", help="how the run was made")
    args = parser.parse_args()
    report = json.loads(args.report.read_text(encoding="utf-8"))
    args.out.write_text(thresholds_toml(report, args.note), encoding="utf-8")


if __name__ == "__main__":
    main()
