"""The served app through its Gradio API (gradio_client): ask, follow up, study packs, admin."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from tests.conftest import NEW_ARTICLE

pytestmark = pytest.mark.e2e


def bot_text(chat: list[dict]) -> str:
    return chat[-1]["content"][0]["text"]


@pytest.fixture
def client(server) -> Client:
    """A fresh browser-like session: its own conversation."""
    return Client(server.url, verbose=False)


def ask(client: Client, question: str, sources=(), places=(), date_from="", date_to="") -> tuple:
    return client.predict(question, list(sources), list(places), date_from, date_to, api_name="/ask")


def test_a_question_and_its_follow_up_are_answered_with_sources_and_exported(client):
    chat, sources, _, export, _ = ask(client, "东华村户籍人口有多少？")
    assert "1867人" in bot_text(chat) and 'href="#src-0-1"' in bot_text(chat)
    assert 'id="src-0-1"' in sources and "<mark>截至2023年1月" in sources
    chat, _, _, export, _ = ask(client, "那外来人员呢？")
    assert "8500人" in bot_text(chat)
    exported = Path(export["value"]).read_text(encoding="utf-8")
    assert "## 第1问：东华村户籍人口有多少？" in exported and "## 第2问：那外来人员呢？" in exported


def test_filters_limit_the_passages_and_a_bad_date_is_explained(client):
    _, sources, *_ = ask(client, "党建引领基层治理有哪些做法？", sources=["新快报"])
    assert sources.count('class="source"') >= 1
    assert sources.count("新快报") == sources.count('class="source"')
    with pytest.raises(AppError, match="起始日期"):
        ask(client, "东华村户籍人口有多少？", date_from="2023年")


def test_study_pack_comes_as_markdown_and_docx(client):
    preview, md, docx_file = client.predict("城中村治理", [], api_name="/study_pack")
    assert "城中村" in preview
    assert Path(md["value"]).read_text(encoding="utf-8").strip() == preview.strip()
    assert Path(docx_file["value"]).suffix == ".docx"


def test_upload_and_remove_need_the_admin_password(client, server, tmp_path):
    upload = tmp_path / "白杨村.txt"
    upload.write_text(NEW_ARTICLE, encoding="utf-8")
    with pytest.raises(AppError, match="管理员密码不正确"):
        client.predict([handle_file(upload)], "wrong", api_name="/upload")

    status, _, table, *_ = client.predict([handle_file(upload)], server.password, api_name="/upload")
    assert "白杨村.txt：1 篇文章" in status
    row = next(r for r in table["data"] if r[0].startswith("白杨村"))
    assert "代办员17名" in bot_text(ask(client, "白杨村有多少名红色代办员？")[0])

    with pytest.raises(AppError, match="管理员密码不正确"):
        client.predict(row[-1], "", api_name="/remove")
    status, table, *_ = client.predict(row[-1], server.password, api_name="/remove")
    assert row[-1] in status and not any(r[0].startswith("白杨村") for r in table["data"])
    chat, sources, *_ = ask(Client(server.url, verbose=False), "白杨村有多少名红色代办员？")
    assert "代办员17名" not in bot_text(chat) + sources


@pytest.mark.parametrize(
    "target",
    ["{data}/policyqa.manifest.sqlite", "/etc/passwd", "{data}/../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd"],
)
def test_the_server_hands_out_no_file_of_the_library_or_the_system(server, target):
    url = server.url + "gradio_api/file=" + target.format(data=server.data_dir)
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read()
    except urllib.error.HTTPError as err:
        assert err.code in (403, 404)
    else:
        pytest.fail(f"{url} answered {response.status} with {body[:80]!r}")
