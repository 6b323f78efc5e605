"""Uploads and admin actions: size limit, content sniffing, safe names, no reach outside the library.

None of these uploads gets as far as embedding, so the real model never loads.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import gradio as gr
import pytest
from PIL import Image

from app import launch
from policyqa.cli import _parser
from tests.conftest import make_settings
from webui import library
from webui.backend import Backend, safe_name
from webui.events import LibraryEvents

PASSWORD = "管理员"


@pytest.fixture
def backend(tmp_path):
    opened = Backend(make_settings(tmp_path / "data", admin_password=PASSWORD, max_file_mb=0.001))
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("big.txt", "党建引领。".encode() * 200, "too large: 0.0 MB, over the 0.001 MB limit"),
        ("photo.pdf", b"\xff\xd8\xff\xe0 JFIF", "content is JPEG image, not the PDF a .pdf file holds"),
        ("setup.txt", b"MZ\x90\x00\x03", "content is program, not text"),
        ("empty.docx", b"", "empty file"),
        ("scan.png", b"GIF89a", "content is GIF image, not the JPEG image or PNG image or TIFF image a .png file holds"),
    ],
)
def test_a_bad_upload_is_turned_away_before_anything_is_kept(backend, tmp_path, name, data, reason):
    upload = tmp_path / name
    upload.write_bytes(data)
    report = backend.ingest_upload(upload)
    assert report.failed == [{"path": str(upload), "reason": f"{name}: {reason}", "kept": "nothing"}]
    assert not backend.uploads_dir.exists() and backend.articles() == []
    assert library.ingest_summary(name, report) == f"- {name}：导入失败（{name}: {reason}）"


def test_an_upload_found_unreadable_when_ingested_leaves_the_uploads_folder_as_it_was(backend, tmp_path):
    earlier = backend.uploads_dir / "notice.pdf"
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(b"%PDF-1.4 the earlier copy")
    upload = tmp_path / "notice.pdf"
    upload.write_bytes(b"%PDF-1.4 truncated")  # passes the content check, fails when read
    (failed,) = backend.ingest_upload(upload).failed
    assert failed["reason"].startswith("notice.pdf: not a readable PDF")
    assert earlier.read_bytes() == b"%PDF-1.4 the earlier copy"
    upload.rename(tmp_path / "other.pdf")
    assert backend.ingest_upload(tmp_path / "other.pdf").failed
    assert sorted(p.name for p in backend.uploads_dir.iterdir()) == ["notice.pdf"]


@pytest.mark.e2e
def test_an_image_upload_is_accepted_and_read_by_ocr(backend, tmp_path):
    upload = tmp_path / "photo.jpg"
    Image.new("RGB", (200, 80), "white").save(upload, format="PNG")  # a PNG under a .jpg name
    heard = []
    (failed,) = backend.ingest_upload(upload, on_page=lambda done, total: heard.append((done, total))).failed
    assert failed["reason"] == "photo.jpg: no text found in the image by OCR" and heard == [(1, 1)]
    assert list(backend.uploads_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("..", "upload"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\evil 'q' \"d\" $(touch x); rm -rf ~ & | * ? <x>.txt", "evil_q_d_touch_x_rm_-rf_x.txt"),
        (".bashrc", "bashrc"),
        ("白杨村 报告.TXT", "白杨村_报告.txt"),
    ],
)
def test_upload_names_are_sanitised_into_one_plain_name(name, kept, tmp_path):
    assert safe_name(name) == kept
    folder = tmp_path / "uploads"
    assert (folder / safe_name(name)).resolve().parent == folder.resolve()


@pytest.mark.parametrize("doc_id", ["../../etc/passwd", "/etc/passwd", "..", "%2e%2e%2fdata", ""])
def test_an_article_id_cannot_reach_a_file_outside_the_library(backend, doc_id):
    outside = backend.settings.data_dir.parent / "keep.txt"
    outside.write_text("不能被删除。", encoding="utf-8")
    assert backend.article(doc_id) is None
    assert backend.remove_document(doc_id) == []
    assert outside.read_text(encoding="utf-8") == "不能被删除。"


def test_no_admin_action_without_the_password(backend, tmp_path):
    events = LibraryEvents(backend)
    upload = tmp_path / "a.txt"
    upload.write_text("东华村召开村民代表大会。", encoding="utf-8")
    for password in ("", "管理员 ", "管理", None):
        with pytest.raises(gr.Error, match="管理员密码不正确"):
            events.upload([str(upload)], password)
        with pytest.raises(gr.Error, match="管理员密码不正确"):
            events.remove("000", password)
    assert not library.is_admin(None, "") and not library.is_admin("", "")
    assert "compare_digest" in inspect.getsource(library.is_admin)  # compared in constant time


def test_serve_binds_loopback_unless_told_otherwise():
    assert _parser().parse_args(["serve"]).host == "127.0.0.1"
    assert inspect.signature(launch).parameters["host"].default == "127.0.0.1"
