"""A question analysed once: what evidence, extractive answers and study packs share."""

from __future__ import annotations

import dataclasses

import pytest

from rag.question import analyse


@pytest.mark.parametrize(
    ("question", "present", "absent"),
    [
        ("东华村户籍人口有多少？", {"东华", "华村", "户籍", "人口"}, {"多少", "有多少", "有"}),
        ("東華村戶籍人口有多少？", {"东华", "户籍", "人口"}, {"東華", "戶籍"}),
        ("东华村有多少名党员？", {"党员"}, {"村有", "名党", "多少名"}),
        ("市捐赠站站长是谁？", {"捐赠", "站长"}, {"是谁", "长是", "谁"}),
        ("请问深圳市南山区有哪些党建做法呢？", {"深圳", "南山区", "党建", "做法"}, {"请问", "哪些", "法呢", "区有"}),
    ],
)
def test_content_terms_leave_question_words_out(question, present, absent):
    terms = analyse(question).terms
    assert present <= terms
    assert not absent & terms


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("东华村户籍人口有多少？", {"人口"}),
        ("东华村有多少名党员？", {"党员"}),
        ("市捐赠站站长是谁？", {"站长"}),
        ("东华村形成了什么工作模式？", {"形成", "工作"}),
        ("东华村", set()),
    ],
)
def test_focus_words_are_next_to_the_question_word(question, focus):
    assert analyse(question).focus == focus


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("金花街道工委何时开展交叉检查？", "date"),
        ("东莞市委书记是谁？", "person"),
        ("第4期莞雁学堂在哪个镇街举办？", "place"),
        ("东华村户籍人口有多少？", "quantity"),
        ("东华村形成了什么工作模式？", "term"),
        ("为何要加强基层治理", None),
    ],
)
def test_the_asked_kind_of_fact_is_the_first_question_word_found(question, kind):
    assert analyse(question).kind == kind


def test_places_and_numbers_are_taken_from_the_simplified_question():
    question = analyse("深圳市南山區2021年第4期有哪些黨建做法？")
    assert question.places == {"深圳市", "南山区"}
    assert question.numbers == {"2021年", "4期"}
    assert question.simplified == "深圳市南山区2021年第4期有哪些党建做法？"


def test_the_text_as_asked_is_kept_and_the_search_form_is_lower_case():
    question = analyse("GDP增長多少？")
    assert question.text == "GDP增長多少？"
    assert question.simplified == "gdp增长多少？"
    assert "gdp" in question.terms


def test_a_question_is_analysed_once_and_stays_as_analysed():
    assert analyse("东华村户籍人口有多少？") is analyse("东华村户籍人口有多少？")
    with pytest.raises(dataclasses.FrozenInstanceError):
        analyse("东华村户籍人口有多少？").kind = "date"
