"""Markup of answers, sources and articles: markers, highlighting, escaping."""

from __future__ import annotations

import re

from index.types import Chunk, Provenance
from rag.types import Answer, Citation
from webui import render
from webui.render import Turn

ARTICLE = "东华村背景资料\n东华村位于新塘镇中心。截至2023年1月，全村户籍人口1867人。村内在册党员118人。\n下一步工作"
PASSAGE = "东华村位于新塘镇中心。截至2023年1月，全村户籍人口1867人。村内在册党员118人。"
QUOTE = "截至2023年1月，全村户籍人口1867人。"


def citation(n: int = 1, text: str = PASSAGE, quote: str = QUOTE, start: int | None = None, **fields) -> Citation:
    start = ARTICLE.find(text) if start is None else start
    defaults = dict(doc_id="002#1", chunk_id=f"002#1:{n}", title="东华村治理", date="2023-06-01", source="广州日报",
                    path="002.txt", text=text, start=start, end=start + len(text), quote=quote)
    return Citation(n=n, **{**defaults, **fields})


def answer(text: str = f"{QUOTE}[1]", citations: list[Citation] | None = None, **fields) -> Answer:
    return Answer(question="东华村户籍人口有多少？", answer=text, refused=False,
                  citations=[citation()] if citations is None else citations, **fields)


def test_cited_markers_link_to_their_source_card_and_uncited_numbers_stay_text():
    html = render.answer_html("甲[1]乙[2]", turn=3, cited=[1])
    assert '<a class="cite" href="#src-3-1">[1]</a>' in html
    assert "乙&#91;2&#93;" in html  # shown as 乙[2], but no Markdown can link it


def test_answer_text_is_escaped():
    html = render.answer_html("<script>alert(1)</script>[1]", turn=0, cited=[1])
    assert "<script>" not in html and "&lt;script&gt;" in html


HOSTILE = (
    "<script>alert(1)</script><img src=x onerror=alert(2)>"
    "[点我](javascript:alert(3))![图](javascript:alert(4))<a href=\"javascript:alert(5)\">链接</a>"
)


def _no_tags(markup: str) -> None:
    for tag in ("<script", "<img", "<a href"):
        assert tag not in markup, tag


def test_hostile_text_is_inert_in_chat_sources_article_and_export():
    hostile = citation(text=HOSTILE, quote=HOSTILE, title=HOSTILE, source=HOSTILE)
    turn = render.Turn(HOSTILE, answer(f"{HOSTILE}[1]", citations=[hostile]))
    for message in render.chat_messages([turn], pending=HOSTILE, draft=HOSTILE):
        content = message["content"].replace('<a class="cite" href="#src-0-1">', "")
        _no_tags(content)
        assert "](" not in content and "[点我]" not in content  # the chat renders Markdown
    _no_tags(render.sources_html([turn]))  # HTML panels: no Markdown is rendered there
    _no_tags(render.article_html(HOSTILE, HOSTILE, hostile))
    exported = render.conversation_markdown([turn])
    assert "[点我](" not in exported and not re.search(r"(?<!\\)<", exported)  # every < escaped


def test_quote_spans_are_found_in_order_and_merged():
    text = "一句。二句。三句。"
    assert render.quote_spans(text, "三句。\n一句。\n二句。") == [(0, 9)]
    assert render.quote_spans(text, "三句。\n一句。") == [(0, 3), (6, 9)]
    assert render.quote_spans(text, "不在其中。\n") == []


def test_passage_marks_the_quote_and_escapes_the_rest():
    html = render.passage_html("前<b>言。" + QUOTE, QUOTE)
    assert html == f"前&lt;b&gt;言。<mark>{QUOTE}</mark>"


def test_source_card_shows_title_date_source_highlight_and_open_button():
    html = render.source_card(citation(n=2), turn=1)
    assert 'id="src-1-2"' in html and "东华村治理" in html and "2023-06-01 · 广州日报" in html
    assert f"<mark>{QUOTE}</mark>" in html
    assert 'class="open-article" data-turn="1" data-n="2"' in html


def test_sources_panel_lists_newest_question_first_and_open():
    turns = [Turn("第一问？", answer()), Turn("第二问？", answer())]
    html = render.sources_html(turns)
    assert html.index("第2问：第二问？") < html.index("第1问：第一问？")
    assert '<details class="turn" id="turn-1" open>' in html and '<details class="turn" id="turn-0">' in html


def test_a_refusal_lists_its_nearest_passages_under_a_note():
    refused = Answer(question="深圳呢？", answer="没有涉及", refused=True, citations=[], nearest=[citation()])
    html = render.sources_html([Turn("深圳呢？", refused)])
    assert "没有找到依据" in html and 'id="src-0-1"' in html


def test_empty_sources_panel_says_what_will_appear():
    assert "提问后" in render.sources_html([])


def test_article_highlights_the_passage_at_its_span():
    html = render.article_html("东华村治理", ARTICLE, citation())
    assert f'<span class="passage-in-article">东华村位于新塘镇中心。<mark>{QUOTE}</mark>' in html
    assert html.count("passage-in-article") == 1 and "下一步工作" in html


def test_article_finds_the_passage_when_its_span_is_stale():
    html = render.article_html("东华村治理", ARTICLE, citation(start=0))
    assert '<span class="passage-in-article">东华村位于' in html


def test_article_without_the_passage_is_shown_plain_and_escaped():
    html = render.article_html("标题", "<i>全文</i>", citation())
    assert "passage-in-article" not in html and "&lt;i&gt;全文&lt;/i&gt;" in html


def test_conversation_markdown_has_questions_answers_and_quoted_sources():
    md = render.conversation_markdown([Turn("东华村户籍人口有多少？", answer())])
    assert "## 第1问：东华村户籍人口有多少？" in md
    assert f"{QUOTE}[1]" in md
    assert "[1] 《东华村治理》 2023-06-01 广州日报" in md and f"> {QUOTE}" in md


def test_chat_messages_show_a_pending_question_with_its_draft():
    messages = render.chat_messages([Turn("问一", answer())], pending="问<二>", draft="答")
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert 'href="#src-0-1"' in messages[1]["content"]
    assert messages[2]["content"] == "问&lt;二&gt;" and messages[3]["content"] == "答"
    assert render.chat_messages([], pending="问")[-1]["content"] == "正在检索……"


def test_the_short_answer_stands_on_its_own_line():
    html = render.answer_html("1867人[1]\n截至2023年1月，全村户籍人口1867人。[1]", turn=0, cited=[1])
    assert html.count("<br>") == 1
    assert html.index("<br>") < html.index("截至")


SCANNED = Provenance(page=2, last_page=2, ocr_confidence=0.934, doubtful=("专项资金1200万元<由>市财政安排。",))


def test_a_source_card_of_a_scan_names_its_page_confidence_and_doubtful_lines():
    html = render.source_card(citation(provenance=SCANNED), turn=0)
    assert "2023-06-01 · 广州日报 · 第2页 · 扫描件识别，置信度 0.93" in html
    assert '<div class="ocr-doubt">以下 1 行识别置信度低，请核对原件：<ul><li>专项资金1200万元&lt;由&gt;市财政安排。</li></ul></div>' in html


def test_a_text_layer_pdf_names_pages_without_a_confidence_and_other_files_neither():
    assert render.provenance_label(Provenance(3, 4)) == "第3-4页"
    assert render.provenance_label(None) == ""
    html = render.source_card(citation(), turn=0)
    assert "第" not in html.split('class="source-meta">')[1].split("</div>")[0] and "ocr-doubt" not in html


def test_the_exported_conversation_names_the_page_and_the_doubtful_lines():
    markdown = render.conversation_markdown([Turn("问？", answer(citations=[citation(provenance=SCANNED)]))])
    assert "广州日报 第2页 · 扫描件识别，置信度 0.93" in markdown
    # OCR text is article text: escaped like the rest of the export, so it can form no tag or link.
    assert "> （识别置信度低，请核对原件：专项资金1200万元\\<由\\>市财政安排。）" in markdown


def test_hostile_ocr_lines_stay_text_in_the_sources_panel_and_the_export():
    hostile = "[点我](javascript:alert(1))<img src=x onerror=alert(1)>"
    found = Provenance(page=1, last_page=1, ocr_confidence=0.5, doubtful=(hostile,))
    html = render.source_card(citation(provenance=found), turn=0)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    markdown = render.conversation_markdown([Turn("问？", answer(citations=[citation(provenance=found)]))])
    line = next(line for line in markdown.splitlines() if "点我" in line).removeprefix("> ")
    assert not re.search(r"(?<!\\)[\[\]<>]", line)  # every bracket escaped: no link, no tag
    assert line.endswith("\\[点我\\](javascript:alert(1))\\<img src=x onerror=alert(1)\\>）")


def test_a_citation_names_the_page_its_quote_is_on():
    text = "第一页的句子。第二页的句子。"
    chunk = Chunk("d", text, text, 0, len(text), "t", provenance=Provenance(1, 2, 0.9, (), breaks=((7, 2),)))
    assert Citation.of(1, chunk, "第二页的句子。").provenance.pages == "2"
    assert Citation.of(1, chunk, "").provenance.pages == "1-2"
