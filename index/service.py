"""The index as the rest of the program sees it: ingest, read back, describe."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from index.catalog import Catalog
from index.embedding import build_embeddings, lazy_embeddings
from index.store import ChunkStore
from core.errors import IndexBusy
from core.settings import Settings

if TYPE_CHECKING:  # the ingest machinery (loaders, cleaning, MinHash, OCR) loads only when something is written
    from index.ocr.reader import PageProgress
    from index.backup import BackupSummary
    from index.pipeline import IngestReport


class Index:
    """``embeddings``, when given, replaces the configured model (tests use a fast deterministic one)."""

    def __init__(self, settings: Settings, embeddings: Embeddings | None = None) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # The model loads only when something must be embedded: re-ingesting unchanged files stays instant.
        if embeddings is None:
            embeddings = lazy_embeddings(lambda: build_embeddings(settings))
        self.store = ChunkStore(settings, embeddings)
        self.catalog = Catalog(settings.manifest_path, settings.dedup_threshold)

    def close(self) -> None:
        self.catalog.close()

    def drop(self) -> None:
        """Delete the collection, its BM25 files and its catalog; the index is closed."""
        self.store.drop()
        self.close()
        self.settings.manifest_path.unlink(missing_ok=True)

    def ingest(
        self, paths: list[Path], prune: bool = False, progress: bool = False, on_page: PageProgress | None = None
    ) -> IngestReport:
        """``progress`` shows bars on stderr (documents, a JSON Lines record or another file each, with
        rate, ETA and chunks embedded; pages OCR'd, one bar per scan);
        ``on_page`` hears of each page OCR'd."""
        from index.pipeline import Ingestor

        bars: list[tqdm] = []

        def page_read(done: int, total: int) -> None:
            if progress:
                if done == 1:
                    bars.append(tqdm(desc="OCR", unit="page", total=total))
                bars[-1].update(1)
                if done == total:
                    bars[-1].close()
            if on_page:
                on_page(done, total)

        with self._writing(), tqdm(desc="ingest", unit="doc", disable=not progress) as bar:
            return Ingestor(self.settings, self.store, self.catalog, bar, page_read).run(paths, prune)

    def remove_file(self, path: str) -> list[str]:
        """Forget one ingested file (its catalog path): its articles and their chunks. Returns their doc_ids.

        Copies of those articles are re-pointed at one that remains. A removal killed part way
        is finished by the next removal or ingest.
        """
        from index.pipeline import forget_file, reconcile_stopped

        with self._writing():
            reconcile_stopped(self.catalog, self.store)
            doc_ids = forget_file(self.catalog, self.store, path)
            self.store.sync_bm25()
        return doc_ids

    def backup(self, out: Path) -> BackupSummary:
        """The whole library in one archive at ``out``; under the write lock, so it is one consistent state."""
        from index.backup import write_backup

        with self._writing():
            return write_backup(self.settings, self.store, self.catalog, out)

    def restore(self, archive: Path, force: bool = False) -> BackupSummary:
        """Replace this library, which must be empty unless ``force``, by the one in a backup archive."""
        from index.backup import restore_backup

        with self._writing():
            return restore_backup(self.settings, self.store, self.catalog, archive, force)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time per data_dir, and one data_dir per collection on a Chroma server:
        another process's ingest or removal stops at once."""
        lock = FileLock(self.settings.write_lock_path)
        try:
            lock.acquire(blocking=False)
        except Timeout:
            raise IndexBusy(
                f"another process is changing the index at {self.settings.data_dir}; run again when it has finished"
            ) from None
        try:
            self.store.claim_writer(self.catalog.identity(), f"{socket.gethostname()}:{self.settings.data_dir.resolve()}")
            yield
        finally:
            lock.release()

    def documents(self) -> list[Document]:
        return self.catalog.documents()

    def articles(self) -> list[dict]:
        return self.catalog.articles()

    def export_rows(self) -> list[dict]:
        """One row per stored chunk, in document order, so two exports of one index are identical."""
        chunks = sorted(self.store.chunks(), key=lambda c: (c.doc_id, c.start))
        return [
            {"chunk_id": c.chunk_id, "doc_id": c.doc_id, "title": c.title, "date": c.date,
             "source": c.source, "path": c.path, "text": c.text}
            for c in chunks
        ]

    def stats(self) -> dict:
        articles = self.articles()
        return {
            "data_dir": str(self.settings.data_dir),
            "files": len(self.catalog.paths()),
            "documents": len(articles),
            "near_copies": sum(1 for a in articles if a.get("canonical_doc_id")),
            "chunks": self.store.count(),
            "sources": dict(Counter(a.get("source") or "?" for a in articles).most_common()),
        }


@contextmanager
def open_index(settings: Settings, embeddings: Embeddings | None = None) -> Iterator[Index]:
    idx = Index(settings, embeddings)
    try:
        yield idx
    finally:
        idx.close()
