"""Number, issuer, title and date of official documents; texts that are not one give nothing."""

from __future__ import annotations

import pytest

from index.articles import Article
from index.metadata import extract_metadata
from index.official import OfficialHeader, read_header

RED_HEADER = [
    "东莞市人民政府办公室文件",
    "东府办【2023】 12号",  # OCR reads the hexagonal brackets as square ones
    "关于加强城中村治理",
    "工作的通知",
    "各镇人民政府（街道办事处）：",
    "为进一步加强城中村治理，现将有关事项通知如下。",
    "东莞市人民政府办公室",
    "二〇二三年三月十五日",
]


def test_a_red_header_document_gives_number_issuer_wrapped_title_and_numeral_date():
    assert read_header(RED_HEADER) == OfficialHeader(
        number="东府办〔2023〕12号", issuer="东莞市人民政府办公室", title="关于加强城中村治理工作的通知", date="2023-03-15"
    )


def test_without_a_red_header_the_issuer_is_the_signature_over_the_date():
    lines = ["粤府办〔2023〕7号 签发人：张三", "关于印发实施方案的通知", "正文。", "广东省人民政府办公厅", "2023年2月1日"]
    assert read_header(lines) == OfficialHeader("粤府办〔2023〕7号", "广东省人民政府办公厅", "关于印发实施方案的通知", "2023-02-01")


@pytest.mark.parametrize(
    "lines",
    [
        ["根据《通知》（粤府办〔2023〕12号）要求，各地加强治理。", "广东省人民政府办公厅", "2023年2月1日"],
        ["东华村召开会议", "正文。", "2023年2月1日"],
    ],
    ids=["number cited in a sentence", "news article"],
)
def test_a_text_that_is_no_official_document_gives_nothing(lines):
    assert read_header(lines) == OfficialHeader()


@pytest.mark.parametrize(("date_line", "expected"), [("二〇二三年十二月三十一日", "2023-12-31"), ("二〇二三年二月三十日", None)])
def test_numeral_dates_are_read_and_impossible_ones_are_not(date_line, expected):
    assert read_header(["东莞市人民政府办公室文件", date_line]).date == expected


def test_a_signature_date_in_chinese_numerals_dates_any_text():
    raw = "横沥镇污水处理设施改造工作进展。\n东莞市人民政府办公室\n二〇二三年三月十五日"
    assert extract_metadata(raw, Article("", raw, 0)).date == "2023-03-15"
