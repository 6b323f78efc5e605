from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from index.articles import Article, split_articles
from index.clean import clean_text
from index.metadata import MAX_PLACES, ArticleMeta, extract_metadata
from index.text.script import to_simplified

ARTICLES = Path(__file__).resolve().parents[2] / "data" / "articles"
SAMPLES = sorted(ARTICLES.glob("*.txt"))


def sample_meta(prefix: str) -> list[ArticleMeta]:
    raw = next(path for path in SAMPLES if path.name.startswith(prefix)).read_text(encoding="utf-8")
    return [extract_metadata(raw, article) for article in split_articles(clean_text(raw).text)]


def meta_of(raw: str, body: str = "正文。") -> ArticleMeta:
    return extract_metadata(raw, Article(title="", body=body, offset=0))


# --- date -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "dates"),
    [("000", ["2023-06-28"]), ("001", [None]), ("002", [None, None, None]), ("003", [None]), ("004", ["2020-09-11"])],
)
def test_sample_dates(prefix: str, dates: list[str | None]) -> None:
    assert [meta.date for meta in sample_meta(prefix)] == dates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("正文。\n2023年6月28日 星期三", "2023-06-28"),
        ("标题\n2020-09-11 12:10\n正文。", "2020-09-11"),
        ("发布时间：2021-3-5 09:00 浏览量：12\n正文。", "2021-03-05"),
        ("發佈時間:2022/12/01\n正文。", "2022-12-01"),
        ("来源：新华社 2019.07.01\n正文。", "2019-07-01"),
        ("6月13日，人大工委开展交叉检查。", None),  # no year
        ("2023年6月", None),  # no day
        ("2023年2月30日", None),  # not a calendar date
        ("2023年6月28日，东城街道召开会议。", None),  # an event in a sentence, not the article's date
    ],
)
def test_date(raw: str, expected: str | None) -> None:
    assert meta_of(raw).date == expected


def test_labelled_date_wins_over_standalone_lines() -> None:
    raw = "2020-01-01\n发布时间：2021-05-06\n正文。\n2022年3月4日"
    assert meta_of(raw).date == "2021-05-06"


def test_last_standalone_date_wins() -> None:
    assert meta_of("2020-01-01\n正文。\n2022年3月4日 星期五").date == "2022-03-04"


# --- source -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "sources"),
    [
        ("000", ["新快报"]),
        ("001", [None]),  # 來源: 發布時間: 瀏覽量: names nothing
        ("002", [None, None, None]),
        ("003", ["南方报业传媒集团南方 客户端"]),
        ("004", ["中国城市报“城市党建”周刊"]),  # the original publisher, not the platform
    ],
)
def test_sample_sources(prefix: str, sources: list[str | None]) -> None:
    assert [meta.source for meta in sample_meta(prefix)] == sources


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("来源：澎湃新闻·澎湃号·政务\n正文。", "澎湃新闻·澎湃号·政务"),
        ("来源:澎湃新闻\n正文。\n来源:中国城市报“城市党建”周刊\n原标题:《标题》", "中国城市报“城市党建”周刊"),
        ("【来源】 南方报业传媒集团南方 客户端", "南方报业传媒集团南方 客户端"),
        ("來源: 發布時間: 瀏覽量:\n正文。", None),
        ("来源：东莞日报 发布时间：2021-01-01", "东莞日报"),
        ("■新快报记者 杨英杰 通讯员 东城宣\n正文。", "新快报"),
        ("【采写】南方日报记者 吴帆\n正文。", "南方日报"),
        ("本报记者 张三\n正文。", None),
        ("【采写】南方日报记者 吴帆\n【来源】 南方+客户端", "南方+客户端"),  # a label beats a credit
        ("记者从市委组织部获悉，东城街道召开会议。", None),
        ("來源:東莞日報\n正文。", "東莞日報"),  # shown as printed, not simplified
        ("■新快報記者 楊英傑\n正文。", "新快報"),
    ],
)
def test_source(raw: str, expected: str | None) -> None:
    assert meta_of(raw).source == expected


# --- places -----------------------------------------------------------------------------


def test_sample_places() -> None:
    donghua, donation, liaison = sample_meta("002")
    assert donghua.places[:4] == ("东华村", "新塘镇", "增城区", "广州市")
    assert donation.places == ()
    assert set(liaison.places) == {"金花街道", "东沙街道"}
    (dongcheng,) = sample_meta("000")
    assert dongcheng.places[:2] == ("东城街道", "东莞市")
    assert "火炼树社区" in dongcheng.places
    (zhongshan,) = sample_meta("003")
    assert zhongshan.places[:2] == ("东区街道", "中山市")


def test_places_of_a_traditional_article_are_simplified() -> None:
    (guanyan,) = sample_meta("001")
    assert guanyan.places[:3] == ("星城社区", "火炼树社区", "东城街道")
    assert all(name == to_simplified(name) for name in guanyan.places)


@pytest.mark.parametrize(
    "body",
    [
        "推进城中村治理，全村村民参与社区治理。",
        "强化社区党组织建设，推动社区工作，深化社区服务。",
        "在全市推广，各村各镇积极参与，百县千镇万村高质量发展工程。",
        "城市社区、住宅小区、商圈市场和工业园区都建立了党组织。",
        "东莞不设区县，市直管镇，市民满意度提升。",
        "党组织对社区工作的全面领导，党员和社区居民共同参与。",
    ],
)
def test_generic_words_are_not_places(body: str) -> None:
    assert meta_of("", body).places == ()


@pytest.mark.parametrize(
    ("body", "places"),
    [
        ("增城区新塘镇东华村开展结对共建。", ("增城区", "新塘镇", "东华村")),
        ("周屋社区党委联合企业党支部。", ("周屋社区",)),
        ("中山市东区街道深化系统建设。", ("中山市", "东区街道")),
        ("走进东城街道火炼树社区和星城社区，火炼树社区党委书记介绍。", ("火炼树社区", "东城街道", "星城社区")),
    ],
)
def test_places(body: str, places: tuple[str, ...]) -> None:
    assert meta_of("", body).places == places


def test_places_are_capped() -> None:
    names = ["东华村", "新塘镇", "增城区", "广州市", "东城街道", "火炼树社区", "周屋社区", "中山市", "东区街道"]
    body = "，".join(f"{name}党委召开会议" for name in names) + "。"
    assert len(meta_of("", body).places) == MAX_PLACES


def test_meta_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        meta_of("").date = "2020-01-01"  # type: ignore[misc]
