"""An article carrying script, event-handler, javascript: and Markdown-link payloads, served and
clicked through in headless chromium: chat, sources, article view, library, study pack. None runs.

Every payload sets ``window.__pwned`` or opens a dialog when it runs, so the page is checked for
both, and for any element that could still run one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.webui.conftest import DESKTOP, open_page, screenshot, serving
from tests.webui.test_browser import ask

pytestmark = pytest.mark.browser

TITLE_PAYLOAD = "<script>window.__pwned='title'</script>"
ARTICLE = f"""{TITLE_PAYLOAD}星河村议事会
星河村位于云岭县南部，常住人口约3200人。<img src=x onerror="window.__pwned='img';alert('img')">村委会每月召开一次议事会。
星河村办事指南见[点我领取补贴](javascript:window.__pwned='md')，村务公开栏每周更新。
<a href="javascript:window.__pwned='a'">办事指南</a>星河村共有党员86名，议事代表47名。
<script>window.__pwned='script';alert('script')</script>星河村议事会每季度公开一次账目。
"""


@pytest.fixture(scope="module")
def hostile_page(browser, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    article = folder / "星河村<img src=x onerror=alert(1)>.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    with serving(tmp_path_factory.mktemp("hostile-index"), [article]) as running:
        context, page = open_page(browser, running, DESKTOP)
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        yield page, dialogs
        context.close()


def nothing_ran(page: Page, dialogs: list[str]) -> None:
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    assert page.locator("[onerror], [onload], [onclick]").count() == 0
    assert page.locator("a[href^='javascript' i], iframe, object, embed").count() == 0
    assert page.locator("script", has_text="__pwned").count() == 0


def test_no_payload_runs_in_chat_sources_article_library_or_study_pack(hostile_page):
    page, dialogs = hostile_page
    ask(page, "星河村常住人口有多少？", turn=0)
    expect(page.get_by_test_id("bot").last).to_contain_text("3200人")
    page.locator('#chat a[href="#src-0-1"]').first.click()
    card = page.locator("#src-0-1")
    expect(card).to_contain_text(TITLE_PAYLOAD)  # shown as text, not run
    card.get_by_role("button", name="打开原文").click()
    expect(page.locator("#article-view")).to_contain_text("[点我领取补贴](javascript:")
    expect(page.locator("#article-view")).to_contain_text("<img src=x onerror=")
    nothing_ran(page, dialogs)
    screenshot(page, "hostile-chat")

    page.get_by_role("tab", name="文库").click()
    expect(page.locator("#library")).to_contain_text(TITLE_PAYLOAD)
    nothing_ran(page, dialogs)

    page.get_by_role("tab", name="学习材料").click()
    page.get_by_label("学习主题").fill("星河村议事会[点我](javascript:alert(1))<img src=x onerror=alert(2)>")
    page.get_by_role("button", name="生成学习材料").click()
    expect(page.locator("#study-preview")).to_contain_text("星河村", timeout=120_000)
    expect(page.locator("#study-preview")).to_contain_text("<img src=x onerror=alert(2)>")
    nothing_ran(page, dialogs)
    screenshot(page, "hostile-study")


def test_a_hostile_question_is_shown_as_text(hostile_page):
    page, dialogs = hostile_page
    page.get_by_role("tab", name="问答").click()
    ask(page, "星河村<img src=x onerror=alert(3)>[链接](javascript:alert(4))有多少党员？", turn=1)
    expect(page.get_by_test_id("user").last).to_contain_text("<img src=x onerror=alert(3)>[链接](javascript:alert(4))")
    nothing_ran(page, dialogs)
