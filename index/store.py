"""Chunks stored twice, kept in step: Chroma (dense, via langchain-chroma) and BM25 (bm25s)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from index.bm25 import Bm25Index
from index.chunk import Chunk, doc_id_of
from index.text.dates import date_int
from index.text.script import to_simplified
from policyqa.settings import Settings

_PAGE = 5000  # rows per Chroma get(): bounded memory on large collections
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
            "places": "|".join(chunk.places),
        },
    )


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
        places=tuple(p for p in meta.get("places", "").split("|") if p),
        canonical_doc_id=None if canonical == meta["doc_id"] else canonical,
    )


class ChunkStore:
    """One collection: the Chroma vectors plus the BM25 index built from the same chunks."""

    def __init__(self, settings: Settings, embeddings: Embeddings) -> None:
        client = chromadb.PersistentClient(
            path=str(settings.chroma_dir), settings=ChromaSettings(anonymized_telemetry=False)
        )
        self.vectors = Chroma(
            client=client,
            collection_name=settings.collection,
            embedding_function=embeddings,
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        self._bm25_dir = settings.bm25_dir
        self._bm25: Bm25Index | None = None

    def count(self) -> int:
        return self.vectors._collection.count()

    def _to_embed(self, docs: list[Document]) -> set[str]:
        """Ids of the documents not stored yet, or stored with other embedded text (a retitled
        article keeps its passages' ids, but its title is embedded with them)."""
        stored: dict[str, str] = {}
        for i in range(0, len(docs), _PAGE):
            page = self.vectors.get(ids=[d.id for d in docs[i : i + _PAGE]], include=["documents"])
            stored.update(zip(page["ids"], page["documents"]))
        return {d.id for d in docs if stored.get(d.id) != d.page_content}

    def add(self, chunks: list[Chunk], batch_size: int = 64, progress: Progress | None = None) -> int:
        """Embed and store the chunks whose embedded text is new; return how many were embedded.

        The others keep their vectors but take the new metadata: a changed file can leave a
        passage's text and place alone yet change its article's canonical or date.
        """
        docs = list({d.id: d for d in map(chunk_to_document, chunks)}.values())
        todo = self._to_embed(docs)
        self._refresh([d for d in docs if d.id not in todo])
        embed = [d for d in docs if d.id in todo]
        for i in range(0, len(embed), batch_size):
            batch = embed[i : i + batch_size]
            self.vectors.add_documents(batch, ids=[d.id for d in batch])  # an upsert: stale vectors are replaced
            if progress:
                progress(len(batch))
        return len(embed)

    def _refresh(self, docs: list[Document]) -> None:
        for i in range(0, len(docs), _PAGE):
            page = docs[i : i + _PAGE]
            self.vectors._collection.update(ids=[d.id for d in page], metadatas=[d.metadata for d in page])

    def chunk_ids_of(self, doc_ids: list[str]) -> set[str]:
        if not doc_ids:
            return set()
        return set(self.vectors.get(where={"doc_id": {"$in": doc_ids}}, include=[])["ids"])

    def delete(self, chunk_ids: set[str]) -> None:
        ids = sorted(chunk_ids)
        for i in range(0, len(ids), _PAGE):
            self.vectors.delete(ids=ids[i : i + _PAGE])

    def set_story_ids(self, stories: dict[str, str]) -> None:
        """Re-point articles' chunks at another story: a metadata update, the vectors stay."""
        for doc_id, story in stories.items():
            ids = sorted(self.chunk_ids_of([doc_id]))
            if ids:  # Chroma rejects an empty id list
                self.vectors._collection.update(ids=ids, metadatas=[{"canonical_doc_id": story}] * len(ids))

    def _pages(self, include: list[str]) -> Iterator[dict]:
        for offset in range(0, self.count(), _PAGE):
            yield self.vectors.get(limit=_PAGE, offset=offset, include=include)

    def chunks(self) -> Iterator[Chunk]:
        for page in self._pages(["metadatas"]):
            yield from (chunk_from_metadata(m) for m in page["metadatas"])

    def chunk_counts(self) -> Counter[str]:
        """Chunks per article, from the ids alone: their metadata would bring every passage's text along."""
        return Counter(doc_id_of(chunk_id) for page in self._pages([]) for chunk_id in page["ids"])

    def get(self, chunk_ids: list[str]) -> list[Chunk]:
        if not chunk_ids:  # Chroma rejects an empty id list
            return []
        page = self.vectors.get(ids=chunk_ids, include=["metadatas"])
        found = {m["chunk_id"]: chunk_from_metadata(m) for m in page["metadatas"]}
        return [found[i] for i in chunk_ids if i in found]

    def rebuild_bm25(self) -> None:
        """Rebuild BM25 from what Chroma holds, so the two cannot drift apart."""
        ids, texts = [], []
        for page in self._pages(["documents"]):
            ids += page["ids"]
            texts += page["documents"]
        self._bm25 = Bm25Index.build(ids, texts)
        self._bm25.save(self._bm25_dir)

    @property
    def bm25(self) -> Bm25Index:
        if self._bm25 is None:
            self._bm25 = Bm25Index.load(self._bm25_dir)
        return self._bm25
