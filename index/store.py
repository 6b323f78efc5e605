"""Chunks stored twice, kept in step: Chroma (dense, via langchain-chroma) and BM25 (index/bm25.py)."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from core.errors import ConfigError, IndexBusy, StoreUnreachable
from index.bm25 import Bm25Index
from index.embedding import LEGACY_IDENTITY, embedding_identity
from index.search import ScoredChunk, SearchFilter
from index.text.dates import date_bound, date_int
from index.text.script import to_simplified
from index.types import Chunk, Provenance, doc_id_of
from core.settings import Settings

_PAGE = 5000  # rows per Chroma get(): bounded memory on large collections
_VERSION_KEY = "policyqa_version"  # collection metadata: which BM25 build matches the stored chunks
_PENDING_KEY = "policyqa_bm25_pending"  # collection metadata: "1" from a writer's first change to its sync_bm25
IDENTITY_KEY = "embedding"  # collection metadata: the model and backend its vectors came from
_WRITER_KEY = "policyqa_writer"  # collection metadata on a server: "<catalog identity> <host>:<data dir>" of its writer
_PLACE_SEPARATOR = "|"  # Chroma metadata holds scalars only, so a chunk's places are one string
_DOUBT_SEPARATOR = "\n"  # and so are its doubtful OCR lines, which a line break cannot be part of
# Rows per Chroma upsert: a call costs much besides its rows, so calls of 512 or 1,024 store about 7
# times the rows/s of calls of 32, with no gain past 512 (bench/results/embed-upsert.md). Chroma caps
# a call (5,461 rows embedded).
_UPSERT_ROWS = 1024
Progress = Callable[[int], None]


def chunk_to_document(chunk: Chunk) -> Document:
    """What Chroma stores: the simplified text with its headings (embedded), display fields in metadata."""
    heading = " ".join(x for x in (chunk.title, chunk.section) if x)
    return Document(
        id=chunk.chunk_id,
        page_content=f"{to_simplified(heading)}\n{chunk.search_text}",
        metadata={
            "chunk_id": chunk.chunk_id,
            "doc_id": chunk.doc_id,
            "canonical_doc_id": chunk.story_id,
            "text": chunk.text,
            "search_text": chunk.search_text,
            "start": chunk.start,
            "end": chunk.end,
            "title": chunk.title,
            "section": chunk.section,
            "date": chunk.date or "",
            "date_int": date_int(chunk.date),
            "source": chunk.source or "",
            "path": chunk.path,
            "places": _PLACE_SEPARATOR.join(chunk.places),
            **_provenance_fields(chunk.provenance),
        },
    )


def _provenance_fields(found: Provenance | None) -> dict:
    """A chunk's provenance as Chroma scalars: page 0 for none, confidence -1 for a text layer."""
    if found is None:
        return {"page": 0}
    return {
        "page": found.page,
        "last_page": found.last_page,
        "ocr_confidence": -1.0 if found.ocr_confidence is None else found.ocr_confidence,
        "ocr_doubtful": _DOUBT_SEPARATOR.join(found.doubtful),
        "page_breaks": " ".join(f"{offset}:{page}" for offset, page in found.breaks),
    }


def _provenance_of(meta: dict) -> Provenance | None:
    if not meta.get("page"):
        return None
    confidence = meta.get("ocr_confidence", -1.0)
    doubtful = meta.get("ocr_doubtful", "")
    return Provenance(
        page=int(meta["page"]),
        last_page=int(meta.get("last_page", meta["page"])),
        ocr_confidence=None if confidence < 0 else confidence,
        doubtful=tuple(doubtful.split(_DOUBT_SEPARATOR)) if doubtful else (),
        breaks=tuple(tuple(map(int, pair.split(":"))) for pair in meta.get("page_breaks", "").split()),
    )


def _where(search_filter: SearchFilter) -> dict | None:
    """The part of a filter Chroma can apply itself, as a ``where`` clause."""
    terms: list[dict] = []
    if search_filter.doc_ids:
        terms.append({"doc_id": {"$in": list(search_filter.doc_ids)}})
    if search_filter.sources:
        terms.append({"source": {"$in": list(search_filter.sources)}})
    if search_filter.date_from or search_filter.date_to:
        # At least 1: an undated chunk (0) is outside every date range, one with no lower bound too.
        terms.append({"date_int": {"$gte": max(date_bound(search_filter.date_from or ""), 1)}})
    if search_filter.date_to:
        terms.append({"date_int": {"$lte": date_bound(search_filter.date_to, upper=True)}})
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else {"$and": terms}


def chunk_from_metadata(meta: dict) -> Chunk:
    canonical = meta.get("canonical_doc_id") or None
    return Chunk(
        doc_id=meta["doc_id"],
        text=meta["text"],
        search_text=meta["search_text"],
        start=int(meta["start"]),
        end=int(meta["end"]),
        title=meta["title"],
        section=meta.get("section", ""),
        date=meta.get("date") or None,
        source=meta.get("source") or None,
        path=meta.get("path", ""),
        places=_places_of(meta),
        canonical_doc_id=None if canonical == meta["doc_id"] else canonical,
        provenance=_provenance_of(meta),
    )


def _exclusion(doc_ids: tuple[str, ...], operator: str) -> dict:
    """Chunks of these articles or of copies of them (``$in``), or all the others (``$nin``)."""
    ids = list(doc_ids)
    joined = "$or" if operator == "$in" else "$and"
    return {joined: [{"doc_id": {operator: ids}}, {"canonical_doc_id": {operator: ids}}]}


def _chroma_client(settings: Settings) -> ClientAPI:
    """A client of the Chroma server at ``chroma_url`` when one is set, else Chroma embedded in data_dir."""
    quiet = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=quiet)
    url = urlsplit(settings.chroma_url)
    https = url.scheme == "https"
    try:
        return chromadb.HttpClient(host=url.hostname or "localhost", port=url.port or (443 if https else 80),
                                   ssl=https, settings=quiet)  # fmt: skip
    except ValueError as err:  # what chromadb raises when nothing answers
        raise StoreUnreachable(f"no Chroma server answers at {settings.chroma_url}: {err}") from err


def _check_identity(settings: Settings, collection_metadata: dict) -> None:
    """Refuse a collection whose vectors another model or backend made: mixed vectors rank silently wrong."""
    stored = collection_metadata.get(IDENTITY_KEY, LEGACY_IDENTITY)
    wanted = embedding_identity(settings)
    if stored != wanted:
        raise ConfigError(
            f"the index at {settings.data_dir} (collection {settings.collection}) was embedded with {stored}, "
            f"but the settings embed with {wanted}: set POLICYQA_EMBEDDING_MODEL/POLICYQA_EMBEDDING_BACKEND "
            "back, or ingest into a new POLICYQA_DATA_DIR"
        )


def _places_of(meta: dict) -> tuple[str, ...]:
    return tuple(p for p in meta.get("places", "").split(_PLACE_SEPARATOR) if p)


class ChunkStore:
    """One collection: the Chroma vectors plus the BM25 index built from the same chunks.

    Everything outside index/ reaches the stored chunks through the public methods here; the
    LangChain wrapper (embedding, dense search) and the raw collection (count, metadata
    updates, which the wrapper does not offer) stay private.
    """

    def __init__(self, settings: Settings, embeddings: Embeddings) -> None:
        client = _chroma_client(settings)
        self._vectors = Chroma(
            client=client,
            collection_name=settings.collection,
            embedding_function=embeddings,
            collection_configuration={"hnsw": {"space": "cosine"}},
            collection_metadata={IDENTITY_KEY: embedding_identity(settings)},  # kept from creation on
        )
        # The raw collection, for count and metadata updates; no embedding function, as langchain-chroma does.
        self._collection = client.get_collection(settings.collection, embedding_function=None)
        self._client = client
        self._embeddings = embeddings
        _check_identity(settings, self._collection.metadata or {})
        self._bm25_dir = settings.bm25_dir
        self._server = settings.chroma_url
        self._bm25: Bm25Index | None = None
        self._bm25_lock = threading.Lock()  # one thread reloads a stale BM25, the others wait for it
        self._changed: set[str] = set()  # ids added or deleted since BM25 last took changes in
        self._writing = False  # this process has seen to the pending mark since BM25 last took changes in
        self._marked = False  # this process set the pending mark, over a BM25 in step with Chroma

    def count(self) -> int:
        return self._collection.count()

    # --- search ----------------------------------------------------------------------------

    def search_bm25(self, query: str, k: int, search_filter: SearchFilter | None = None) -> list[ScoredChunk]:
        """The best ``k`` chunks for a (simplified) query by BM25, best first."""
        allowed = self._allowed_ids(search_filter)
        if allowed is not None and not allowed:
            return []
        bm25 = self._bm25_index()
        found = bm25.search(query, k, allowed, self._excluded_ids(search_filter))
        bm25.release_pages()  # else, over many questions, the process comes to hold the whole index
        chunks = {c.chunk_id: c for c in self.get([cid for cid, _ in found])}
        return [ScoredChunk(chunks[cid], score) for cid, score in found if cid in chunks]

    def search_dense(self, query: str, k: int, search_filter: SearchFilter | None = None) -> list[ScoredChunk]:
        """The best ``k`` chunks for a (simplified) query by cosine similarity, best first."""
        allowed = self._allowed_ids(search_filter)
        if allowed is not None and not allowed:
            return []
        extra = {"ids": sorted(allowed)} if allowed is not None else {}
        k = min(k, len(allowed)) if allowed is not None else k
        if search_filter is not None and search_filter.exclude_doc_ids:
            extra["filter"] = _exclusion(search_filter.exclude_doc_ids, "$nin")
        pairs = self._vectors.similarity_search_with_score(query, k=k, **extra)
        return [ScoredChunk(chunk_from_metadata(doc.metadata), 1.0 - distance) for doc, distance in pairs]

    def _allowed_ids(self, search_filter: SearchFilter | None) -> set[str] | None:
        """Ids of the chunks a filter lets through; None when it lets everything through."""
        if search_filter is None or not search_filter.limits():
            return None
        wanted = search_filter.places
        found = self._vectors.get(where=_where(search_filter), include=["metadatas"])
        return {
            m["chunk_id"]
            for m in found["metadatas"]
            if not wanted or any(w in m.get("places", "") for w in wanted)
        }

    def _excluded_ids(self, search_filter: SearchFilter | None) -> frozenset[str]:
        """Ids of the chunks of the excluded articles and of their near-copies."""
        if search_filter is None or not search_filter.exclude_doc_ids:
            return frozenset()
        found = self._vectors.get(where=_exclusion(search_filter.exclude_doc_ids, "$in"), include=[])
        return frozenset(found["ids"])

    # --- reading ---------------------------------------------------------------------------

    def get(self, chunk_ids: list[str]) -> list[Chunk]:
        """The stored chunks of these ids, in the order asked; unknown ids are left out."""
        if not chunk_ids:  # Chroma rejects an empty id list
            return []
        page = self._vectors.get(ids=chunk_ids, include=["metadatas"])
        found = {m["chunk_id"]: chunk_from_metadata(m) for m in page["metadatas"]}
        return [found[i] for i in chunk_ids if i in found]

    def chunks_of(self, doc_ids: list[str]) -> list[Chunk]:
        """Every chunk of these articles, in no particular order."""
        return self.get(sorted(self.chunk_ids_of(doc_ids)))

    def chunk_ids_of(self, doc_ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(doc_ids), _PAGE):  # a 68k-article file's ids would make one huge query
            found.update(self._vectors.get(where={"doc_id": {"$in": doc_ids[i : i + _PAGE]}}, include=[])["ids"])
        return found

    def _pages(self, include: list[str]) -> Iterator[dict]:
        for offset in range(0, self.count(), _PAGE):
            yield self._vectors.get(limit=_PAGE, offset=offset, include=include)

    def chunks(self) -> Iterator[Chunk]:
        for page in self._pages(["metadatas"]):
            yield from (chunk_from_metadata(m) for m in page["metadatas"])

    def chunk_stories(self) -> Iterator[tuple[str, str, str]]:
        """(chunk id, doc_id, story id) of every stored chunk."""
        for page in self._pages(["metadatas"]):
            yield from ((m["chunk_id"], m["doc_id"], m["canonical_doc_id"]) for m in page["metadatas"])

    def chunk_counts(self) -> Counter[str]:
        """Chunks per article, from the ids alone: their metadata would bring every passage's text along."""
        return Counter(doc_id_of(chunk_id) for page in self._pages([]) for chunk_id in page["ids"])

    def vector_pages(self) -> Iterator[dict]:
        """Every stored chunk as Chroma holds it, a page at a time: ids, vectors, embedded texts, metadata."""
        return self._pages(["embeddings", "documents", "metadatas"])

    def vectors_of(self, doc_ids: list[str]) -> list[tuple[Chunk, list[float]]]:
        """Every stored chunk of these articles with its stored vector."""
        if not doc_ids:
            return []
        found = self._vectors.get(where={"doc_id": {"$in": doc_ids}}, include=["metadatas", "embeddings"])
        return [(chunk_from_metadata(m), v.tolist()) for m, v in zip(found["metadatas"], found["embeddings"])]

    def embedded_vectors(self) -> Iterator[tuple[str, np.ndarray]]:
        """(embedded text, vector) of every stored chunk: a rebuild can reuse the vectors of unchanged text."""
        for page in self._pages(["documents", "embeddings"]):
            yield from zip(page["documents"], page["embeddings"])

    def bm25_ids(self) -> list[str]:
        """The chunk ids the BM25 index holds: equal to the stored ones when the two are in step."""
        return self._bm25_index().ids()

    # --- writing ---------------------------------------------------------------------------

    def embedded_texts(self, chunk_ids: list[str]) -> dict[str, str]:
        """Chunk id -> the text its vector and BM25 entry were made from (headings included)."""
        stored: dict[str, str] = {}
        for i in range(0, len(chunk_ids), _PAGE):
            page = self._vectors.get(ids=chunk_ids[i : i + _PAGE], include=["documents"])
            stored.update(zip(page["ids"], page["documents"]))
        return stored

    def _to_embed(self, docs: list[Document]) -> set[str]:
        """Ids of the documents not stored yet, or stored with other embedded text (a retitled
        article keeps its passages' ids, but its title is embedded with them)."""
        stored = self.embedded_texts([d.id for d in docs])
        return {d.id for d in docs if stored.get(d.id) != d.page_content}

    def add(self, chunks: list[Chunk], batch_size: int = 64, progress: Progress | None = None) -> int:
        """Embed and store the chunks whose embedded text is new; return how many were embedded.

        The others keep their vectors but take the new metadata: a changed file can leave a
        passage's text and place alone yet change its article's canonical or date. Chunks are
        embedded ``batch_size`` at a time (``progress`` hears of each batch) and stored in larger
        calls; a stop (Ctrl-C, an error) still stores what was embedded, so a resumed run skips it.
        """
        docs = list({d.id: d for d in map(chunk_to_document, chunks)}.values())
        todo = self._to_embed(docs)
        self._refresh([d for d in docs if d.id not in todo])
        # Longest first across the whole call, as sentence-transformers sorts within one encode: each
        # batch then pads to chunks of about its own length, not to the longest of 32 random ones.
        embed = sorted((d for d in docs if d.id in todo), key=lambda d: -len(d.page_content))
        self._changing(todo)
        rows = min(_UPSERT_ROWS, self._client.get_max_batch_size())
        done: list[tuple[Document, list[float]]] = []
        try:
            for i in range(0, len(embed), batch_size):
                batch = embed[i : i + batch_size]
                done += zip(batch, self._embeddings.embed_documents([d.page_content for d in batch]))
                if len(done) >= rows:
                    self._upsert(done)
                    done = []
                if progress:
                    progress(len(batch))
        finally:
            self._upsert(done)
        return len(embed)

    def _upsert(self, rows: list[tuple[Document, list[float]]]) -> None:
        """Store documents with the vectors embedded for them (langchain-chroma's add_texts embeds
        itself, so it cannot take them); an upsert replaces stale vectors."""
        if rows:
            docs = [d for d, _ in rows]
            self._collection.upsert(ids=[d.id for d in docs], embeddings=[v for _, v in rows],
                                    documents=[d.page_content for d in docs], metadatas=[d.metadata for d in docs])  # fmt: skip

    def _refresh(self, docs: list[Document]) -> None:
        if docs:
            self.begin_write()
        for i in range(0, len(docs), _PAGE):
            page = docs[i : i + _PAGE]
            self._collection.update(ids=[d.id for d in page], metadatas=[d.metadata for d in page])

    def put_vectors(self, ids: list[str], vectors, texts: list[str], metadatas: list[dict]) -> None:
        """Store chunks whose vectors were made before (a backup): nothing is embedded."""
        self._changing(ids)
        self._collection.upsert(ids=ids, embeddings=vectors, documents=texts, metadatas=metadatas)

    def clear(self) -> None:
        """Delete every chunk: a restore replaces the library whole."""
        self.delete({i for page in self._pages([]) for i in page["ids"]})

    def delete(self, chunk_ids: set[str]) -> None:
        ids = sorted(chunk_ids)
        self._changing(ids)
        for i in range(0, len(ids), _PAGE):
            self._vectors.delete(ids=ids[i : i + _PAGE])

    def drop(self) -> None:
        """Delete the collection and its BM25 files."""
        self._client.delete_collection(self._collection.name)
        shutil.rmtree(self._bm25_dir, ignore_errors=True)

    def set_story_ids(self, stories: dict[str, str]) -> None:
        """Re-point articles' chunks at another story: a metadata update, the vectors stay."""
        if stories:
            self.begin_write()
        for doc_id, story in stories.items():
            ids = sorted(self.chunk_ids_of([doc_id]))
            if ids:  # Chroma rejects an empty id list
                self._collection.update(ids=ids, metadatas=[{"canonical_doc_id": story}] * len(ids))

    def _changing(self, chunk_ids: Iterable[str]) -> None:
        """Note chunks about to change in Chroma, for BM25 to take in."""
        ids = set(chunk_ids)
        if ids:
            self.begin_write()
        self._changed |= ids

    def begin_write(self) -> None:
        """Mark the collection before this process first changes the library (any chunk write, and
        the catalog, whose changes the caller marks with this): a writer stopped before sync_bm25
        leaves the mark, so the next run repairs chunks against the catalog and rebuilds BM25 whole,
        and a library whose writers all finished is neither read whole nor rebuilt."""
        if self._writing:
            return
        metadata = self._metadata()
        if not metadata.get(_PENDING_KEY):
            self._collection.modify(metadata={**metadata, _PENDING_KEY: "1"})
            self._marked = True
        self._writing = True

    def sync_bm25(self) -> None:
        """Bring BM25 in step with Chroma and publish it as the collection's new version: every
        other process sharing the collection follows. BM25 takes in this process's changes when
        the saved one held all the rest, else it is rebuilt from the whole collection (after a
        killed writer, another machine's change, or over the old bm25s format)."""
        metadata = self._metadata()
        saved = Bm25Index.load(self._bm25_dir)
        published = metadata.get(_VERSION_KEY, "")
        if published and saved.version == published and (self._marked or not metadata.get(_PENDING_KEY)):
            ids = sorted(self._changed)
            bm25 = saved.updated(ids, self.embedded_texts(ids), self._bm25_dir)
        else:
            bm25 = self._bm25_of_collection(self._bm25_dir)
        bm25 = bm25.save(self._bm25_dir, uuid.uuid4().hex)  # before publishing: processes sharing this data_dir find it
        # modify() replaces the whole metadata: the other keys (the embedding identity) go along.
        self._collection.modify(metadata={**self._metadata(), _VERSION_KEY: bm25.version, _PENDING_KEY: ""})
        self._bm25, self._changed, self._writing, self._marked = bm25, set(), False, False

    def claim_writer(self, catalog: str, place: str) -> None:
        """On a server, let only the catalog that first wrote the collection write it again.

        Every writer takes its own catalog for the truth (index.pipeline.reconcile), so a writer
        with another catalog would delete the chunks of every article it does not know.
        Embedded, the collection lives in its catalog's data dir and has no other writer.
        """
        if not self._server:
            return
        if _WRITER_KEY not in (metadata := self._metadata()):
            self._collection.modify(metadata={**metadata, _WRITER_KEY: f"{catalog} {place}"})
            metadata = self._metadata()  # two first writers at once: the one whose claim stayed goes on
        owner, _, where = metadata[_WRITER_KEY].partition(" ")
        if owner != catalog:
            raise IndexBusy(
                f"the collection {self._collection.name} on the Chroma server at {self._server} is written from the "
                f"data directory {where}: ingest and remove there (this data directory answers from it, but its "
                "catalog does not hold that collection's articles)"
            )

    def version(self) -> str:
        """The collection's version, set by the last BM25 rebuild of any process: one cheap read."""
        return str(self._metadata().get(_VERSION_KEY, ""))

    def _metadata(self) -> dict:
        """The collection's metadata as stored now (the handle's copy is from when it was opened)."""
        return self._client.get_collection(self._collection.name, embedding_function=None).metadata or {}

    def bm25_in_step(self) -> bool:
        """The saved BM25 holds the stored chunks: it is of the published version, and no writer has
        begun changing the library since (one stopped before syncing leaves the pending mark). Two cheap reads."""
        metadata = self._metadata()
        published = metadata.get(_VERSION_KEY, "")
        return bool(published) and not metadata.get(_PENDING_KEY) and Bm25Index.saved_version(self._bm25_dir) == published

    def _bm25_of_collection(self, folder: Path | None = None) -> Bm25Index:
        """BM25 of every stored chunk, page by page; its segments are written to ``folder`` as they
        are made when one is given, else held in memory."""
        bm25 = Bm25Index()
        for page in self._pages(["documents"]):
            bm25 = bm25.updated((), dict(zip(page["ids"], page["documents"])), folder)
        return bm25

    def _bm25_index(self) -> Bm25Index:
        """BM25 of the collection's current version: kept while the version holds, else read from
        disk if the files there are of it, else rebuilt from Chroma in memory (another machine changed it)."""
        current = self.version()
        if self._bm25 is not None and self._bm25.version == current:
            return self._bm25
        with self._bm25_lock:
            if self._bm25 is None or self._bm25.version != current:
                on_disk = Bm25Index.load(self._bm25_dir)
                self._bm25 = on_disk if on_disk.version == current else replace(self._bm25_of_collection(), version=current)
            return self._bm25
