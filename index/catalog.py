"""SQLite catalog of ingested files and their articles, beside Chroma.

It remembers each file's content hash (so unchanged files cost nothing), the id its
articles are named after (so they keep their ids when the file changes), each article's
cleaned text (the UI shows the whole article) and its MinHash with its LSH band keys (to find
reposted copies without reading every article).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path

import numpy as np
from langchain_core.documents import Document

from index.lsh import Banding

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, doc_ids TEXT NOT NULL, base_id TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, path TEXT NOT NULL, text TEXT NOT NULL,
    metadata TEXT NOT NULL, minhash BLOB
);
CREATE INDEX IF NOT EXISTS documents_path ON documents (path);
CREATE TABLE IF NOT EXISTS lsh_bands (
    band INTEGER NOT NULL, key INTEGER NOT NULL, doc_id TEXT NOT NULL, PRIMARY KEY (band, key, doc_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lsh_bands_doc ON lsh_bands (doc_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_BANDS_KEY = "lsh_bands"  # meta: the banding the lsh_bands rows were made with


class Catalog:
    """Files and articles known to one collection."""

    def __init__(self, db_path: Path, dedup_threshold: float) -> None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self.banding = Banding(dedup_threshold)
        self._db = sqlite3.connect(db_path)
        self._open()

    def _open(self) -> None:
        """Bring the schema up to date: on open, and after a restore from an older backup."""
        self._db.executescript(_SCHEMA)
        self._add_base_ids()
        self._db.execute("CREATE INDEX IF NOT EXISTS files_base_id ON files (base_id)")  # after the column
        self._banded = False  # the band keys are known to match the stored MinHashes

    def _add_base_ids(self) -> None:
        """Catalogs written before base ids were kept named every file's articles after its stem."""
        if "base_id" in {row[1] for row in self._db.execute("PRAGMA table_info(files)")}:
            return
        with self._db:
            self._db.execute("ALTER TABLE files ADD COLUMN base_id TEXT")
            stems = [(Path(p).stem, p) for p in self.paths()]
            self._db.executemany("UPDATE files SET base_id = ? WHERE path = ?", stems)

    def _fill_bands(self) -> None:
        """Key every stored MinHash by band, once: catalogs written before band keys were kept (or
        with another threshold) have none, and the first write or lookup after opening fills them."""
        if self._banded:
            return
        name = self.banding.name
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (_BANDS_KEY,)).fetchone()
        if row is None or row[0] != name:
            with self._db:
                self._db.execute("DELETE FROM lsh_bands")
                rows = self._db.execute("SELECT doc_id, minhash FROM documents WHERE minhash IS NOT NULL")
                self._db.executemany("INSERT INTO lsh_bands VALUES (?, ?, ?)", self._band_rows(rows))
                self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_BANDS_KEY, name))
        self._banded = True

    def _band_rows(self, minhashes: Iterable[tuple[str, bytes]]) -> Iterator[tuple[int, int, str]]:
        """(band, key, doc_id) rows of (doc_id, MinHash) pairs, as they are read: a whole catalog's
        MinHashes would be a quarter of a GB at 250k articles."""
        for doc_id, blob in minhashes:
            for band, key in self.banding.keys(np.frombuffer(blob, dtype=np.uint64)):
                yield band, key, doc_id

    def close(self) -> None:
        self._db.close()

    def backup_to(self, target: Path) -> None:
        """A consistent copy of the whole catalog into the file ``target`` (SQLite's backup API)."""
        with closing(sqlite3.connect(target)) as copy:
            self._db.backup(copy)

    def restore_from(self, source: Path) -> None:
        """Replace the whole catalog by the one in the file ``source``, in one step.

        The catalog keeps its own identity: the restore may already have claimed a shared
        collection under it, and the source's identity belongs to another data directory.
        """
        own = self.identity()
        with closing(sqlite3.connect(source)) as copy:
            (verdict,) = copy.execute("PRAGMA quick_check").fetchone()  # before anything is replaced
            if verdict != "ok":
                raise sqlite3.DatabaseError(f"damaged catalog: {verdict}")
            copy.backup(self._db)
        self._open()
        self._set_identity(own, replace=True)

    def identity(self) -> str:
        """This catalog's own name, made at its first use: a shared collection records the catalog it belongs to."""
        self._set_identity(uuid.uuid4().hex, replace=False)
        return self._db.execute("SELECT value FROM meta WHERE key = 'identity'").fetchone()[0]

    def _set_identity(self, identity: str, replace: bool) -> None:
        with self._db:
            verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
            self._db.execute(f"{verb} INTO meta VALUES ('identity', ?)", (identity,))

    def file_hash(self, path: str) -> str | None:
        row = self._db.execute("SELECT sha256 FROM files WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def file_doc_ids(self, path: str) -> list[str]:
        row = self._db.execute("SELECT doc_ids FROM files WHERE path = ?", (path,)).fetchone()
        return json.loads(row[0]) if row else []

    def base_id(self, path: str) -> str | None:
        row = self._db.execute("SELECT base_id FROM files WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def has_base_id(self, base_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM files WHERE base_id = ?", (base_id,)).fetchone() is not None

    def paths(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT path FROM files ORDER BY path")]

    def replace_file(
        self, path: str, sha256: str, base_id: str, docs: list[Document], minhashes: list[np.ndarray]
    ) -> None:
        """Swap a file's articles for new ones in one transaction, so a crash leaves the old ones."""
        self._fill_bands()
        doc_ids = [d.metadata["doc_id"] for d in docs]
        with self._db:
            self._delete_docs_of(path)
            self._db.executemany("DELETE FROM lsh_bands WHERE doc_id = ?", [(doc_id,) for doc_id in doc_ids])
            self._db.execute(
                "INSERT OR REPLACE INTO files (path, sha256, doc_ids, base_id) VALUES (?, ?, ?, ?)",
                (path, sha256, json.dumps(doc_ids), base_id),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?)",
                [
                    (d.metadata["doc_id"], path, d.page_content, json.dumps(d.metadata, ensure_ascii=False), m.tobytes())
                    for d, m in zip(docs, minhashes)
                ],
            )
            self._db.executemany("INSERT INTO lsh_bands VALUES (?, ?, ?)",
                                 self._band_rows([(i, m.tobytes()) for i, m in zip(doc_ids, minhashes)]))  # fmt: skip

    def remove_file(self, path: str) -> list[str]:
        doc_ids = self.file_doc_ids(path)
        with self._db:
            self._delete_docs_of(path)
            self._db.execute("DELETE FROM files WHERE path = ?", (path,))
        return doc_ids

    def rename_files(self, renamed: dict[str, str]) -> None:
        """Give files new paths (a restored library's uploads live in its own data dir); their articles keep their ids."""
        with self._db:
            for old, new in renamed.items():
                self._db.execute("UPDATE files SET path = ? WHERE path = ?", (new, old))
                self._db.execute(
                    "UPDATE documents SET path = ?, metadata = json_set(metadata, '$.path', ?) WHERE path = ?", (new, new, old)
                )

    def repoint_copies(self, gone: list[str]) -> dict[str, str]:
        """Hand each removed canonical article's role to its earliest stored copy; point the rest at it.

        Rowid order is the order articles were stored, so the copy indexed longest takes over,
        as it would have had it been read first. Returns the new story id of every copy changed.
        """
        if not gone:
            return {}
        rows = self._db.execute(
            "SELECT doc_id, metadata FROM documents WHERE json_extract(metadata, '$.canonical_doc_id') "
            f"IN ({', '.join('?' * len(gone))}) ORDER BY rowid",
            gone,
        ).fetchall()
        heirs: dict[str, str] = {}
        stories: dict[str, str] = {}
        updates = []
        for doc_id, text in rows:
            meta = json.loads(text)
            stories[doc_id] = heirs.setdefault(meta["canonical_doc_id"], doc_id)
            meta["canonical_doc_id"] = None if stories[doc_id] == doc_id else stories[doc_id]
            updates.append((json.dumps(meta, ensure_ascii=False), doc_id))
        with self._db:
            self._db.executemany("UPDATE documents SET metadata = ? WHERE doc_id = ?", updates)
        return stories

    def _delete_docs_of(self, path: str) -> None:
        self._db.execute("DELETE FROM lsh_bands WHERE doc_id IN (SELECT doc_id FROM documents WHERE path = ?)", (path,))
        self._db.execute("DELETE FROM documents WHERE path = ?", (path,))

    def documents(self) -> list[Document]:
        rows = self._db.execute("SELECT text, metadata FROM documents ORDER BY doc_id")
        return [Document(page_content=t, metadata=json.loads(m)) for t, m in rows]

    def articles(self) -> list[dict]:
        """Every article's metadata, by doc_id; without the text, which listings never show."""
        return [json.loads(m) for (m,) in self._db.execute("SELECT metadata FROM documents ORDER BY doc_id")]

    def document(self, doc_id: str) -> Document | None:
        row = self._db.execute("SELECT text, metadata FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return Document(page_content=row[0], metadata=json.loads(row[1])) if row else None

    def doc_ids(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT doc_id FROM documents")}

    def stories(self) -> dict[str, str]:
        """doc_id -> story id (its canonical article's doc_id, else its own) of every stored article."""
        rows = self._db.execute("SELECT doc_id, json_extract(metadata, '$.canonical_doc_id') FROM documents")
        return {doc_id: canonical or doc_id for doc_id, canonical in rows}

    def sharing_keys(self, keys: list[tuple[int, int]]) -> dict[str, tuple[str, np.ndarray]]:
        """doc_id -> (story id, MinHash values) of the stored articles with one of these band keys."""
        self._fill_bands()
        found = {
            doc_id
            for band, key in keys
            for (doc_id,) in self._db.execute("SELECT doc_id FROM lsh_bands WHERE band = ? AND key = ?", (band, key))
        }
        if not found:
            return {}
        rows = self._db.execute(
            "SELECT doc_id, json_extract(metadata, '$.canonical_doc_id'), minhash FROM documents "
            f"WHERE doc_id IN ({', '.join('?' * len(found))})",
            sorted(found),
        )
        return {doc_id: (canonical or doc_id, np.frombuffer(blob, dtype=np.uint64)) for doc_id, canonical, blob in rows}

    def minhashes(self) -> dict[str, tuple[str, np.ndarray]]:
        """doc_id -> (canonical doc_id, MinHash values) of every stored article."""
        out = {}
        for doc_id, meta, blob in self._db.execute("SELECT doc_id, metadata, minhash FROM documents"):
            canonical = json.loads(meta).get("canonical_doc_id") or doc_id
            out[doc_id] = (canonical, np.frombuffer(blob, dtype=np.uint64))
        return out


def open_catalog(db_path: Path) -> closing[Catalog]:
    return closing(Catalog(db_path))
