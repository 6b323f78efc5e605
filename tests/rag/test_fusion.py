import pytest

from rag.fusion import FusionConfig, fuse


def ids(fused):
    return [f.chunk_id for f in fused]


BM25 = [("a", 12.0), ("b", 3.0), ("c", 2.9)]
DENSE = [("c", 0.91), ("b", 0.90), ("d", 0.89)]


def test_equal_weight_rrf_lifts_what_both_retrievers_found():
    fused = fuse({"bm25": BM25, "dense": DENSE}, FusionConfig("rrf", 1.0, 1.0, rrf_k=60))
    assert set(ids(fused)[:2]) == {"b", "c"}  # second and third in BM25, but found by both
    assert ids(fused)[2:] == ["a", "d"]


def test_rrf_with_dense_weight_zero_keeps_the_bm25_order():
    fused = fuse({"bm25": BM25, "dense": DENSE}, FusionConfig("rrf", 1.0, 0.0, rrf_k=2))
    assert ids(fused)[:3] == ["a", "b", "c"]


def test_convex_keeps_a_clear_bm25_winner_ahead_of_dense_near_ties():
    fused = fuse({"bm25": BM25, "dense": DENSE}, FusionConfig("convex", 1.0, 1.0, 0))
    assert ids(fused)[0] == "a"
    # b and c are near-ties in BM25; dense breaks the tie in favour of c.
    assert ids(fused)[1:3] == ["c", "b"]


def test_convex_scores_are_weighted_min_max_sums():
    fused = {f.chunk_id: f.score for f in fuse({"bm25": BM25, "dense": DENSE}, FusionConfig("convex", 1.0, 0.5, 0))}
    assert fused["a"] == pytest.approx(1.0)
    assert fused["c"] == pytest.approx((2.9 - 2.9) / (12 - 2.9) + 0.5 * 1.0)
    assert fused["d"] == pytest.approx(0.0)


def test_each_hit_remembers_its_rank_in_every_list_that_found_it():
    fused = {f.chunk_id: f.ranks for f in fuse({"bm25": BM25, "dense": DENSE}, FusionConfig("rrf", 1.0, 1.0, 60))}
    assert fused["b"] == {"bm25": 2, "dense": 2} and fused["a"] == {"bm25": 1} and fused["d"] == {"dense": 3}


@pytest.mark.parametrize("method", ["rrf", "convex"])
def test_one_list_alone_keeps_its_order_and_equal_scores_do_not_divide_by_zero(method):
    assert ids(fuse({"dense": DENSE}, FusionConfig(method, 1.0, 1.0, 60))) == ["c", "b", "d"]
    assert ids(fuse({"bm25": [("x", 1.0), ("y", 1.0)]}, FusionConfig(method, 1.0, 1.0, 60))) == ["x", "y"]
    assert fuse({}, FusionConfig(method, 1.0, 1.0, 60)) == []
