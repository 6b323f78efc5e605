import pytest

from eval.metrics.answer import answer_metrics, char_f1, longest_common_substring, score_answer
from eval.metrics.text import contains_any, normalise


def test_normalise_folds_script_width_spacing_punctuation_and_markers():
    assert normalise("東華村 户籍人口：１８６７人。[1]") == "东华村户籍人口1867人"


def test_normalise_keeps_what_changes_a_number():
    assert normalise("1.5平方公里，100%") == "1.5平方公里100%"


def test_traditional_answer_contains_simplified_gold_and_back():
    assert contains_any("東華村戶籍人口1,867人", ["户籍人口1,867人"])
    assert contains_any("东华村户籍人口1867人[1]", ["戶籍人口1867人"])
    assert not contains_any("东华村户籍人口1868人", ["1867人"])


def test_longest_common_substring_is_contiguous():
    assert longest_common_substring("abcxde", "abde") == 2
    assert longest_common_substring("", "abc") == 0


def test_char_f1_by_hand():
    # overlap 2 ("东华"): precision 2/4, recall 2/3 -> F1 = 2 * 0.5 * 0.667 / 1.167 = 4/7
    assert char_f1("东华新村", "东华村") == pytest.approx(4 / 7)
    assert char_f1("甲乙", "丙丁") == 0.0


def test_score_takes_the_best_gold_answer():
    score = score_answer("梁镜清。[1]", ["梁镜清同志", "梁鏡清"])
    assert score.contains and score.em and score.f1 == 1.0


def test_sentence_answer_contains_gold_but_is_not_exact():
    score = score_answer("赴东华村担任村党委第一书记的是梁镜清[1]。", ["梁镜清"])
    assert score.contains and not score.em
    assert 0 < score.f1 < 1


def test_answer_metrics_are_means():
    scores = [score_answer("梁镜清", ["梁镜清"]), score_answer("不知道", ["梁镜清"])]
    assert answer_metrics(scores) == {"contains": 0.5, "f1": 0.5, "em": 0.5}
    assert answer_metrics([]) == {"contains": None, "f1": None, "em": None}
