"""The library as table rows, choices, upload messages; the admin check; the chat filters."""

from __future__ import annotations

import pytest

from index.pipeline import IngestReport
from webui import library
from webui.events import search_filter


def article(doc_id: str, title: str = "", date: str | None = None, source: str | None = None, **meta) -> dict:
    metadata = dict(doc_id=doc_id, title=title, date=date, source=source, places=[], path=f"{doc_id}.txt", warnings=[])
    return {**metadata, **meta}


ARTICLES = [
    article("a", "旧文", "2020-09-11", "澎湃新闻", places=["东莞"]),
    article("b", "新文", "2024-12-16", "东莞时间网", places=["东莞", "横沥镇"],
        warnings=["mojibake dropped: '?;馃挊' after '拆除率达95%'", "mojibake dropped: '?y' after '转变'"]),
    article("c", "", None, None, canonical_doc_id="a"),
]


def test_rows_are_newest_first_with_chunk_counts_and_warnings_in_chinese():
    rows = library.library_rows(ARTICLES, {"a": 3, "b": 7})
    assert [r[0] for r in rows] == ["新文", "旧文", "（无标题）"]
    assert rows[0][1:4] == ["2024-12-16", "东莞时间网", 7]
    assert rows[0][4] == "删除乱码 2 处"
    assert rows[2][3] == 0 and rows[2][4] == "与 a 内容重复" and rows[2][5] == "c"


def test_warnings_of_unknown_kind_are_shown_as_they_are():
    assert library.warning_summary(["something odd", "mojibake dropped: 'x'"]) == ["something odd", "删除乱码 1 处"]


def test_snapshot_collects_sources_places_and_article_choices():
    snap = library.snapshot(ARTICLES, {})
    assert snap.sources == ["东莞时间网", "澎湃新闻"]
    assert snap.places == ["东莞", "横沥镇"]
    assert snap.articles == [("旧文（2020-09-11）", "a"), ("新文（2024-12-16）", "b"), ("（无标题）（c）", "c")]


@pytest.mark.parametrize(
    ("expected", "given", "ok"),
    [("s3cret", "s3cret", True), ("s3cret", "wrong", False), ("s3cret", None, False), (None, "", False), ("", "", False)],
)
def test_admin_needs_a_configured_password_that_matches(expected, given, ok):
    assert library.is_admin(expected, given) is ok


def test_ingest_summary_reports_articles_cleaning_and_failures():
    report = IngestReport(documents=2, chunks=5, duplicates=1, cleaning={"spam": 3, "blank_line": 9})
    assert library.ingest_summary("a.txt", report) == "- a.txt：2 篇文章，5 个片段，其中 1 篇与已有文章重复；清洗：垃圾广告行 3"
    failed = IngestReport(failed=[{"path": "b.pdf", "reason": "no text"}])
    assert library.ingest_summary("b.pdf", failed) == "- b.pdf：导入失败（no text）"
    assert "未变" in library.ingest_summary("c.txt", IngestReport(files_unchanged=1))


def test_search_filter_from_the_chat_filters():
    assert search_filter([], [], "", " ") is None
    chosen = search_filter(["澎湃新闻"], ["东莞"], "2023-01-01", "")
    assert chosen.sources == ("澎湃新闻",) and chosen.places == ("东莞",)
    assert chosen.date_from == "2023-01-01" and chosen.date_to is None


def test_search_filter_rejects_a_date_it_cannot_read():
    with pytest.raises(ValueError, match="起始日期"):
        search_filter([], [], "2023年1月", "")


def test_rows_show_what_cleaning_removed_from_the_article_file():
    spammy = article("s", "有垃圾行的文章", cleaning={"spam": 1, "pinyin": 294, "cjk_punctuation": 129})
    assert library.library_rows([spammy], {})[0][4] == "垃圾广告行 1 处；夹注拼音 294 处"


def test_an_ocrd_article_is_flagged_with_its_confidence_and_doubtful_lines():
    scanned = [article("s", "通知", ocr={"confidence": 0.951, "doubtful_lines": 2}), article("t", "另一通知", ocr={"confidence": 0.99, "doubtful_lines": 0})]
    rows = library.library_rows(scanned, {})
    assert [row[4] for row in rows] == ["扫描件，OCR 识别（置信度 0.95，2 行置信度低，请核对原件）", "扫描件，OCR 识别（置信度 0.99）"]


def test_images_can_be_uploaded():
    assert {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"} <= set(library.UPLOAD_TYPES)
