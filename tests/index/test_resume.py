"""A bulk ingest stopped part way (Ctrl-C, SIGKILL) is resumed by the next run: it ends equal to
an uninterrupted one and embeds only what the stopped run had not stored."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import index.pipeline
from index.service import open_index
from tests.conftest import ARTICLES, make_settings
from tests.fakes import HashEmbeddings
from tests.index.crash_worker import BATCH
from tests.index.test_crash_safety import KILLED, Worker, state

RECORDS = 20


@pytest.fixture(scope="module")
def bulk(tmp_path_factory) -> Path:
    """A JSON Lines collection: the sample articles again and again, each under its own number."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(ARTICLES.glob("*.txt"))]
    path = tmp_path_factory.mktemp("bulk") / "bulk.jsonl"
    records = [
        {"doc_id": f"d{i}", "title": f"第{i}号", "text": f"第{i}号通知。\n{texts[i % len(texts)]}"} for i in range(RECORDS)
    ]
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def clean(bulk, tmp_path_factory) -> tuple[dict, int]:
    """The state and chunks embedded of an ingest never interrupted."""
    data_dir = tmp_path_factory.mktemp("clean")
    with open_index(make_settings(data_dir), HashEmbeddings()) as idx:
        embedded = idx.ingest([bulk]).chunks_embedded
    return state(data_dir), embedded


class CtrlC(HashEmbeddings):
    """Raises KeyboardInterrupt, as Python does on SIGINT, when asked for its ``calls``-th batch."""

    def __init__(self, calls: int) -> None:
        super().__init__()
        self.calls = calls
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls -= 1
        if self.calls < 0:
            raise KeyboardInterrupt
        self.embedded += len(texts)
        return super().embed_documents(texts)


def resume(data_dir: Path, bulk: Path, clean: tuple[dict, int], stored: int) -> None:
    """Run the ingest again: it embeds what was not stored and ends equal to the clean ingest."""
    with open_index(make_settings(data_dir), HashEmbeddings()) as idx:
        report = idx.ingest([bulk])
    assert report.chunks_embedded == clean[1] - stored
    assert state(data_dir) == clean[0]


def test_a_bulk_ingest_stopped_by_ctrl_c_resumes_without_embedding_again(bulk, clean, tmp_path, monkeypatch):
    monkeypatch.setattr(index.pipeline, "_ARTICLE_BATCH", 8)  # several batches of articles, each stored in turn
    settings = make_settings(tmp_path, embed_batch_size=BATCH)
    stopping = CtrlC(calls=20)
    with open_index(settings, stopping) as idx:
        with pytest.raises(KeyboardInterrupt):
            idx.ingest([bulk])
        stored = idx.store.count()
        assert 0 < stored == stopping.embedded < clean[1]
        assert not idx.articles()  # the catalog has not taken the file yet
    resume(tmp_path, bulk, clean, stored)


def test_a_bulk_ingest_killed_resumes_without_embedding_again(bulk, clean, tmp_path) -> None:
    worker = Worker()
    try:
        _, seconds = worker.run("ingest", tmp_path / "timed", bulk)
        rng = random.Random(7)
        for attempt in range(10):  # until a kill lands while chunks are being stored
            data_dir = tmp_path / f"killed-{attempt}"
            status, _ = worker.run("ingest", data_dir, bulk, kill_after=rng.uniform(0.3, 0.8) * seconds)
            with open_index(make_settings(data_dir), HashEmbeddings()) as idx:
                stored, articles = idx.store.count(), idx.articles()
            if status == KILLED and 0 < stored < clean[1]:
                break
        else:
            pytest.fail("no kill landed while chunks were being stored")
    finally:
        worker.close()
    assert not articles
    resume(data_dir, bulk, clean, stored)


def test_the_bar_counts_the_runs_documents_with_rate_and_chunks_embedded(bulk, tmp_path, capsys) -> None:
    with open_index(make_settings(tmp_path), HashEmbeddings()) as idx:
        report = idx.ingest([bulk, ARTICLES / "000_3f0149dc5789c7e7.txt"], progress=True)
    last = capsys.readouterr().err.strip().split("\r")[-1]
    assert f"{RECORDS + 1}/{RECORDS + 1}" in last and "doc/s" in last and f"embedded={report.chunks_embedded}" in last


def test_a_json_lines_collection_is_held_to_the_size_limit_record_by_record(tmp_path) -> None:
    records = [{"doc_id": "short", "text": "东莞市东城街道召开会议。"}, {"doc_id": "long", "text": "党建引领。" * 200}]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    with open_index(make_settings(tmp_path / "data", max_file_mb=0.002), HashEmbeddings()) as idx:
        report = idx.ingest([path])
        assert path.stat().st_size > 2000 and [a["doc_id"] for a in idx.articles()] == ["short"]
    assert "1 record(s) over the 0.002 MB limit skipped" in report.repaired[0]["reason"]
