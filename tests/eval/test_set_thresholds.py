import tomllib

from eval.gate import check
from eval.set_thresholds import thresholds_toml


def report(**metrics) -> dict:
    run = {"set": "crud", "retriever": "hybrid", "questions": 150, "answerable": 150, "metrics": metrics}
    return {"finished": "2026-11-30T14:00:00", "runs": [run]}


def limits(**metrics) -> dict:
    return tomllib.loads(thresholds_toml(report(**metrics), "test"))["crud"]["hybrid"]


def test_limits_follow_the_rule_of_the_header():
    got = limits(**{"hit@1": 0.6, "contains": 0.7, "quote_precision": 0.5, "false_refusal_rate": 0.04,
                    "removal_refusal_recall": 0.4, "removal_questions": 30, "em": 0.1,
                    "unsupported_number_rate": 0.0, "latency_p95_ms": 20.0, "refusal_recall": 0.0})  # fmt: skip
    assert got == {"hit@1": 0.58, "contains": 0.67, "quote_precision": 0.48, "false_refusal_rate": 0.06,
                   "removal_refusal_recall": 0.35, "unsupported_number_rate": 0.02, "latency_p95_ms": 100.0}  # fmt: skip


def test_a_margin_that_would_reach_zero_halves_the_value_instead():
    assert limits(quote_precision=0.02)["quote_precision"] == 0.01


def test_the_measured_run_passes_its_own_gate_and_a_regression_fails():
    measured = report(**{"hit@5": 0.8, "false_refusal_rate": 0.05, "latency_p95_ms": 300.0})
    thresholds = tomllib.loads(thresholds_toml(measured, "test"))
    assert all(c.passed for c in check(measured, thresholds))
    worse = report(**{"hit@5": 0.77, "false_refusal_rate": 0.08, "latency_p95_ms": 901.0})
    assert not any(c.passed for c in check(worse, thresholds) if c.metric != "p_when_worse")
