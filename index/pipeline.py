"""Ingest: files in, chunks stored. Unchanged files cost nothing; a bad file never stops the batch."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from langchain_core.documents import Document
from tqdm import tqdm

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
from index.types import Chunk, SourceText
from core.settings import Settings


# Articles cleaned, chunked and stored at a time: a 68k-article JSON Lines file is never all chunks
# in memory, and the progress bar moves every few hundred articles.
_ARTICLE_BATCH = 256
_COLLECTION = ".jsonl"  # a file of many articles, not one article


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


@dataclass
class _Stored:
    """What storing one file's articles produced, batch after batch."""

    docs: list[Document] = field(default_factory=list)
    signatures: list[np.ndarray] = field(default_factory=list)
    chunk_ids: set[str] = field(default_factory=set)
    repeats: int = 0  # repeated passages dropped
    damage: Counter[str] = field(default_factory=Counter)


def _expected_documents(path: Path) -> int:
    """How many documents a file will give, for the progress bar: a JSON Lines file's lines, else one."""
    if path.suffix.lower() != _COLLECTION:
        return 1
    try:
        return sum(1 for line in path.read_bytes().splitlines() if line.strip()) or 1
    except OSError:
        return 1


def repoint_copies(catalog: Catalog, store: ChunkStore, gone: list[str]) -> None:
    """Keep copies of removed articles from pointing at a doc_id that no longer exists."""
    store.set_story_ids(catalog.repoint_copies(gone))


def forget_file(catalog: Catalog, store: ChunkStore, path: str) -> list[str]:
    """Drop a file's articles and chunks; returns their doc_ids.

    Chunks go first: killed after that, the catalog still names the file and the removal can run again.
    """
    store.begin_write()  # before the catalog too: an article without chunks may still have copies to re-point
    doc_ids = catalog.file_doc_ids(path)
    store.delete(store.chunk_ids_of(doc_ids))
    catalog.remove_file(path)
    repoint_copies(catalog, store, doc_ids)
    return doc_ids


def reconcile_stopped(catalog: Catalog, store: ChunkStore) -> bool:
    """``reconcile`` if a writer stopped part way; a library every writer finished is not read whole."""
    return _stopped(store) and reconcile(catalog, store)


def _stopped(store: ChunkStore) -> bool:
    """A writer stopped before it finished (its pending mark stands), or BM25 lags the published
    version: only then may chunks and catalog disagree."""
    return not store.bm25_in_step()


def reconcile(catalog: Catalog, store: ChunkStore) -> bool:
    """Bring the stored chunks back in step with the catalog after a run was killed; True if anything changed.

    The catalog changes in transactions, Chroma does not, so the catalog is the truth: chunks of
    articles it does not hold go, copies of an article it no longer holds are re-pointed, and
    chunks take their article's story id.
    """
    changed, orphans = _repair(catalog, store)
    store.delete(set(orphans))
    return changed or bool(orphans)


def _repair(catalog: Catalog, store: ChunkStore) -> tuple[bool, dict[str, str]]:
    """Re-point copies and story ids as the catalog says (True if any moved), and return the
    chunks (id -> doc_id) of articles the catalog does not hold, without deleting them."""
    stories = catalog.stories()
    dangling = sorted({story for story in stories.values() if story not in stories})
    stories.update(catalog.repoint_copies(dangling))
    orphans: dict[str, str] = {}
    moved: dict[str, str] = {}
    for chunk_id, doc_id, story in store.chunk_stories():
        if doc_id not in stories:
            orphans[chunk_id] = doc_id
        elif story != stories[doc_id]:
            moved[doc_id] = stories[doc_id]
    store.set_story_ids(moved)
    return bool(dangling or moved), orphans


@dataclass
class Ingestor:
    """Runs one ingest over a store and its catalog.

    Resumable: chunks stored by a run that was stopped (Ctrl-C, SIGKILL) before the catalog took
    their articles stay until this run ends, so re-reading the file embeds only what is missing;
    whatever no file claimed by then goes.
    """

    settings: Settings
    store: ChunkStore
    catalog: Catalog
    bar: tqdm = field(default_factory=lambda: tqdm(disable=True))  # documents done, of all expected
    on_page: PageProgress | None = None  # hears of every page OCR'd

    def run(self, paths: list[Path], prune: bool = False) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        changed, orphans = _repair(self.catalog, self.store) if _stopped(self.store) else (False, {})
        self._ocr = PageReader(self.settings, self.on_page)
        cleaning: Counter[str] = Counter()
        self._chunks_embedded = 0
        files = self._existing(paths, report)
        expected = [_expected_documents(path) for path in files]
        self.bar.reset(total=sum(expected))
        for path, documents in zip(files, expected):
            report.files += 1
            done = self.bar.n
            try:
                changed |= self._ingest_file(path, report, cleaning)
            except LoadError as err:  # one bad file must not stop the batch
                self._fail(report, path, str(err))
            except (ValueError, OSError) as err:
                self._fail(report, path, f"{path.name}: {err}")
            self.bar.update(max(0, done + documents - self.bar.n))
        if prune:
            changed |= self._prune(report)
        changed |= self._drop_unclaimed(orphans)
        if changed or not self.store.bm25_in_step():
            self.store.sync_bm25()
        report.cleaning = dict(sorted(cleaning.items()))
        report.seconds = round(time.perf_counter() - started, 2)
        return report

    def _drop_unclaimed(self, orphans: dict[str, str]) -> bool:
        """Delete the chunks a stopped run left whose articles no file of this run claimed."""
        if not orphans:
            return False
        held = self.catalog.doc_ids()
        unclaimed = {chunk_id for chunk_id, doc_id in orphans.items() if doc_id not in held}
        self.store.delete(unclaimed)
        return bool(unclaimed)

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
        if path.suffix.lower() != _COLLECTION:  # its records are held to the limit one by one (_sources)
            check_size(path, self.settings)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        if self.catalog.file_hash(key) == sha:
            report.files_unchanged += 1
            report.documents += len(self.catalog.file_doc_ids(key))
            return False
        self._dedup = NearDuplicates(self.catalog, self.settings.dedup_threshold)  # copies among this file's articles too
        base_id = self._base_id(path, key)
        sources, notes = self._sources(path)
        stored = self._store_articles(sources, base_id, cleaning, report)
        docs = stored.docs
        notes += [f"{rule} {n}" for rule, n in stored.damage.items()]
        if stored.repeats:
            notes.append(f"{stored.repeats} repeated passages dropped")
        old_ids = self.catalog.file_doc_ids(key)
        # The articles' own ids too: a stopped run may have stored chunks of a version of them this one no longer has.
        stale = self.store.chunk_ids_of(sorted({*old_ids, *(d.metadata["doc_id"] for d in docs)})) - stored.chunk_ids
        self.store.delete(stale)
        self.store.begin_write()  # before the catalog changes, when no chunk changed (the chunk writes mark it too)
        self.catalog.replace_file(key, sha, base_id, docs, stored.signatures)
        self._forget_dropped(old_ids, docs)
        report.documents += len(docs)
        report.duplicates += sum(1 for d in docs if d.metadata.get("canonical_doc_id"))
        report.chunks += len(stored.chunk_ids)
        report.chunks_removed += len(stale)
        report.warnings += [f"{path.name}: {w}" for d in docs[:1] for w in d.metadata["warnings"]]
        if notes:
            kept = f"{len(docs)} articles, {len(stored.chunk_ids)} passages"
            report.repaired.append({"path": str(path), "reason": f"{path.name}: {'; '.join(notes)}", "kept": kept})
        return True

    def _sources(self, path: Path) -> tuple[list[SourceText], list[str]]:
        """The file's texts and what loading noted; JSON Lines records over the size limit are left out."""
        sources = load_file(path, self._ocr)
        limit = self.settings.max_file_bytes
        kept = [s for s in sources if s.doc_id is None or len(s.text.encode()) <= limit]
        if not kept:
            raise LoadError(path, f"every record is over the {limit / 1e6:g} MB limit")
        notes = list(sources[0].notes)
        if over := len(sources) - len(kept):
            notes.append(f"{over} record(s) over the {limit / 1e6:g} MB limit skipped")
        return kept, notes

    def _store_articles(
        self, sources: list[SourceText], base_id: str, cleaning: Counter[str], report: IngestReport
    ) -> _Stored:
        """Clean, link, chunk and store the articles batch by batch: each batch's chunks are stored
        (and survive a stop) before the next is read, and the bar moves as they are."""
        stored = _Stored()
        for i in range(0, len(sources), _ARTICLE_BATCH):
            batch = sources[i : i + _ARTICLE_BATCH]
            docs = self._documents(batch, base_id, cleaning, stored.damage)
            stored.signatures += [self._link_copy(d) for d in docs]
            every = [self._chunks(d) for d in docs]
            chunks = [c for d in every for c in drop_repeats(d)]
            stored.repeats += sum(map(len, every)) - len(chunks)
            report.chunks_embedded += self.store.add(chunks, self.settings.embed_batch_size, self._embedded)
            stored.chunk_ids.update(c.chunk_id for c in chunks)
            stored.docs += docs
            self.bar.update(len(batch))
        return stored

    def _embedded(self, chunks: int) -> None:
        self._chunks_embedded += chunks
        self.bar.set_postfix(embedded=self._chunks_embedded, refresh=False)

    def _documents(
        self, sources: list[SourceText], base_id: str, cleaning: Counter[str], damage: Counter[str]
    ) -> list[Document]:
        docs: list[Document] = []
        for source in sources:
            built, counts = build_documents(source, base_id)
            docs += built
            cleaning.update(counts)
            damage.update({rule: counts[rule] for rule in DAMAGE_RULES if counts.get(rule)})
        for doc in docs:
            if summary := ocr_summary(doc.metadata, self.settings.ocr_low_confidence):
                doc.metadata["ocr"] = summary
        return docs

    def _forget_dropped(self, old_ids: list[str], docs: list[Document]) -> None:
        """An article a changed file no longer has (x split into x#1 and x#2) may be another's canonical."""
        gone = sorted(set(old_ids) - {d.metadata["doc_id"] for d in docs})
        repoint_copies(self.catalog, self.store, gone)

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
            forget_file(self.catalog, self.store, path)
        report.pruned_files = len(gone)
        return bool(gone)
