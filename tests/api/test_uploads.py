"""Hostile uploads and admin calls through the HTTP API: names that climb out of folders, files
too big or not what their names say, and every way of not being the admin.

None of these uploads is embedded with the real model: the backend runs on the hash embedding.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from policyqa.api import build_api
from tests.conftest import make_settings
from tests.fakes import HashEmbeddings
from tests.webui.test_api import NEW_ARTICLE
from webui.backend import Backend

PASSWORD = "管理员 密码"
ADMIN = {"X-Admin-Password": quote(PASSWORD)}


@pytest.fixture
def backend(tmp_path):
    opened = Backend(make_settings(tmp_path / "data", admin_password=PASSWORD, max_file_mb=0.01), HashEmbeddings())
    yield opened
    opened.close()


@pytest.fixture
def client(backend) -> TestClient:
    return TestClient(build_api(backend))


def files_under(folder) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("../../evil.txt", "evil.txt"),
        ("/etc/passwd.txt", "passwd.txt"),
        ("..\\..\\evil.txt", "evil.txt"),
        ("a/../../b.txt", "b.txt"),
        ("$(touch x); rm -rf ~ | * <x>.txt", "touch_x_rm_-rf_x.txt"),
        ("..", None),  # no name left, so no type: refused, nothing kept
        (".", None),
    ],
)
def test_an_upload_name_cannot_place_a_file_outside_the_uploads_folder(client, backend, tmp_path, name, kept):
    outside = files_under(tmp_path)
    response = client.post("/api/articles", files={"files": (name, NEW_ARTICLE.encode(), "text/plain")}, headers=ADMIN)
    assert response.status_code == 200, response.text
    [report] = response.json()
    if kept is None:
        assert report["failed"][0]["reason"] == "upload: unsupported file type (no extension)"
    else:
        assert report["documents"] == 1 and not report["failed"]
    assert sorted(p.name for p in backend.uploads_dir.glob("*")) == ([kept] if kept else [])
    assert all(path.startswith("data") for path in files_under(tmp_path) - outside)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("big.txt", "党建引领。".encode() * 2000, "too large: 0.0 MB, over the 0.01 MB limit"),
        ("notice.pdf", b"\xff\xd8\xff\xe0 JFIF", "content is JPEG image, not the PDF a .pdf file holds"),
        ("setup.txt", b"MZ\x90\x00\x03 a program", "content is program, not text"),
        ("report.docx", "东华村召开会议。".encode(), "content is text or unknown, not the zip a .docx file holds"),
        ("scan.png", b"%PDF-1.4", "content is PDF, not the JPEG image or PNG image or TIFF image a .png file holds"),
    ],
)
def test_an_upload_too_big_or_not_what_its_name_says_is_refused_and_nothing_is_kept(client, backend, name, data, reason):
    response = client.post("/api/articles", files={"files": (name, data, "text/plain")}, headers=ADMIN)
    [report] = response.json()
    assert [(f["reason"], f["kept"]) for f in report["failed"]] == [(f"{name}: {reason}", "nothing")]
    assert backend.articles() == [] and not backend.uploads_dir.exists()


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Admin-Password": ""}, {"X-Admin-Password": "wrong"}, {"X-Admin-Password": quote(PASSWORD + " ")},
     {"X-Admin-Password": quote("管理员")}, {"X-Admin-Password": "%E7%AE%A1"}, {"X-Admin-Password": "%ZZ"}],
)  # fmt: skip
def test_no_upload_or_removal_without_the_admin_password(client, backend, headers):
    upload = {"files": ("白杨村.txt", NEW_ARTICLE.encode(), "text/plain")}
    assert client.post("/api/articles", files=upload, headers=headers).status_code == 403
    assert backend.articles() == [] and not backend.uploads_dir.exists()
    client.post("/api/articles", files=upload, headers=ADMIN)
    [doc_id] = [a["doc_id"] for a in backend.articles()]
    assert client.delete(f"/api/articles/{doc_id}", headers=headers).status_code == 403
    assert [a["doc_id"] for a in backend.articles()] == [doc_id]


def test_without_a_configured_password_the_api_library_is_read_only(tmp_path):
    backend = Backend(make_settings(tmp_path / "data"), HashEmbeddings())
    try:
        client = TestClient(build_api(backend))
        upload = {"files": ("白杨村.txt", NEW_ARTICLE.encode(), "text/plain")}
        for headers in ({}, {"X-Admin-Password": ""}, {"X-Admin-Password": "None"}):
            assert client.post("/api/articles", files=upload, headers=headers).status_code == 403
        assert backend.articles() == []
    finally:
        backend.close()


@pytest.mark.parametrize("doc_id", ["..%2F..%2Fkeep", "%2E%2E", "..", "...", "%00", "keep%00.txt"])
def test_an_article_id_in_the_url_cannot_reach_a_file_outside_the_library(client, backend, tmp_path, doc_id):
    keep = tmp_path / "keep"
    keep.write_text("不能被删除。", encoding="utf-8")
    assert client.delete(f"/api/articles/{doc_id}", headers=ADMIN).status_code == 404
    assert client.get(f"/api/articles/{doc_id}").status_code == 404
    assert keep.read_text(encoding="utf-8") == "不能被删除。"
