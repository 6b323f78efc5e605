"""SIGKILL an ingest or a removal at seeded random moments: the next run completes and the
index equals one that was never interrupted (no duplicate chunk, no lost article, Chroma,
BM25 and the catalog in step)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import replace
from pathlib import Path

import pytest

from index.catalog import Catalog
from index.pipeline import reconcile
from index.service import open_index
from index.store import ChunkStore
from tests.conftest import ARTICLES, NEW_ARTICLE, REPO, make_settings
from tests.fakes import HashEmbeddings

SEED = 13
TRIALS = 20
KILLED = -signal.SIGKILL


class Worker:
    """tests/index/crash_worker.py, run once for the whole module."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.index.crash_worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO, env=env,
        )

    def run(self, *command: str | Path, kill_after: float | None = None) -> tuple[int, float]:
        """The run's exit status (KILLED when the kill landed first) and its seconds."""
        self.process.stdin.write(json.dumps([str(part) for part in command]) + "\n")
        self.process.stdin.flush()
        pid = int(self.process.stdout.readline())
        started = time.perf_counter()
        if kill_after is not None:
            time.sleep(kill_after)
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        status = json.loads(self.process.stdout.readline())["status"]
        return status, time.perf_counter() - started

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def worker():
    worker = Worker()
    yield worker
    worker.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Two sample articles and a repost of one of them, so copies and canonicals are in play."""
    folder = tmp_path_factory.mktemp("corpus")
    for path in sorted(ARTICLES.glob("*.txt"))[:2]:
        shutil.copy(path, folder / path.name)
    shutil.copy(folder / "000_3f0149dc5789c7e7.txt", folder / "repost.txt")
    return folder


def state(data_dir: Path) -> dict:
    """Everything a reader sees; raises if Chroma, BM25 and the catalog disagree."""
    with open_index(make_settings(data_dir), HashEmbeddings()) as idx:
        rows = idx.export_rows()
        ids = [row["chunk_id"] for row in rows]
        assert len(ids) == len(set(ids)), "duplicate chunk"
        assert sorted(idx.store.bm25_ids()) == sorted(ids), "BM25 out of step with Chroma"
        assert {a["doc_id"] for a in idx.articles()} == {row["doc_id"] for row in rows}, "catalog out of step"
        assert len(idx.store.search_dense("党建引领基层治理", 5)) == 5
        stories = sorted((c.chunk_id, c.story_id) for c in idx.store.chunks())
        return {"export": rows, "articles": idx.articles(), "stories": stories}


def kill_and_resume(worker: Worker, tmp_path: Path, start: Path, command: tuple, reference: float, clean: dict) -> None:
    """Run ``(kind, *args)`` on copies of the index at ``start``, each SIGKILLed at a seeded random
    moment within ``reference`` seconds, then run it again to its end: each copy must equal ``clean``."""
    kind, *args = command
    rng = random.Random(SEED)
    kills = 0
    for trial in range(TRIALS):
        data_dir = tmp_path / f"trial-{trial}"
        shutil.copytree(start, data_dir)
        status, _ = worker.run(kind, data_dir, *args, kill_after=rng.uniform(0, reference))
        assert status in (0, KILLED)
        kills += status == KILLED
        assert worker.run(kind, data_dir, *args)[0] == 0
        assert state(data_dir) == clean, f"trial {trial}"
    assert kills >= TRIALS // 2  # most kills landed inside the run, not after it


def test_an_ingest_killed_anywhere_is_completed_by_the_next_one(worker, corpus, tmp_path) -> None:
    # Trials start from an index that holds one article already, so BM25 exists and can go stale.
    assert worker.run("ingest", tmp_path / "base", corpus / "001_3e734db6665a666c.txt")[0] == 0
    shutil.copytree(tmp_path / "base", tmp_path / "clean")
    status, seconds = worker.run("ingest", tmp_path / "clean", corpus)
    assert status == 0
    clean = state(tmp_path / "clean")
    assert len(clean["articles"]) >= 3 and any(c != d for d, c in clean["stories"])
    assert worker.run("ingest", tmp_path / "scratch", corpus)[0] == 0
    assert state(tmp_path / "scratch") == clean
    kill_and_resume(worker, tmp_path, tmp_path / "base", ("ingest", corpus), seconds, clean)


def test_a_removal_killed_anywhere_is_completed_by_running_it_again(worker, corpus, tmp_path) -> None:
    assert worker.run("ingest", tmp_path / "full", corpus)[0] == 0
    canonical = str((corpus / "000_3f0149dc5789c7e7.txt").resolve())  # repost.txt is its copy
    shutil.copytree(tmp_path / "full", tmp_path / "clean")
    status, seconds = worker.run("remove", tmp_path / "clean", canonical)
    assert status == 0
    clean = state(tmp_path / "clean")
    assert "000_3f0149dc5789c7e7" not in {a["doc_id"] for a in clean["articles"]}
    kill_and_resume(worker, tmp_path, tmp_path / "full", ("remove", canonical), seconds, clean)


# The narrow windows a random kill rarely hits, each made on purpose.


class Killed(BaseException):
    """Ends a run where a kill would, past every handler."""


def killed(*args) -> None:
    raise Killed


def test_an_ingest_killed_before_syncing_bm25_is_caught_up_by_an_unchanged_one(tmp_path, corpus, monkeypatch) -> None:
    with open_index(make_settings(tmp_path), HashEmbeddings()) as idx:
        idx.ingest([corpus / "001_3e734db6665a666c.txt"])
        assert idx.store.bm25_in_step()
        monkeypatch.setattr(ChunkStore, "sync_bm25", killed)  # the run dies where BM25 would take its chunks in
        with pytest.raises(Killed):
            idx.ingest([corpus])
        monkeypatch.undo()
    with open_index(make_settings(tmp_path), HashEmbeddings()) as idx:
        assert not idx.store.bm25_in_step()  # the killed run's mark says so, without reading every chunk
        assert idx.ingest([corpus]).files_unchanged == 3
        assert idx.store.bm25_in_step()
        assert sorted(idx.store.bm25_ids()) == sorted(r["chunk_id"] for r in idx.export_rows())


def test_chunks_and_copies_the_catalog_no_longer_backs_are_reconciled(tmp_path, corpus) -> None:
    with open_index(make_settings(tmp_path), HashEmbeddings()) as idx:
        idx.ingest([corpus])
        canonical = str((corpus / "000_3f0149dc5789c7e7.txt").resolve())
        idx.catalog.remove_file(canonical)  # killed right after the catalog's transaction
        assert reconcile(idx.catalog, idx.store)
        assert {c.doc_id for c in idx.store.chunks()} == {a["doc_id"] for a in idx.articles()}
        assert {c.story_id for c in idx.store.chunks()} == {a["doc_id"] for a in idx.articles()}
        assert not reconcile(idx.catalog, idx.store)


# Metadata-only writes: a passage's text stays, its story id changes (set_story_ids), or every field
# but the embedded text does (add, which then refreshes the metadata instead of embedding).
METADATA_WRITES = {
    "set_story_ids": lambda store, doc_id: store.set_story_ids({doc_id: "elsewhere"}),
    "add": lambda store, doc_id: store.add([replace(c, canonical_doc_id="elsewhere") for c in store.chunks_of([doc_id])]),
}


@pytest.mark.parametrize("write", METADATA_WRITES)
def test_a_run_killed_after_a_metadata_only_write_is_repaired_by_the_next(tmp_path, corpus, write) -> None:
    with open_index(make_settings(tmp_path), HashEmbeddings()) as idx:
        idx.ingest([corpus])
    clean = state(tmp_path)
    with open_index(make_settings(tmp_path), HashEmbeddings()) as idx:
        METADATA_WRITES[write](idx.store, "001_3e734db6665a666c")  # and the run is killed here
    assert state(tmp_path) != clean
    with open_index(make_settings(tmp_path), HashEmbeddings()) as idx:
        assert idx.ingest([corpus]).files_unchanged == 3
    assert state(tmp_path) == clean


def test_a_library_every_writer_finished_is_not_read_whole_to_add_or_remove(tmp_path, corpus, monkeypatch) -> None:
    with open_index(make_settings(tmp_path), HashEmbeddings()) as idx:
        idx.ingest([corpus])
    reads = []
    monkeypatch.setattr(ChunkStore, "chunk_stories", lambda *args: reads.append("chunk_stories") or iter(()))
    monkeypatch.setattr(Catalog, "minhashes", lambda *args: reads.append("minhashes") or {})
    (tmp_path / "new.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    repost = tmp_path / "again.txt"
    repost.write_text((corpus / "001_3e734db6665a666c.txt").read_text(encoding="utf-8"), encoding="utf-8")
    with open_index(make_settings(tmp_path), HashEmbeddings()) as idx:
        assert idx.ingest([tmp_path / "new.txt", repost]).chunks > 0
        assert idx.catalog.document("again").metadata["canonical_doc_id"] == "001_3e734db6665a666c"
        idx.remove_file(str(repost.resolve()))
        assert reads == []
        monkeypatch.setattr(ChunkStore, "sync_bm25", killed)
        with pytest.raises(Killed):
            idx.ingest([repost])
        monkeypatch.undo()
        monkeypatch.setattr(ChunkStore, "chunk_stories", lambda *args: reads.append("chunk_stories") or iter(()))
        idx.ingest([repost])
    assert reads == ["chunk_stories"]  # the stopped run's mark: the next one checked every chunk
