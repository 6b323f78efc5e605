"""The web UI in headless chromium: ask and follow the citation, study packs, admin upload.

Screenshots land in test-artifacts/screenshots/, at desktop and at phone width.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import docx
import pytest
from playwright.sync_api import Page, expect

from tests.scans import NOTICE, cjk_font, render
from tests.webui.conftest import screenshot
from webui.feedback import FeedbackLog

pytestmark = pytest.mark.browser

UPLOAD_TITLE = "青松社区：“邻里议事厅”让居民事居民议"
UPLOAD_PARAGRAPHS = [
    UPLOAD_TITLE,
    "青松社区位于云岭县城北部，常住人口约6200人。近年来，青松社区党委坚持党建引领，创新设立“邻里议事厅”，"
    "推动居民事居民议、居民事居民定，社区治理从“为民作主”转向“由民作主”。",
    "社区党委组织在职党员、楼栋长和志愿者组成议事队伍。目前，“邻里议事厅”共有议事代表48名，"
    "全年收集居民意见建议326条，办结率达到96%。",
    "下一步，青松社区将继续完善议事规则，推动更多居民参与社区治理，让党建引领基层治理落到实处。",
]


def ask(page: Page, question: str, turn: int) -> None:
    """Ask in the chat and wait for answer ``turn`` (0-based) to show its first citation marker."""
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.locator(f'#chat a[href="#src-{turn}-1"]').first.wait_for()


def test_answer_cites_a_passage_that_opens_highlighted_in_its_article(page: Page, tmp_path: Path):
    ask(page, "东华村户籍人口有多少？", turn=0)
    expect(page.get_by_test_id("bot").last).to_contain_text("1867人")
    screenshot(page, "chat-answer")

    page.locator('#chat a[href="#src-0-1"]').first.click()
    card = page.locator("#src-0-1")
    expect(card).to_have_class("source active")
    expect(card.locator("mark")).to_contain_text("1867人")
    expect(card).to_contain_text("增城区新塘镇东华村")

    card.get_by_role("button", name="打开原文").click()
    passage = page.locator("#article-view .passage-in-article")
    expect(passage.locator("mark")).to_contain_text("1867人")
    expect(page.locator("#article-view")).to_contain_text("下一步")  # the whole article, not just the passage
    expect(passage).to_be_in_viewport()
    screenshot(page, "chat-article")

    ask(page, "那外来人员呢？", turn=1)
    expect(page.get_by_test_id("bot").last).to_contain_text("8500人")
    with page.expect_download() as download:
        page.get_by_text("导出问答（Markdown）").click()
    exported = tmp_path / "chat.md"
    download.value.save_as(exported)
    text = exported.read_text(encoding="utf-8")
    assert "东华村户籍人口有多少？" in text and "那外来人员呢？" in text and "> 截至2023年1月" in text


def test_thumbs_down_with_a_comment_is_stored_with_the_answer(page: Page, server):
    ask(page, "东区街道划分了多少个四级网格？", turn=0)
    page.locator("#chat").get_by_role("button", name="踩").click()
    page.get_by_label("补充意见（可选）").fill("希望给出更多细节")
    page.get_by_role("button", name="提交意见").click()
    expect(page.get_by_label("补充意见（可选）")).to_be_hidden()
    rows = FeedbackLog(server.data_dir / "feedback.sqlite").rows()
    mine = [r for r in rows if r["question"] == "东区街道划分了多少个四级网格？"]
    assert [(r["rating"], r["comment"]) for r in mine] == [(-1, "希望给出更多细节")]
    assert json.loads(mine[0]["citations"]) and "[1]" in mine[0]["answer"]


def boxes(page: Page, *ids: str) -> list[dict]:
    """The elements' boxes read at one instant: the page may still be scrolling to the citation,
    and two bounding_box() calls apart would see it at two scroll positions."""
    return page.evaluate(
        "ids => ids.map(id => { const r = document.getElementById(id).getBoundingClientRect();"
        " return {y: r.top, height: r.height, width: r.width}; })",
        list(ids),
    )


def test_at_phone_width_the_citation_scrolls_to_its_source_below_the_chat(phone: Page):
    ask(phone, "市捐赠站站长是谁？", turn=0)
    expect(phone.get_by_test_id("bot").last).to_contain_text("吴木蔚")
    screenshot(phone, "phone-chat")
    phone.locator('#chat a[href="#src-0-1"]').first.click()
    expect(phone.locator("#src-0-1")).to_be_in_viewport()
    chat_box, sources_box = boxes(phone, "chat", "sources")
    assert chat_box["width"] <= 390 and sources_box["width"] <= 390
    assert sources_box["y"] > chat_box["y"] + chat_box["height"]  # stacked under the chat, not squeezed beside it
    phone.locator("#src-0-1").get_by_role("button", name="打开原文").click()
    expect(phone.locator("#article-view .passage-in-article")).to_be_in_viewport()
    screenshot(phone, "phone-article")


def test_study_pack_is_generated_and_downloads_as_markdown_and_docx(page: Page, tmp_path: Path):
    page.get_by_role("tab", name="学习材料").click()
    page.get_by_label("学习主题").fill("党建引领基层治理")
    page.get_by_role("button", name="生成学习材料").click()
    expect(page.locator("#study-preview")).to_contain_text("党建引领基层治理", timeout=120_000)
    screenshot(page, "study")

    with page.expect_download() as md_download:
        page.get_by_text("下载 Markdown").click()
    md_path = tmp_path / "pack.md"
    md_download.value.save_as(md_path)
    assert "党建引领基层治理" in md_path.read_text(encoding="utf-8")

    with page.expect_download() as docx_download:
        page.get_by_text("下载 Word（DOCX）").click()
    docx_path = tmp_path / "pack.docx"
    docx_download.value.save_as(docx_path)
    assert "党建引领基层治理" in "\n".join(p.text for p in docx.Document(str(docx_path)).paragraphs)


def test_study_tab_at_phone_width(phone: Page):
    phone.get_by_role("tab", name="学习材料").click()
    phone.get_by_label("学习主题").fill("城中村治理")
    phone.get_by_role("button", name="生成学习材料").click()
    expect(phone.locator("#study-preview")).to_contain_text("城中村", timeout=120_000)
    screenshot(phone, "phone-study")


def test_admin_uploads_an_article_that_then_answers_questions(page: Page, server, tmp_path: Path):
    upload = tmp_path / "青松社区.docx"
    document = docx.Document()
    for paragraph in UPLOAD_PARAGRAPHS:
        document.add_paragraph(paragraph)
    document.save(str(upload))

    page.get_by_role("tab", name="文库").click()
    expect(page.locator("#library")).to_contain_text("东华村")
    page.get_by_text("管理文库（需管理员密码）").click()
    page.get_by_label("管理员密码").fill(server.password)
    page.locator("#admin input[type=file]").set_input_files(str(upload))
    # Gradio shows a chosen file's stem and extension in separate elements (青松社区 .docx).
    expect(page.locator("#admin")).to_contain_text(re.compile(r"青松社区\s*\.docx"))
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("#admin-status")).to_contain_text("导入完成", timeout=120_000)
    expect(page.locator("#admin-status")).to_contain_text("1 篇文章")
    expect(page.locator("#library")).to_contain_text(UPLOAD_TITLE)
    screenshot(page, "library-upload")

    page.get_by_role("tab", name="问答").click()
    ask(page, "青松社区邻里议事厅有多少名议事代表？", turn=0)
    expect(page.get_by_test_id("bot").last).to_contain_text("48名")
    expect(page.locator("#src-0-1")).to_contain_text(UPLOAD_TITLE)
    screenshot(page, "uploaded-answer")


def test_library_at_phone_width(phone: Page):
    phone.get_by_role("tab", name="文库").click()
    expect(phone.locator("#library")).to_contain_text("东华村")
    screenshot(phone, "phone-library")


def test_admin_uploads_a_photo_of_a_scan_that_answers_with_its_page_and_confidence(page: Page, server, tmp_path: Path):
    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font to render the scan with: `make test` installs fonts-wqy-microhei")
    upload = tmp_path / "横沥镇通知.png"
    render(NOTICE[1], font, 200, rotation=0.8, noise=15).save(upload)

    page.get_by_role("tab", name="文库").click()
    page.get_by_text("管理文库（需管理员密码）").click()
    page.get_by_label("管理员密码").fill(server.password)
    page.locator("#admin input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("#admin-status")).to_contain_text("导入完成", timeout=120_000)
    expect(page.locator("#library")).to_contain_text("扫描件，OCR 识别")
    screenshot(page, "library-upload-scan")

    page.get_by_role("tab", name="问答").click()
    ask(page, "横沥镇农村生活污水处理设施改造专项资金是多少？", turn=0)
    expect(page.get_by_test_id("bot").last).to_contain_text("3600万元")
    expect(page.locator("#src-0-1")).to_contain_text("第1页 · 扫描件识别，置信度 0.9")
    screenshot(page, "scan-answer")
