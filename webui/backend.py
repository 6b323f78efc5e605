"""The index and answer chain shared by every browser session of one server."""

from __future__ import annotations

import re
import shutil
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from core.errors import IndexBusy
from index.loaders import LoadError, check_size, read_file
from index.ocr.reader import PageProgress
from index.pipeline import IngestReport
from index.search import SearchFilter
from index.service import Index
from policyqa.factory import build_chain, build_retriever, build_study_llm
from core.settings import Settings
from rag.chain import Event
from rag.types import Answer
from rag.question import analyse
from rag.study import StudyPack, build_study_pack

T = TypeVar("T")
# \w is Unicode, so Chinese names stay readable; everything else (/, \, quotes, $, spaces) becomes _.
_UNSAFE = re.compile(r"[^\w.-]+")
_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")
_NAME_MAX = 80


def _put_back(path: Path, earlier: bytes | None) -> None:
    """Return a file to what it held before, or remove it when it did not exist."""
    if earlier is None:
        path.unlink()
    else:
        path.write_bytes(earlier)


def safe_name(name: str) -> str:
    """A file name that stays inside the folder it is joined to: no path parts, no leading dot."""
    path = Path(name.replace("\\", "/")).name
    stem, suffix = Path(path).stem, Path(path).suffix.lower()
    stem = _UNSAFE.sub("_", stem).strip("._")[:_NAME_MAX] or "upload"
    return stem + (suffix if _SUFFIX.fullmatch(suffix) else "")


class Backend:
    """The index and chain of one server process, shared by the UI and the HTTP API.

    ``embeddings``, when given, replaces the configured model (tests use a fast deterministic one).
    Every catalog read and every index change runs on one dedicated thread.

    The catalog's SQLite connection may only be used by the thread that opened it, while UI
    events run on a pool of threads; one thread also keeps an upload and a removal from
    interleaving. Answering reads only Chroma and BM25 and runs on the caller's thread, at most
    ``settings.answer_workers`` at once.
    """

    def __init__(self, settings: Settings, embeddings: Embeddings | None = None) -> None:
        self.settings = settings
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policyqa-index")
        self._changes = 0
        self._index: Index = self._run(lambda: Index(settings, embeddings))
        self.retriever = build_retriever(settings, self._index.store)
        self.chain = build_chain(settings, self.retriever)
        # Answering is CPU-bound: past a few at once, more threads only share the cores and memory.
        self._answering = threading.BoundedSemaphore(settings.answer_workers)

    @property
    def uploads_dir(self) -> Path:
        return self.settings.uploads_dir

    def _run(self, task: Callable[[], T]) -> T:
        return self._worker.submit(task).result()

    @property
    def changes(self) -> tuple[int, str]:
        """The uploads and removals run here, and the store's version (which any process's change
        moves on): a listing read at other values may be out of date."""
        return self._changes, self._index.store.version()

    def _change(self, task: Callable[[], T]) -> T:
        """Run a change of the library on the index thread and count it, even one that failed part way."""

        def counted() -> T:
            try:
                return task()
            finally:
                self._changes += 1  # only ever on the index thread, so no two increments race

        return self._run(counted)

    def warm_up(self) -> None:
        """Load the embedding model, jieba and BM25 now: before the first user waits for them, and
        before concurrent first questions each load their own copy."""
        analyse("预热")  # jieba's dictionary
        self.retriever.retrieve("预热")  # the model and BM25; no generator: an LLM endpoint is not called

    def close(self) -> None:
        self._run(self._index.close)
        self._worker.shutdown()

    def is_empty(self) -> bool:
        return self._index.store.count() == 0

    def stream(self, question: str, history: Sequence[str], search_filter: SearchFilter | None) -> Iterator[Event]:
        with self._answering:
            yield from self.chain.events(question, history=list(history), search_filter=search_filter)

    def ask(self, question: str, history: Sequence[str] = (), search_filter: SearchFilter | None = None,
            k: int | None = None) -> Answer:  # fmt: skip
        with self._answering:
            return self.chain.ask(question, history=list(history), search_filter=search_filter, k=k)

    def study_pack(self, topic: str, doc_ids: Sequence[str]) -> StudyPack:
        store = self._index.store
        with self._answering:
            return build_study_pack(topic, self.retriever, store, self.settings.prompts_dir, doc_ids, llm=self._study_llm)

    @cached_property
    def _study_llm(self):
        """The chat model that writes discussion questions, when an LLM backend is configured; built once."""
        return build_study_llm(self.settings)

    def articles(self) -> list[dict]:
        return self._run(self._index.articles)

    def article(self, doc_id: str) -> Document | None:
        return self._run(lambda: self._index.catalog.document(doc_id))

    def chunk_counts(self) -> Counter[str]:
        # Chroma only, so not queued behind an upload on the catalog's thread.
        return self._index.store.chunk_counts()

    def ingest_upload(self, upload: Path, on_page: PageProgress | None = None) -> IngestReport:
        """Keep a copy of an uploaded file under a safe name and index it; a file of that name is replaced.

        A file too big or not what its name says is turned away before it is copied; one found
        unreadable (a scan only once OCR has read it) leaves the uploads folder as it was. OCR of a
        scan runs here, on the index thread: questions, answered on their callers' threads from
        Chroma and BM25, go on meanwhile. ``on_page`` hears of each page read.
        """
        try:
            check_size(upload, self.settings)
            read_file(upload)
        except LoadError as err:
            return IngestReport.refused(upload, str(err))
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        kept = self.uploads_dir / safe_name(upload.name)
        if kept.resolve().parent != self.uploads_dir.resolve():  # safe_name's promise, checked where it matters
            raise ValueError(f"upload name {upload.name!r} leaves the uploads folder")

        def copy_and_ingest() -> IngestReport:  # on the index thread, so a removal cannot race the copy
            earlier = kept.read_bytes() if kept.exists() else None
            shutil.copyfile(upload, kept)
            try:
                report = self._index.ingest([kept], on_page=on_page)
            except IndexBusy:  # refused before anything was written
                _put_back(kept, earlier)
                raise
            if report.failed:  # the uploads folder stays in step with the index
                _put_back(kept, earlier)
            return report

        return self._change(copy_and_ingest)

    def remove_document(self, doc_id: str) -> list[str]:
        """Remove the file holding an article, with every article of that file; returns their doc_ids."""
        return self._change(lambda: self._remove(doc_id))

    def _remove(self, doc_id: str) -> list[str]:
        catalog = self._index.catalog
        path = next((p for p in catalog.paths() if doc_id in catalog.file_doc_ids(p)), None)
        if path is None:
            return []
        removed = self._index.remove_file(path)
        if Path(path).parent == self.uploads_dir.resolve():
            Path(path).unlink(missing_ok=True)
        return removed
