from eval.metrics.latency import latency_metrics, percentile
from eval.metrics.refusal import refusal_metrics, removal_metrics


def test_refusal_precision_and_recall():
    # (answerable, refused): two unanswerable, one refused; one answerable wrongly refused.
    cases = [(False, True), (False, False), (True, True), (True, False)]
    assert refusal_metrics(cases) == {"refusal_precision": 0.5, "refusal_recall": 0.5, "false_refusal_rate": 0.5}


def test_refusal_metrics_without_denominators_are_undefined():
    assert refusal_metrics([(True, False)]) == {
        "refusal_precision": None, "refusal_recall": None, "false_refusal_rate": 0.0,
    }  # fmt: skip
    assert refusal_metrics([(True, True)]) == {"refusal_precision": 0.0, "refusal_recall": None, "false_refusal_rate": 1.0}
    assert refusal_metrics([(False, True)])["false_refusal_rate"] is None


def test_removal_refusal_recall_is_the_share_refused():
    assert removal_metrics([True, True, False, True]) == {"removal_questions": 4, "removal_refusal_recall": 0.75}
    assert removal_metrics([]) == {"removal_questions": 0, "removal_refusal_recall": None}
    assert removal_metrics(None) == {"removal_questions": None, "removal_refusal_recall": None}


def test_nearest_rank_percentiles():
    values = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 100.0
    assert percentile([5.0], 95) == 5.0
    assert latency_metrics([]) == {"latency_p50_ms": None, "latency_p95_ms": None}
