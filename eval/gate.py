"""The CI gate: every thresholded metric of a report must be at or past its limit.

``thresholds.toml`` has a table per set and retriever (``[seeds.hybrid]``) mapping metric
names to limits: a minimum, or a maximum for metrics where lower is better.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from eval.report import fmt
from eval.summary import LOWER_IS_BETTER, METRICS

# The table of thresholds.toml that limits the fused-versus-alone comparison, not a set.
PAIRED = "paired"
_PAIRED_LIMITS = ("p_when_worse",)


@dataclass(frozen=True)
class Check:
    set: str
    retriever: str
    metric: str
    value: float | None  # None: the report has no such run, or the metric had nothing to score
    limit: float

    @property
    def passed(self) -> bool:
        if self.value is None:
            return False
        return self.value <= self.limit if self.metric in LOWER_IS_BETTER else self.value >= self.limit

    @property
    def relation(self) -> str:
        return "<=" if self.metric in LOWER_IS_BETTER else ">="

    def describe(self) -> str:
        value = "missing (no such run in the report, or nothing to score)" if self.value is None else fmt(self.value)
        return f"{self.set}/{self.retriever} {self.metric}: {value}, needs {self.relation} {self.limit}"


def load_thresholds(path: Path) -> dict[str, dict[str, dict[str, float]]]:
    with path.open("rb") as file:
        thresholds = tomllib.load(file)
    unknown = set(thresholds.get(PAIRED, {})) - set(_PAIRED_LIMITS)
    if unknown:
        raise ValueError(f"{path}: [{PAIRED}] unknown limit(s) {sorted(unknown)}; known: {', '.join(_PAIRED_LIMITS)}")
    for set_name, retrievers in _sets(thresholds).items():
        for retriever, limits in retrievers.items():
            unknown = set(limits) - set(METRICS)
            if unknown:
                raise ValueError(
                    f"{path}: [{set_name}.{retriever}] unknown metric(s) {sorted(unknown)}; known: {', '.join(METRICS)}"
                )
    return thresholds


def check(report: dict, thresholds: dict[str, dict[str, dict[str, float]]]) -> list[Check]:
    """One Check per threshold, then one per paired comparison in the report.

    A single `policyqa eval` report counts as one run of its set. A paired check fails only
    when the fused retriever ranks more questions worse than better than a retriever alone
    and the sign test says chance is unlikely (p under the limit).
    """
    runs = {(r["set"], r["retriever"]): r["metrics"] for r in report.get("runs", [report])}
    checks = [
        Check(set_name, retriever, metric, runs.get((set_name, retriever), {}).get(metric), float(limit))
        for set_name, retrievers in _sets(thresholds).items()
        for retriever, limits in retrievers.items()
        for metric, limit in limits.items()
    ]
    if limit := thresholds.get(PAIRED, {}).get("p_when_worse"):
        checks += [
            Check(p["set"], f"vs {p['alone']}", "p_when_worse", p["p"] if p["worse"] > p["better"] else 1.0, limit)
            for p in report.get("paired", [])
        ]
    return checks


def _sets(thresholds: dict) -> dict:
    return {name: table for name, table in thresholds.items() if name != PAIRED}


def table(checks: list[Check]) -> str:
    lines = [f"{'set':8} {'retriever':9} {'metric':24} {'value':>8} {'limit':>8}  result"]
    for c in checks:
        verdict = "ok" if c.passed else "FAIL"
        lines.append(f"{c.set:8} {c.retriever:9} {c.metric:24} {fmt(c.value):>8} {c.relation}{c.limit:>6}  {verdict}")
    return "\n".join(lines)
