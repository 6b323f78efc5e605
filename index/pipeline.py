"""Ingest: files in, chunks stored. Unchanged files cost nothing; a bad file never stops the batch."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from langchain_core.documents import Document

from index.catalog import Catalog
from index.chunking import chunk_document, drop_repeats
from index.clean import DAMAGE_RULES
from index.dedup import NearDuplicates, signature
from index.documents import build_documents
from index.loaders import LoadError, check_size, iter_files, load_file
from index.ocr.reader import PageProgress, PageReader
from index.pages import ocr_summary, provenance
from index.text.script import to_simplified
from index.store import ChunkStore
from index.types import Chunk
from core.settings import Settings


@dataclass
class IngestReport:
    files: int = 0
    files_unchanged: int = 0
    documents: int = 0
    duplicates: int = 0
    chunks: int = 0
    chunks_embedded: int = 0
    chunks_removed: int = 0
    pruned_files: int = 0
    # One entry per bad file: {"path", "reason", "kept"}. Failed files added nothing; repaired
    # ones were indexed after something was removed or skipped.
    failed: list[dict[str, str]] = field(default_factory=list)
    repaired: list[dict[str, str]] = field(default_factory=list)
    cleaning: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def refused(cls, path: Path, reason: str) -> IngestReport:
        """The report on one file turned away before it reached the index."""
        return cls(files=1, failed=[{"path": str(path), "reason": reason, "kept": "nothing"}])


def repoint_copies(catalog: Catalog, store: ChunkStore, gone: list[str]) -> dict[str, str]:
    """Keep copies of removed articles from pointing at a doc_id that no longer exists."""
    stories = catalog.repoint_copies(gone)
    store.set_story_ids(stories)
    return stories


def forget_file(catalog: Catalog, store: ChunkStore, path: str) -> tuple[list[str], dict[str, str]]:
    """Drop a file's articles and chunks: its doc_ids, and the new story id of each copy re-pointed.

    Chunks go first: killed after that, the catalog still names the file and the removal can run again.
    """
    doc_ids = catalog.file_doc_ids(path)
    store.delete(store.chunk_ids_of(doc_ids))
    catalog.remove_file(path)
    return doc_ids, repoint_copies(catalog, store, doc_ids)


def reconcile(catalog: Catalog, store: ChunkStore) -> bool:
    """Bring the stored chunks back in step with the catalog after a run was killed; True if anything changed.

    The catalog changes in transactions, Chroma does not, so the catalog is the truth: chunks of
    articles it does not hold go (a file killed mid-ingest is read again in full), copies of an
    article it no longer holds are re-pointed, and chunks take their article's story id.
    """
    stories = {doc_id: canonical for doc_id, (canonical, _) in catalog.minhashes().items()}
    dangling = sorted({story for story in stories.values() if story not in stories})
    stories.update(catalog.repoint_copies(dangling))
    orphans: set[str] = set()
    moved: dict[str, str] = {}
    for chunk_id, doc_id, story in store.chunk_stories():
        if doc_id not in stories:
            orphans.add(chunk_id)
        elif story != stories[doc_id]:
            moved[doc_id] = stories[doc_id]
    store.delete(orphans)
    store.set_story_ids(moved)
    return bool(dangling or orphans or moved)


@dataclass
class Ingestor:
    """Runs one ingest over a store and its catalog."""

    settings: Settings
    store: ChunkStore
    catalog: Catalog
    on_embedded: Callable[[int], None] | None = None
    on_page: PageProgress | None = None  # hears of every page OCR'd

    def run(self, paths: list[Path], prune: bool = False) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        changed = reconcile(self.catalog, self.store)
        self._ocr = PageReader(self.settings, self.on_page)
        self._dedup = NearDuplicates(self.catalog.minhashes(), self.settings.dedup_threshold)
        cleaning: Counter[str] = Counter()
        for path in self._existing(paths, report):
            report.files += 1
            try:
                changed |= self._ingest_file(path, report, cleaning)
            except LoadError as err:  # one bad file must not stop the batch
                self._fail(report, path, str(err))
            except (ValueError, OSError) as err:
                self._fail(report, path, f"{path.name}: {err}")
        if prune:
            changed |= self._prune(report)
        if changed or not self.store.bm25_in_step():
            self.store.sync_bm25()
        report.cleaning = dict(sorted(cleaning.items()))
        report.seconds = round(time.perf_counter() - started, 2)
        return report

    def _existing(self, paths: list[Path], report: IngestReport) -> list[Path]:
        missing = [p for p in paths if not p.exists()]
        report.failed += [{"path": str(p), "reason": f"{p}: no such file or folder", "kept": "nothing"} for p in missing]
        return iter_files([p for p in paths if p.exists()])

    def _fail(self, report: IngestReport, path: Path, reason: str) -> None:
        """Report a file that added nothing; an earlier version of it stays indexed."""
        earlier = len(self.catalog.file_doc_ids(str(path.resolve())))
        kept = f"its earlier version ({earlier} articles)" if earlier else "nothing"
        report.failed.append({"path": str(path), "reason": reason, "kept": kept})

    def _ingest_file(self, path: Path, report: IngestReport, cleaning: Counter[str]) -> bool:
        key = str(path.resolve())
        check_size(path, self.settings)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        if self.catalog.file_hash(key) == sha:
            report.files_unchanged += 1
            report.documents += len(self.catalog.file_doc_ids(key))
            return False
        base_id = self._base_id(path, key)
        docs: list[Document] = []
        sources = load_file(path, self._ocr)
        damage: Counter[str] = Counter()
        for source in sources:
            built, counts = build_documents(source, base_id)
            docs += built
            cleaning.update(counts)
            damage.update({rule: counts[rule] for rule in DAMAGE_RULES if counts.get(rule)})
        for doc in docs:
            if summary := ocr_summary(doc.metadata, self.settings.ocr_low_confidence):
                doc.metadata["ocr"] = summary
        signatures = [self._link_copy(d) for d in docs]
        every = [self._chunks(d) for d in docs]
        chunks = [c for d in every for c in drop_repeats(d)]
        notes = [*sources[0].notes, *(f"{rule} {n}" for rule, n in damage.items())]
        if repeats := sum(map(len, every)) - len(chunks):
            notes.append(f"{repeats} repeated passages dropped")
        old_ids = self.catalog.file_doc_ids(key)
        old = self.store.chunk_ids_of(old_ids)
        report.chunks_embedded += self.store.add(chunks, self.settings.embed_batch_size, self.on_embedded)
        stale = old - {c.chunk_id for c in chunks}
        self.store.delete(stale)
        self.catalog.replace_file(key, sha, base_id, docs, signatures)
        self._forget_dropped(old_ids, docs)
        report.documents += len(docs)
        report.duplicates += sum(1 for d in docs if d.metadata.get("canonical_doc_id"))
        report.chunks += len(chunks)
        report.chunks_removed += len(stale)
        report.warnings += [f"{path.name}: {w}" for d in docs[:1] for w in d.metadata["warnings"]]
        if notes:
            kept = f"{len(docs)} articles, {len(chunks)} passages"
            report.repaired.append({"path": str(path), "reason": f"{path.name}: {'; '.join(notes)}", "kept": kept})
        return True

    def _forget_dropped(self, old_ids: list[str], docs: list[Document]) -> None:
        """An article a changed file no longer has (x split into x#1 and x#2) may be another's canonical."""
        gone = sorted(set(old_ids) - {d.metadata["doc_id"] for d in docs})
        self._dedup.forget(gone, repoint_copies(self.catalog, self.store, gone))

    def _base_id(self, path: Path, key: str) -> str:
        """What the file's articles are named after: its stem, unless another file took it first.

        Same-named files in two folders would otherwise overwrite each other's articles. The
        catalog keeps the choice, so a file keeps its ids whichever of the two changes later.
        """
        known = self.catalog.base_id(key)
        if known is not None:
            return known
        if not self.catalog.has_base_id(path.stem):
            return path.stem
        return f"{path.stem}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"

    def _link_copy(self, doc: Document):
        values = signature(to_simplified(doc.page_content))
        doc_id = doc.metadata["doc_id"]
        canonical = self._dedup.canonical_for(doc_id, values)
        doc.metadata["canonical_doc_id"] = canonical
        self._dedup.add(doc_id, canonical or doc_id, values)
        return values

    def _chunks(self, doc: Document) -> list[Chunk]:
        chunks = chunk_document(doc, self.settings.chunk_min_chars, self.settings.chunk_max_chars)
        canonical = doc.metadata.get("canonical_doc_id")
        if canonical:
            chunks = [replace(c, canonical_doc_id=canonical) for c in chunks]
        if doc.metadata.get("page_starts"):
            low = self.settings.ocr_low_confidence
            chunks = [replace(c, provenance=provenance(doc.metadata, c.text, c.start, low)) for c in chunks]
        return chunks

    def _prune(self, report: IngestReport) -> bool:
        gone = [p for p in self.catalog.paths() if not Path(p).exists()]
        for path in gone:
            self._dedup.forget(*forget_file(self.catalog, self.store, path))
        report.pruned_files = len(gone)
        return bool(gone)
