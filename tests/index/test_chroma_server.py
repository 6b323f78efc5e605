"""POLICYQA_CHROMA_URL: the store against a real `chroma run` on loopback, data surviving a restart."""

from __future__ import annotations

import pytest

from core.errors import StoreUnreachable
from index.service import open_index
from policyqa.cli import main
from policyqa.factory import build_chain, build_retriever
from tests.conftest import ARTICLES, chroma_server, cli_args, free_port, make_settings
from tests.fakes import HashEmbeddings

QUESTION = "东华村户籍人口有多少？"


def ask(settings) -> tuple[str, int]:
    with open_index(settings, HashEmbeddings()) as idx:
        chain = build_chain(settings, build_retriever(settings, idx.store))
        return chain.ask(QUESTION).answer, idx.store.count()


def test_ingest_and_ask_through_a_chroma_server_survive_its_restart(tmp_path):
    port = free_port()
    settings = make_settings(tmp_path / "data", chroma_url=f"http://127.0.0.1:{port}")
    with chroma_server(tmp_path / "chroma", port):
        with open_index(settings, HashEmbeddings()) as idx:
            report = idx.ingest([ARTICLES])
        answer, count = ask(settings)
        assert "1867人" in answer and count == report.chunks > 0
        assert not settings.chroma_dir.exists()  # the vectors went to the server, not the embedded store
    with pytest.raises(StoreUnreachable, match=f"127.0.0.1:{port}"):
        ask(settings)
    with chroma_server(tmp_path / "chroma", port):
        assert ask(settings) == (answer, count)


def test_a_process_on_another_data_dir_follows_ingests_through_the_server(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    writer = make_settings(tmp_path / "writer", chroma_url=url)
    reader = make_settings(tmp_path / "reader", chroma_url=url, retriever="bm25")
    with chroma_server(tmp_path / "chroma", port), open_index(reader, HashEmbeddings()) as idx:
        chain = build_chain(reader, build_retriever(reader, idx.store))
        assert chain.ask(QUESTION).refused  # nothing stored yet
        with open_index(writer, HashEmbeddings()) as writing:
            writing.ingest([ARTICLES])
        answer = chain.ask(QUESTION)  # the same chain, BM25 only: it followed the writer's ingest
        assert "1867人" in answer.answer
        assert sorted(idx.store.bm25_ids()) == sorted(c.chunk_id for c in idx.store.chunks())
        assert not reader.bm25_dir.exists()  # rebuilt from the server in memory, never written here


def test_export_gives_the_rows_of_the_embedded_store(fake_index, server_fake_index):
    rows = server_fake_index.export_rows()
    assert len(rows) == server_fake_index.first_report.chunks > 0 and rows == fake_index.export_rows()


def test_policyqa_export_writes_the_same_file_in_both_modes(fake_index, server_fake_index, monkeypatch, tmp_path):
    def export(index, out):
        assert main([*cli_args(monkeypatch, index.settings), "export", str(out)]) == 0
        return out.read_text(encoding="utf-8")

    served = export(server_fake_index, tmp_path / "served.jsonl")
    assert len(served.splitlines()) == server_fake_index.store.count()
    assert served == export(fake_index, tmp_path / "embedded.jsonl")
