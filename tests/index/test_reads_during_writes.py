"""Questions keep being answered, without an error, while a bulk ingest and removals change the
library: from threads of the serving process, and from another process sharing the data dir.

Bounded: the writers do a fixed amount of work and the readers stop when the writers have
finished (or after a fixed number of rounds); nothing here is timed.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


from core.settings import Settings
from index.service import open_index
from policyqa.factory import build_chain, build_retriever
from tests.conftest import ARTICLES, REPO, free_port, make_settings
from tests.fakes import HashEmbeddings
from tests.index.test_chroma_server import chroma_server
from webui.backend import Backend

# Facts of article 002, which no writer removes; every bulk article repeats sample paragraphs.
STEADY = {"东华村户籍人口有多少？": "1867人", "东华村在册党员有多少人？": "118人"}
REMOVED = ARTICLES / "000_3f0149dc5789c7e7.txt"
BULK_FILES = 16
CYCLES = 8
CYCLED = ARTICLES / "001_3e734db6665a666c.txt"
MAX_ROUNDS = 400  # per reader: bounds the test should a writer hang

# Another process: a bulk ingest, removals, then a removal and re-ingest of one article over and
# over. Every one of these publishes a new BM25 version, which the readers load as it is swapped in.
WRITER = """
import sys
from pathlib import Path
from core.settings import Settings
from index.service import open_index
from tests.fakes import HashEmbeddings
data_dir, url, bulk, cycled, cycles, *removed = sys.argv[1:]
settings = Settings(data_dir=Path(data_dir), chroma_url=url or None, embed_batch_size=8)
with open_index(settings, HashEmbeddings()) as idx:
    idx.ingest([Path(bulk)])
    for path in removed:
        idx.remove_file(path)
    for _ in range(int(cycles)):
        idx.remove_file(cycled)
        idx.ingest([Path(cycled)])
"""


def bulk_corpus(folder: Path) -> Path:
    """Articles made of sample paragraphs in seeded random order: many chunks, no near-copies."""
    paragraphs = [p for a in sorted(ARTICLES.glob("*.txt")) for p in a.read_text(encoding="utf-8").split("\n") if p]
    rng = random.Random(6)
    folder.mkdir()
    for n in range(BULK_FILES):
        picked = rng.sample(paragraphs, 12)
        text = f"第{n}号工作简报\n" + "\n".join(f"（{n}-{i}）{p}" for i, p in enumerate(picked))
        (folder / f"brief_{n:02d}.txt").write_text(text, encoding="utf-8")
    return folder


def ask_until(done: Callable[[], bool], ask: Callable[[str], object], errors: list[str], answers: list) -> None:
    """One reader: the steady questions, round after round, until ``done`` (at least one round)."""
    for _ in range(MAX_ROUNDS):
        for question, fact in STEADY.items():
            try:
                answer = ask(question)
            except Exception as err:  # noqa: BLE001 -- any error at all is what the test looks for
                errors.append(f"{question}: {type(err).__name__}: {err}")
                continue
            answers.append((fact, answer))
        if done():
            return


def list_until(done: Callable[[], bool], backend: Backend, errors: list[str]) -> None:
    """A reader of the catalog (SQLite) while the writer changes it: the library listing."""
    for _ in range(MAX_ROUNDS):
        try:
            assert backend.articles()
        except Exception as err:  # noqa: BLE001
            errors.append(f"listing: {type(err).__name__}: {err}")
        if done():
            return


def assert_answered(errors: list[str], answers: list, readers: int) -> None:
    assert errors == []
    assert len(answers) >= readers * len(STEADY)
    wrong = [(fact, a.answer) for fact, a in answers if a.refused or fact not in a.answer]
    assert wrong == []


@contextmanager
def readers(done: Callable[[], bool], *asks: Callable[[str], object]) -> Iterator[tuple[list, list]]:
    """One thread per ``ask``, each asking until ``done``."""
    errors: list[str] = []
    answers: list = []
    threads = [threading.Thread(target=ask_until, args=(done, ask, errors, answers)) for ask in asks]
    for thread in threads:
        thread.start()
    try:
        yield errors, answers
    finally:
        for thread in threads:
            thread.join(timeout=600)


def fresh_answers(settings: Settings) -> dict[str, str]:
    """What a process opened after the writes answers."""
    with open_index(settings, HashEmbeddings()) as idx:
        chain = build_chain(settings, build_retriever(settings, idx.store))
        return {q: chain.ask(q).answer for q in STEADY}


def test_threads_answer_while_another_thread_ingests_in_bulk_and_removes(tmp_path):
    settings = make_settings(tmp_path / "data", embed_batch_size=8)
    with open_index(settings, HashEmbeddings()) as idx:
        idx.ingest([ARTICLES])
    bulk = bulk_corpus(tmp_path / "bulk")
    backend = Backend(settings, HashEmbeddings())
    finished = threading.Event()

    def write() -> None:
        try:
            with open_index(settings, HashEmbeddings()) as idx:  # as `policyqa ingest` would, beside the server
                idx.ingest([bulk])
                idx.remove_file(str((bulk / "brief_00.txt").resolve()))
            removed = next(a["doc_id"] for a in backend.articles() if Path(a["path"]) == REMOVED.resolve())
            backend.remove_document(removed)  # through the server itself: its own store changes under the readers
        finally:
            finished.set()

    try:
        with readers(finished.is_set, backend.ask, backend.ask) as (errors, answers):
            write()
            backend.articles()  # the catalog is read while it changes, too
        assert_answered(errors, answers, readers=2)
        after = {q: backend.ask(q).answer for q in STEADY}
        assert after == fresh_answers(settings)
        assert {Path(a["path"]).name for a in backend.articles()} >= {f"brief_{BULK_FILES - 1:02d}.txt"}
        assert REMOVED.name not in {Path(a["path"]).name for a in backend.articles()}
    finally:
        backend.close()


def run_writer(settings: Settings, bulk: Path, removed: list[Path]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(settings.data_dir), settings.chroma_url or "", str(bulk),
         str(CYCLED.resolve()), str(CYCLES), *(str(p.resolve()) for p in removed)],
        cwd=REPO, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def answer_beside_a_writer_process(settings: Settings, bulk: Path) -> None:
    with open_index(settings, HashEmbeddings()) as idx:
        idx.ingest([ARTICLES])
    backend = Backend(settings, HashEmbeddings())
    bm25_only = settings.model_copy(update={"retriever": "bm25"})  # BM25 alone: a mixed-up reload shows
    try:
        with open_index(bm25_only, HashEmbeddings()) as idx:
            by_bm25 = build_chain(bm25_only, build_retriever(bm25_only, idx.store))
            writer = run_writer(settings, bulk, [REMOVED, bulk / "brief_00.txt"])
            done = lambda: writer.poll() is not None  # noqa: E731
            with readers(done, backend.ask, by_bm25.ask) as (errors, answers):
                list_until(done, backend, errors)
        assert writer.wait(timeout=600) == 0, writer.stderr.read()[-3000:]
        assert_answered(errors, answers, readers=2)
        assert {q: backend.ask(q).answer for q in STEADY} == fresh_answers(settings)
        kept = {p.name for p in ARTICLES.glob("*.txt")} - {REMOVED.name} | {p.name for p in bulk.iterdir()} - {"brief_00.txt"}
        assert {Path(a["path"]).name for a in backend.articles()} == kept
    finally:
        backend.close()


def test_a_server_answers_while_another_process_ingests_through_a_chroma_server(tmp_path):
    port = free_port()
    settings = make_settings(tmp_path / "data", chroma_url=f"http://127.0.0.1:{port}")
    with chroma_server(tmp_path / "chroma", port):
        answer_beside_a_writer_process(settings, bulk_corpus(tmp_path / "bulk"))


def test_a_server_answers_while_another_process_ingests_into_embedded_chroma(tmp_path):
    answer_beside_a_writer_process(make_settings(tmp_path / "data"), bulk_corpus(tmp_path / "bulk"))
