"""The shared backend on a fresh index: upload, read back, remove; a library without a password."""

from __future__ import annotations

import gradio as gr
import pytest

from tests.app.test_api import NEW_ARTICLE
from tests.conftest import make_settings
from webui.backend import Backend
from webui.events import ChatEvents, LibraryEvents
from webui.feedback import FeedbackLog

pytestmark = pytest.mark.e2e


@pytest.fixture
def backend(tmp_path):
    backend = Backend(make_settings(tmp_path / "data"))
    yield backend
    backend.close()


def test_an_upload_is_kept_indexed_shown_whole_and_removed_with_its_copy(backend, tmp_path):
    upload = tmp_path / "incoming" / "白杨村.txt"
    upload.parent.mkdir()
    upload.write_text(NEW_ARTICLE, encoding="utf-8")

    report = backend.ingest_upload(upload)
    kept = backend.uploads_dir / "白杨村.txt"
    assert report.documents == 1 and kept.exists()
    [article] = backend.articles()
    doc_id = article["doc_id"]
    assert backend.chunk_counts()[doc_id] == report.chunks > 0
    assert "红色代办员17名" in backend.article(doc_id).page_content

    assert backend.remove_document(doc_id) == [doc_id]
    assert backend.articles() == [] and backend.article(doc_id) is None
    assert not backend.chunk_counts() and not kept.exists()
    assert backend.is_empty()
    assert backend.remove_document(doc_id) == []


def test_without_an_admin_password_the_library_refuses_changes(backend, tmp_path):
    assert backend.settings.admin_password is None
    events = LibraryEvents(backend)
    with pytest.raises(gr.Error, match="管理员密码不正确"):
        events.upload([str(tmp_path / "a.txt")], "")
    with pytest.raises(gr.Error, match="管理员密码不正确"):
        events.remove("any", "anything")


def test_asking_an_empty_library_says_so(backend, tmp_path):
    chat = ChatEvents(backend, FeedbackLog(tmp_path / "feedback.sqlite"))
    with pytest.raises(gr.Error, match="文库中还没有文章"):
        next(chat.ask("东华村户籍人口有多少？", [], [], [], "", ""))


def test_the_app_builds_on_an_empty_library_with_its_api(backend, tmp_path):
    from app import build_app

    demo = build_app(backend, FeedbackLog(tmp_path / "feedback.sqlite"))
    api = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert {"ask", "new_chat", "study_pack", "upload", "remove", "library"} <= api
