import pytest

from eval.gate import check, load_thresholds


@pytest.fixture
def thresholds(tmp_path):
    path = tmp_path / "thresholds.toml"
    path.write_text('[seeds.hybrid]\n"hit@5" = 0.8\nunsupported_number_rate = 0.1\n', encoding="utf-8")
    return load_thresholds(path)


def bench_report(hit5: float, unsupported: float) -> dict:
    metrics = {"hit@5": hit5, "unsupported_number_rate": unsupported}
    return {"runs": [{"set": "seeds", "retriever": "hybrid", "metrics": metrics}]}


def test_at_or_past_every_limit_passes(thresholds):
    for report in (bench_report(0.8, 0.1), bench_report(0.9, 0.0)):
        verdicts = check(report, thresholds)
        assert [c.metric for c in verdicts] == ["hit@5", "unsupported_number_rate"]
        assert all(c.passed for c in verdicts)


def test_each_metric_past_its_limit_fails(thresholds):
    failed = [c for c in check(bench_report(0.79, 0.2), thresholds) if not c.passed]
    assert [c.metric for c in failed] == ["hit@5", "unsupported_number_rate"]
    assert failed[1].describe() == "seeds/hybrid unsupported_number_rate: 0.200, needs <= 0.1"


def test_a_single_eval_report_is_one_run(thresholds):
    report = {"set": "seeds", "retriever": "hybrid", "metrics": {"hit@5": 0.9, "unsupported_number_rate": 0.0}}
    verdicts = check(report, thresholds)
    assert [c.metric for c in verdicts] == ["hit@5", "unsupported_number_rate"]
    assert all(c.passed for c in verdicts)


def test_a_missing_run_or_metric_fails(thresholds):
    report = {"runs": [{"set": "seeds", "retriever": "bm25", "metrics": {"hit@5": 1.0}}]}
    verdicts = check(report, thresholds)
    assert verdicts and not any(c.passed for c in verdicts)


def test_unknown_metric_names_are_rejected(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('[seeds.hybrid]\n"hit5" = 0.8\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown metric"):
        load_thresholds(path)


def test_the_repository_thresholds_load():
    from eval.paths import THRESHOLDS

    assert set(load_thresholds(THRESHOLDS)) == {"paired", "seeds", "ncpqa", "crud", "cmrc"}


def test_every_repository_limit_can_fail():
    """A minimum of 0 (or a maximum of 1 on a share) passes whatever happens: it gates nothing."""
    from eval.paths import THRESHOLDS
    from eval.summary import LOWER_IS_BETTER

    thresholds = load_thresholds(THRESHOLDS)
    for set_name, retrievers in thresholds.items():
        if set_name == "paired":
            continue
        for retriever, limits in retrievers.items():
            for metric, limit in limits.items():
                where = f"{set_name}.{retriever} {metric} = {limit}"
                if metric in LOWER_IS_BETTER:
                    assert metric.endswith("_ms") or limit < 1.0, where
                else:
                    assert limit > 0.0, where


def test_false_refusal_rate_is_a_maximum(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("[ncpqa.hybrid]\nfalse_refusal_rate = 0.2\nremoval_refusal_recall = 0.3\n", encoding="utf-8")
    runs = [{"set": "ncpqa", "retriever": "hybrid", "metrics": {"false_refusal_rate": 0.1, "removal_refusal_recall": 0.4}}]
    assert all(c.passed for c in check({"runs": runs}, load_thresholds(path)))
    runs[0]["metrics"] = {"false_refusal_rate": 0.25, "removal_refusal_recall": 0.2}
    failed = [c for c in check({"runs": runs}, load_thresholds(path)) if not c.passed]
    assert [c.describe() for c in failed] == [
        "ncpqa/hybrid false_refusal_rate: 0.250, needs <= 0.2",
        "ncpqa/hybrid removal_refusal_recall: 0.200, needs >= 0.3",
    ]


def paired_report(better: int, worse: int, p: float) -> dict:
    return {"runs": [], "paired": [{"set": "crud", "alone": "bm25", "better": better, "worse": worse, "same": 9, "p": p}]}


@pytest.mark.parametrize(
    ("better", "worse", "p", "passed"),
    [(1, 9, 0.02, False), (4, 5, 1.0, True), (9, 1, 0.02, True), (0, 0, 1.0, True)],
)
def test_fused_fails_only_when_significantly_worse_than_a_retriever_alone(tmp_path, better, worse, p, passed):
    path = tmp_path / "t.toml"
    path.write_text("[paired]\np_when_worse = 0.05\n", encoding="utf-8")
    [verdict] = check(paired_report(better, worse, p), load_thresholds(path))
    assert verdict.passed is passed
    assert verdict.describe().startswith("crud/vs bm25 p_when_worse")


def test_unknown_paired_limits_are_rejected(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("[paired]\np_worse = 0.05\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[paired\] unknown limit"):
        load_thresholds(path)


def test_cli_exits_non_zero_listing_the_failures(tmp_path, capsys):
    import json

    from policyqa.cli import main

    limits = tmp_path / "limits.toml"
    limits.write_text('[seeds.hybrid]\n"hit@5" = 0.8\nunsupported_number_rate = 0.1\n', encoding="utf-8")
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(bench_report(0.8, 0.1)), encoding="utf-8")
    bad.write_text(json.dumps(bench_report(0.5, 0.1)), encoding="utf-8")
    assert main(["eval-gate", str(good), "--thresholds", str(limits)]) == 0
    assert main(["eval-gate", str(bad), "--thresholds", str(limits)]) == 1
    assert "below threshold: seeds/hybrid hit@5: 0.500, needs >= 0.8" in capsys.readouterr().err
