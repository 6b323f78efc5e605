import pytest

from rag.followup import carry_over


@pytest.mark.parametrize(
    ("previous", "question", "standalone"),
    [
        ("东莞东城街道有哪些党建做法？", "那中山呢？", "中山有哪些党建做法？"),
        ("东莞市东城街道有哪些党建做法？", "那中山市东区街道呢？", "中山市东区街道有哪些党建做法？"),
        ("东华村户籍人口有多少？", "那外来人员呢？", "东华村外来人员有多少？"),
        ("市捐赠站站长是谁？", "书记呢？", "市捐赠站书记是谁？"),
        ("东华村户籍人口有多少？", "那星城社区呢？", "星城社区户籍人口有多少？"),
    ],
)
def test_follow_up_carries_over_the_previous_subject(previous, question, standalone):
    assert carry_over(question, previous) == standalone


@pytest.mark.parametrize(
    ("previous", "question"),
    [
        ("东华村户籍人口有多少？", "星城社区常住人口有多少？"),  # a full question stays as it is
        (None, "那中山呢？"),  # nothing to carry over
    ],
)
def test_full_questions_are_left_alone(previous, question):
    assert carry_over(question, previous) == question
