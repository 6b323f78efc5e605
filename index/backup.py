"""A whole library in one portable archive, and back: the catalog, every chunk with its stored
vector, the uploaded files, and a manifest that says what the archive must hold.

The chunks are read from the collection through the store, so a backup is the same whether
Chroma runs embedded or as a server; a restore stores the recorded vectors (nothing is
embedded again) and rebuilds BM25 from them. The archive is a zip: every member carries a
CRC, and the manifest the SHA-256 of each, so a damaged or cut archive is refused before the
library is touched.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
import zlib
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from core.errors import BadBackup
from core.settings import Settings
from index.catalog import Catalog
from index.embedding import embedding_identity
from index.store import ChunkStore

FORMAT = "policyqa-backup"
VERSION = 1
MANIFEST = "manifest.json"
CATALOG = "catalog.sqlite"
UPLOADS = "uploads/"
_CHUNK_DIR = "chunks/"
_READ = 1 << 20  # bytes per read when hashing: a member is never held whole


@dataclass
class BackupSummary:
    path: str
    chunks: int
    documents: int
    files: int
    uploads: int
    embedding: str

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        counts = f"{self.files} files, {self.documents} articles, {self.chunks} chunks, {self.uploads} uploads"
        return f"{counts} ({self.embedding})"


def write_backup(settings: Settings, store: ChunkStore, catalog: Catalog, out: Path) -> BackupSummary:
    """Write the library to ``out``; the caller holds the write lock, so nothing changes meanwhile.

    Written beside ``out`` and renamed at the end: a backup cut short never looks like a whole one.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        summary = _write_archive(settings, store, catalog, partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, out)
    return replace(summary, path=str(out))


def _write_archive(settings: Settings, store: ChunkStore, catalog: Catalog, out: Path) -> BackupSummary:
    sums: dict[str, str] = {}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        with tempfile.TemporaryDirectory(prefix="policyqa-backup-") as scratch:
            catalog.backup_to(Path(scratch) / CATALOG)
            sums[CATALOG] = _write_file(archive, Path(scratch) / CATALOG, CATALOG)
        chunks, dimensions = _write_chunks(archive, store, sums)
        uploads = sorted(p for p in settings.uploads_dir.glob("*") if p.is_file())
        for path in uploads:
            sums[UPLOADS + path.name] = _write_file(archive, path, UPLOADS + path.name)
        summary = BackupSummary(
            str(out), chunks, len(catalog.articles()), len(catalog.paths()), len(uploads), embedding_identity(settings)
        )
        manifest = {
            "format": FORMAT, "version": VERSION, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "collection": settings.collection, "embedding": summary.embedding, "dimensions": dimensions,
            "uploads_dir": sorted({str(settings.uploads_dir), str(settings.uploads_dir.resolve())}),
            "counts": {"chunks": chunks, "documents": summary.documents, "files": summary.files, "uploads": len(uploads)},
            "sha256": sums,
        }  # fmt: skip
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
    return summary


def _write_chunks(archive: zipfile.ZipFile, store: ChunkStore, sums: dict[str, str]) -> tuple[int, int]:
    """One pair of members per page of the collection: the chunks as JSON Lines, their vectors as
    float32 .npy (exact, and loaded without pickle). Returns the chunks written and the vectors' size."""
    chunks = dimensions = 0
    for n, page in enumerate(store.vector_pages()):
        rows = zip(page["ids"], page["documents"], page["metadatas"])
        lines = "".join(json.dumps({"id": i, "document": d, "metadata": m}, ensure_ascii=False) + "\n" for i, d, m in rows)
        vectors = np.asarray(page["embeddings"], dtype=np.float32)
        buffer = io.BytesIO()
        np.save(buffer, vectors, allow_pickle=False)
        sums[f"{_CHUNK_DIR}{n:05d}.jsonl"] = _write_bytes(archive, f"{_CHUNK_DIR}{n:05d}.jsonl", lines.encode())
        sums[f"{_CHUNK_DIR}{n:05d}.npy"] = _write_bytes(archive, f"{_CHUNK_DIR}{n:05d}.npy", buffer.getvalue())
        chunks, dimensions = chunks + len(vectors), vectors.shape[1]
    return chunks, dimensions


def _write_bytes(archive: zipfile.ZipFile, name: str, data: bytes) -> str:
    archive.writestr(name, data)
    return hashlib.sha256(data).hexdigest()


def _write_file(archive: zipfile.ZipFile, path: Path, name: str) -> str:
    archive.write(path, name)
    with path.open("rb") as source:
        return hashlib.file_digest(source, "sha256").hexdigest()


def read_manifest(archive_path: Path, settings: Settings) -> dict:
    """The manifest of a whole, undamaged archive of vectors this settings' model made; else BadBackup.

    Every member is read and checked against its SHA-256 (and its CRC, by zipfile) here, so a
    restore that starts cannot fail half way on a damaged archive.
    """
    try:
        with zipfile.ZipFile(archive_path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
                raise BadBackup(f"{archive_path}: not a PolicyQA backup of format version {VERSION}")
            _check_members(archive, manifest["sha256"])
    except (zipfile.BadZipFile, zlib.error, KeyError, ValueError, TypeError, AttributeError, EOFError) as err:
        raise BadBackup(f"{archive_path}: damaged or cut short, or not a PolicyQA backup ({err})") from None
    wanted = embedding_identity(settings)
    if manifest["embedding"] != wanted:
        raise BadBackup(
            f"{archive_path}: its vectors were made by {manifest['embedding']}, but the settings embed with {wanted}: "
            "set POLICYQA_EMBEDDING_MODEL/POLICYQA_EMBEDDING_BACKEND to match it"
        )
    return manifest


def _check_members(archive: zipfile.ZipFile, sums: dict[str, str]) -> None:
    names = set(archive.namelist()) - {MANIFEST}
    if names != set(sums) or CATALOG not in names:
        raise ValueError(f"members differ from the manifest: {sorted(names ^ set(sums))[:5]}")
    for name in sorted(names):
        if name.startswith(UPLOADS) and not _upload_name(name):
            raise ValueError(f"unsafe member name {name!r}")
        digest = hashlib.sha256()
        with archive.open(name) as member:
            while block := member.read(_READ):
                digest.update(block)
        if digest.hexdigest() != sums[name]:
            raise ValueError(f"{name} does not match its checksum")


def _upload_name(member: str) -> str:
    """The plain file name of an uploads member; "" for one that would land outside the uploads folder."""
    name = member.removeprefix(UPLOADS)
    return name if name and name == Path(name).name and name not in (".", "..") else ""


def restore_backup(
    settings: Settings, store: ChunkStore, catalog: Catalog, archive_path: Path, force: bool = False
) -> BackupSummary:
    """Put the archived library in place of this (empty, unless ``force``) one; the caller holds the write lock.

    Chunks go in before the catalog, which is the truth: a restore killed before its end leaves
    chunks no article owns, which the next ingest drops, and is run again with ``force``.
    """
    manifest = read_manifest(archive_path, settings)
    held = store.count() or len(catalog.paths())
    if held and not force:
        raise BadBackup(
            f"the library at {settings.data_dir} (collection {settings.collection}) is not empty: "
            "restore into a new POLICYQA_DATA_DIR, or give --force to replace it"
        )
    store.clear()
    shutil.rmtree(settings.uploads_dir, ignore_errors=True)  # the replaced library's files go with it
    moved = _Uploads(manifest["uploads_dir"], settings.uploads_dir.resolve())
    with zipfile.ZipFile(archive_path) as archive:
        _restore_chunks(archive, store, moved)
        _restore_uploads(archive, settings.uploads_dir)
        with tempfile.TemporaryDirectory(prefix="policyqa-restore-") as scratch:
            try:
                catalog.restore_from(Path(archive.extract(CATALOG, scratch)))
            except sqlite3.DatabaseError as err:  # checksums right, contents not: the archive was made so
                raise BadBackup(f"{archive_path}: its catalog cannot be read ({err}); the chunks stay unowned") from None
    catalog.rename_files({p: moved(p) for p in catalog.paths() if moved(p) != p})
    store.sync_bm25()
    summary = BackupSummary(
        str(archive_path), store.count(), len(catalog.articles()), len(catalog.paths()),
        len([n for n in manifest["sha256"] if n.startswith(UPLOADS)]), manifest["embedding"],
    )  # fmt: skip
    restored = {"chunks": summary.chunks, "documents": summary.documents, "files": summary.files}
    recorded = {key: manifest["counts"][key] for key in restored}
    if restored != recorded:
        raise BadBackup(f"{archive_path}: restored {restored}, but the manifest records {recorded}")
    return summary


@dataclass(frozen=True)
class _Uploads:
    """Where an uploaded file of the archived library lives in this one: its own data dir's uploads."""

    archived: list[str]  # the archived library's uploads folder, as configured and resolved
    here: Path

    def __call__(self, path: str) -> str:
        return str(self.here / Path(path).name) if str(Path(path).parent) in self.archived else path


def _restore_chunks(archive: zipfile.ZipFile, store: ChunkStore, moved: _Uploads) -> None:
    for name in sorted(n for n in archive.namelist() if n.startswith(_CHUNK_DIR) and n.endswith(".jsonl")):
        rows = [json.loads(line) for line in archive.read(name).decode().splitlines()]
        for row in rows:
            row["metadata"]["path"] = moved(row["metadata"]["path"])
        vectors = np.load(io.BytesIO(archive.read(name.removesuffix(".jsonl") + ".npy")), allow_pickle=False)
        if len(vectors) != len(rows):
            raise BadBackup(f"{archive.filename}: {name} holds {len(rows)} chunks but {len(vectors)} vectors")
        store.put_vectors([r["id"] for r in rows], vectors, [r["document"] for r in rows], [r["metadata"] for r in rows])


def _restore_uploads(archive: zipfile.ZipFile, folder: Path) -> None:
    for member in (m for m in archive.namelist() if m.startswith(UPLOADS)):
        folder.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as source, (folder / _upload_name(member)).open("wb") as target:
            shutil.copyfileobj(source, target)
