import pytest

from rag.evidence import evidence_score, term_weights, uncovered
from rag.question import analyse
from tests.rag.conftest import as_hits, make_chunk

ANSWERABLE = ["东华村户籍人口有多少？", "市捐赠站站长是谁？", "金花街道工委何时开展交叉检查？", "东莞市委书记是谁？"]
ABSENT = ["深圳市南山区有哪些党建做法？", "北京市朝阳区有多少党员？", "杭州市西湖区有多少个社区？"]


def test_questions_about_places_the_articles_never_mention_score_far_lower(retrieve):
    answerable = min(evidence_score(analyse(q), retrieve(q)) for q in ANSWERABLE)
    absent = max(evidence_score(analyse(q), retrieve(q)) for q in ABSENT)
    assert answerable >= 0.9
    assert absent <= 0.25
    assert absent < answerable / 3


def test_the_score_is_the_same_in_either_script(retrieve):
    hits = retrieve("东华村户籍人口有多少？")
    assert evidence_score(analyse("東華村戶籍人口有多少？"), hits) == evidence_score(analyse("东华村户籍人口有多少？"), hits)


def test_the_score_is_a_share_and_zero_without_hits_or_terms(retrieve):
    for question in ANSWERABLE + ABSENT:
        assert 0.0 <= evidence_score(analyse(question), retrieve(question)) <= 1.0
    assert evidence_score(analyse("东华村户籍人口有多少？"), []) == 0.0
    assert evidence_score(analyse("是什么？"), retrieve("东华村户籍人口有多少？")) == 0.0


def test_the_best_single_hit_counts_not_the_union_of_hits():
    hits = as_hits([make_chunk("东华村位于增城区新塘镇中心。"), make_chunk("全村户籍人口1867人。")])
    together = as_hits([make_chunk("东华村户籍人口1867人。")])
    question = analyse("东华村户籍人口有多少？")
    assert evidence_score(question, hits) < evidence_score(question, together)


def test_the_title_counts_as_part_of_a_hit():
    chunk = make_chunk("全村户籍人口1867人。", title="东华村背景资料")
    assert evidence_score(analyse("东华村户籍人口有多少？"), as_hits([chunk])) == 1.0


def test_rarer_terms_weigh_more():
    weights = term_weights(frozenset({"党建", "深圳"}), ["党建引领", "基层党建", "党建工作"])
    assert weights["深圳"] > weights["党建"] > 0


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("深圳市南山区有哪些党建做法？", ["南山区", "深圳市"]),
        ("东华村2020年外来人员有多少？", ["2020年"]),
        ("第4期莞雁学堂在哪个镇街举办？", ["4期"]),
        ("白杨村有多少名红色代办员？", ["白杨村"]),  # jieba cuts it 白杨/村
    ],
)
def test_places_and_numbers_no_hit_mentions_are_uncovered(retrieve, question, missing):
    assert uncovered(analyse(question), retrieve(question)) == missing


@pytest.mark.parametrize("question", ANSWERABLE + ["中山东区给外卖骑手歇脚的地方叫什么？", "東華村戶籍人口有多少？", "星城社区有多少个住宅小区？"])
def test_answerable_questions_leave_nothing_uncovered(retrieve, question):
    assert uncovered(analyse(question), retrieve(question)) == []
