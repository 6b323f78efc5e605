"""The shared backend on a fresh index: upload, read back, remove; the library listing; a library without a password."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import gradio as gr
import pytest
from fpdf import FPDF

from index.ocr.reader import PageReader
from index.service import Index
from tests.conftest import make_settings
from webui.backend import Backend
from webui.events import ChatEvents, LibraryEvents
from webui.feedback import FeedbackLog

pytestmark = pytest.mark.e2e


PASSWORD = "管理员"


@pytest.fixture
def open_backend(tmp_path):
    """Opens the backend of a fresh index with the given settings; closes it after the test."""
    opened = []

    def open_(**overrides) -> Backend:
        opened.append(Backend(make_settings(tmp_path / "data", **overrides)))
        return opened[-1]

    yield open_
    for backend in opened:
        backend.close()


@pytest.fixture
def backend(open_backend):
    return open_backend()


def test_an_upload_is_kept_indexed_shown_whole_and_removed_with_its_copy(backend, upload):
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


def test_the_library_shows_an_upload_and_a_removal_at_once_and_on_the_next_page_load(open_backend, upload):
    events = LibraryEvents(open_backend(admin_password=PASSWORD))
    assert events.views()[0] == []

    _, _, rows, *_ = events.upload([str(upload)], PASSWORD)
    [row] = rows
    assert row[0].startswith("白杨村") and events.views()[0] == rows
    assert [doc_id for _, doc_id in events.snapshot().articles] == [row[-1]]

    _, rows, *_ = events.remove(row[-1], PASSWORD)
    assert rows == [] and events.views()[0] == [] and events.snapshot().articles == []


def test_a_page_load_during_an_upload_shows_the_library_without_waiting_for_it(open_backend, upload, monkeypatch):
    events = LibraryEvents(open_backend(admin_password=PASSWORD))
    events.views()
    started, release = threading.Event(), threading.Event()
    ingest = Index.ingest

    def slow_ingest(index: Index, paths, **kwargs):
        started.set()
        release.wait()
        return ingest(index, paths, **kwargs)

    monkeypatch.setattr(Index, "ingest", slow_ingest)
    with ThreadPoolExecutor(max_workers=2) as pool:
        uploading = pool.submit(events.upload, [str(upload)], PASSWORD)
        assert started.wait(timeout=30)
        try:
            assert pool.submit(events.views).result(timeout=5)[0] == []
        finally:
            release.set()
        _, _, rows, *_ = uploading.result()
    assert len(rows) == 1 and events.views()[0] == rows


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


def test_questions_are_answered_while_a_long_scan_is_being_read(backend, upload, tmp_path, monkeypatch):
    backend.ingest_upload(upload)
    reading, release = threading.Event(), threading.Event()

    def slow_ocr(reader, data, numbers):  # holds the index thread as a 100-page scan would
        reading.set()
        release.wait()
        return []

    monkeypatch.setattr(PageReader, "pdf_pages", slow_ocr)
    scan = tmp_path / "scan.pdf"
    pdf = FPDF()
    pdf.add_page()  # no text layer: OCR'd
    pdf.output(str(scan))
    with ThreadPoolExecutor(max_workers=2) as pool:
        uploading = pool.submit(backend.ingest_upload, scan)
        assert reading.wait(timeout=30)
        try:  # a question that waited for the index thread would time out here
            answer = pool.submit(backend.chain.ask, "白杨村有多少名红色代办员？").result(timeout=120)
        finally:
            release.set()
        report = uploading.result()
    assert "17名" in answer.answer
    assert report.failed  # the stand-in OCR read nothing
