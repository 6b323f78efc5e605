"""Two data directories on one collection of a Chroma server: the one that first wrote it writes it;
the other answers and exports from it, lists only its own (empty) catalog, and may not write."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app import build_server
from core.errors import IndexBusy
from index.service import open_index
from policyqa.cli import main
from policyqa.factory import build_chain, build_retriever
from tests.conftest import ARTICLES, cli_args, make_settings
from tests.fakes import HashEmbeddings
from webui.backend import Backend

PASSWORD = "admin"


@pytest.fixture
def two_dirs(chroma_url, tmp_path, request):
    """The settings of the owner (which ingests the sample corpus) and of another data directory."""
    collection = f"shared_{request.node.name[-40:].strip('_')}"
    owner, other = (
        make_settings(tmp_path / name, chroma_url=chroma_url, collection=collection, admin_password=PASSWORD)
        for name in ("owner", "other")
    )
    with open_index(owner, HashEmbeddings()) as idx:
        idx.ingest([ARTICLES])
    return owner, other


def test_another_data_dir_answers_and_exports_but_may_not_write(two_dirs, upload):
    owner, other = two_dirs
    with open_index(owner, HashEmbeddings()) as idx:
        stored, rows = idx.store.count(), idx.export_rows()
    with open_index(other, HashEmbeddings()) as idx:
        with pytest.raises(IndexBusy, match=f"written from the data directory .+:{owner.data_dir}: ingest and remove there"):
            idx.ingest([upload])
        with pytest.raises(IndexBusy):
            idx.remove_file(str(ARTICLES / "000_3f0149dc5789c7e7.txt"))
        assert idx.store.count() == stored  # its empty catalog deleted none of the owner's chunks
        assert "1867人" in build_chain(other, build_retriever(other, idx.store)).ask("东华村户籍人口有多少？").answer
        assert idx.export_rows() == rows
        assert idx.articles() == []  # the catalog is per data directory
    with open_index(owner, HashEmbeddings()) as idx:  # the owner, in another process or this one, goes on writing
        assert idx.ingest([upload]).chunks > 0 and idx.store.count() > stored


def test_the_cli_and_the_api_of_another_data_dir_refuse_writes(two_dirs, upload, monkeypatch, capsys):
    owner, other = two_dirs
    assert main([*cli_args(monkeypatch, other), "ingest", str(upload)]) == IndexBusy.exit_code
    assert capsys.readouterr().err.startswith(f"ingest: the collection {other.collection} on the Chroma server at")
    backend = Backend(other, HashEmbeddings())
    try:
        client = TestClient(build_server(backend))
        upload = client.post("/api/articles", files={"files": (upload.name, upload.read_bytes())},
                             headers={"X-Admin-Password": PASSWORD})  # fmt: skip
        assert upload.status_code == 409 and "written from the data directory" in upload.json()["detail"]
        assert not any(backend.uploads_dir.glob("*"))  # the upload was not kept
        assert client.get("/api/articles").json() == []
        assert "1867人" in client.post("/api/ask", json={"question": "东华村户籍人口有多少？"}).json()["answer"]
        assert "城中村" in client.post("/api/study", json={"topic": "城中村治理"}).json()["markdown"]
    finally:
        backend.close()
