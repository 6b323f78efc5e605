import pytest

from eval.metrics.retrieval import first_hit, hit_at, recall_at, reciprocal_rank, retrieval_metrics

# Each retrieved chunk counts for its doc_id and the doc_id of the article it copies.
RANKED = [{"a"}, {"b", "canon-b"}, {"c"}, {"a"}, {"d"}]


def test_first_hit_is_the_rank_of_the_first_gold_chunk():
    assert first_hit(RANKED, {"c"}) == 3
    assert first_hit(RANKED, {"zzz"}) is None


def test_a_near_copy_counts_for_the_article_it_copies():
    assert first_hit(RANKED, {"canon-b"}) == 2


def test_hit_at_k():
    assert not hit_at(RANKED, {"c"}, 2)
    assert hit_at(RANKED, {"c"}, 3)
    assert not hit_at(RANKED, {"zzz"}, 10)


def test_reciprocal_rank():
    assert reciprocal_rank(RANKED, {"b"}) == 0.5
    assert reciprocal_rank(RANKED, {"zzz"}) == 0.0


def test_recall_needs_every_gold_document():
    assert recall_at(RANKED, {"a", "d"}, 4) == 0.5
    assert recall_at(RANKED, {"a", "d"}, 5) == 1.0
    assert recall_at([], {"a"}, 5) == 0.0


def test_metrics_are_means_over_questions():
    metrics = retrieval_metrics([(RANKED, {"a"}), (RANKED, {"c"}), (RANKED, {"zzz"}), (RANKED, {"c", "zzz"})])
    assert metrics["hit@1"] == 0.25
    assert metrics["hit@3"] == 0.75
    assert metrics["mrr"] == pytest.approx((1 + 1 / 3 + 0 + 1 / 3) / 4)
    assert metrics["recall@5"] == pytest.approx((1 + 1 + 0 + 0.5) / 4)


def test_no_questions_gives_no_numbers():
    assert set(retrieval_metrics([]).values()) == {None}
