from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from index.articles import Article, split_articles
from index.clean import clean_text

ARTICLES = Path(__file__).resolve().parents[2] / "data" / "articles"
SAMPLES = sorted(ARTICLES.glob("*.txt"))


def articles_of(prefix: str) -> tuple[str, list[Article]]:
    path = next(path for path in SAMPLES if path.name.startswith(prefix))
    text = clean_text(path.read_text(encoding="utf-8")).text
    return text, split_articles(text)


def test_pasted_file_002_splits_into_three_articles() -> None:
    text, articles = articles_of("002")
    assert [a.title for a in articles] == [
        "增城区新塘镇东华村：党建引领城中村治理发展新格局",
        "市捐赠站党支部组织开展“凝心聚力、奋楫笃行”主题党日活动",
        "人大金花街道工委与人大东沙街道工委及时开展交叉检查",
    ]
    assert articles[0].body.startswith("增城区新塘镇东华村：党建引领城中村治理发展新格局\n为深入贯彻落实")
    assert articles[0].body.endswith("奋力推动东华村高质量发展。")
    assert articles[1].body.startswith("近日，市捐赠站党支部")
    assert articles[1].body.endswith("落地见效。")
    assert articles[2].body.startswith("6月13日，根据区人大常委会")
    assert "东华村" not in articles[1].body + articles[2].body


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_bodies_are_spans_of_the_input_and_cover_it(prefix: str) -> None:
    text, articles = articles_of(prefix)
    for article in articles:
        assert text[article.offset : article.offset + len(article.body)] == article.body
    assert "\n".join(a.body for a in articles) == text


@pytest.mark.parametrize(
    ("prefix", "title"),
    [
        ("000", "东莞东城街道：“三三三”模式提升党建引领基层治理质效"),
        ("001", "“莞雁學堂”走進東城，聚焦“基層治理”"),
        ("003", "东区街道是中山市政治、经济、文化中心"),  # no title line: from the lead
        ("004", "东莞：基层党组织坚强有力 群众难题应声而解"),
    ],
)
def test_single_article_files_stay_whole(prefix: str, title: str) -> None:
    _, articles = articles_of(prefix)
    assert len(articles) == 1
    assert articles[0].title == title


def test_title_line_is_the_first_paragraph_of_the_body() -> None:
    _, articles = articles_of("000")
    assert articles[0].body.split("\n", 1)[0] == articles[0].title


def test_derived_title_is_not_repeated_in_the_body() -> None:
    _, articles = articles_of("003")
    assert articles[0].body.startswith("东区街道是中山市政治、经济、文化中心，是市委")


def test_section_headings_do_not_start_articles() -> None:
    _, articles = articles_of("000")
    assert "●强化“头雁”效应" in articles[0].body
    assert "“三个注重”推动美丽宜居新突破" in articles[0].body


BODY_A = (
    "东华村位于增城区新塘镇中心，全村户籍人口1867人，村内在册党员118人。东华村健全“大党委”机制，"
    "将村内主要党组织纳入大党委范围，4个合作社均按要求建立了“大支部”，7个综合网格相应成立了功能性党支部。"
    "东华村共设置了7个综合网格，配备了7名专职网格员。2022年至今，东华村通过公开招投标成功交易集体资产32宗，"
    "累计合同总金额达2727.5万元。近年来，东华村集体经济收入在镇里位居前列，村民代表46人参与村务决策。"
)


def test_lead_cue_inside_a_cohesive_article_is_no_seam() -> None:
    # Same vocabulary as the text before: the lead cue alone does not start an article.
    text = "\n".join(
        [
            "东华村党建引领城中村治理",
            BODY_A,
            "近日，东华村党委组织村内党员开展城中村治理专项行动，东华村“大党委”机制发挥作用，"
            "4个合作社“大支部”党员带头参与。",
        ]
    )
    assert len(split_articles(text)) == 1


def test_lead_pointing_back_is_no_seam() -> None:
    text = "\n".join(["东华村党建引领城中村治理", BODY_A, "6月13日，该运输机在俄乌接壤的别尔哥罗德地区坠毁。"])
    assert len(split_articles(text)) == 1


def test_lead_right_under_a_title_is_no_seam() -> None:
    text = "市捐赠站开展主题党日活动\n近日，市捐赠站党支部组织开展主题党日活动。\n6月13日，人大工委开展交叉检查。"
    assert len(split_articles(text)) == 1


def test_title_line_above_a_seam_belongs_to_the_new_article() -> None:
    text = "\n".join(
        [
            "东华村党建引领城中村治理",
            BODY_A,
            "市捐赠站开展主题党日活动",
            "近日，市捐赠站党支部组织开展主题党日活动，退休老干部们以切身感受，共同追忆艰苦奋斗的岁月。",
        ]
    )
    articles = split_articles(text)
    assert [a.title for a in articles] == ["东华村党建引领城中村治理", "市捐赠站开展主题党日活动"]
    assert articles[1].body.startswith("市捐赠站开展主题党日活动\n近日")


@pytest.mark.parametrize(
    ("lead", "title"),
    [
        ("近日，市捐赠站党支部组织开展主题党日活动，通过集中学习开展教育。", "市捐赠站党支部组织开展主题党日活动"),
        ("6月13日，根据区人大常委会工作要求，人大金花街道工委及时开展交叉检查。", "人大金花街道工委及时开展交叉检查"),
        ("本报讯（记者 张三）近日，东城街道召开会议。", "东城街道召开会议"),
        ("“党员群众同心，共治共建家园”理念深入人心。", "“党员群众同心，共治共建家园”理念深入人心"),
    ],
)
def test_title_derived_from_the_lead_sentence(lead: str, title: str) -> None:
    assert split_articles(lead)[0].title == title


def test_long_derived_title_is_shortened() -> None:
    lead = "东区街道" + "党建引领基层治理" * 8 + "。"
    title = split_articles(lead)[0].title
    assert len(title) == 40 and title.endswith("…")


def test_empty_text_has_no_articles() -> None:
    assert split_articles("") == []


def test_article_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        split_articles("正文。")[0].title = "x"  # type: ignore[misc]
