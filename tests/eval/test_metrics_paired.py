import pytest

from eval.metrics.paired import paired, sign_test


def test_sign_test_by_hand():
    assert sign_test(0, 0) == 1.0
    assert sign_test(3, 4) == 1.0
    assert sign_test(6, 0) == pytest.approx(2 / 64)
    assert sign_test(1, 9) == pytest.approx(2 * (1 + 10) / 1024)
    assert sign_test(9, 1) == sign_test(1, 9)


def test_paired_counts_questions_each_side_ranks_better():
    fused = [1.0, 0.5, 0.0, 1 / 3, 1.0]
    alone = [0.5, 0.5, 0.2, 0.0, 1.0]
    assert paired(fused, alone) == {"better": 2, "worse": 1, "same": 2, "p": 1.0}


def test_paired_needs_the_same_questions():
    with pytest.raises(ValueError, match="same questions: 2 scores against 1"):
        paired([1.0, 0.5], [1.0])
