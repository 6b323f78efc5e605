"""The eval cache's builds: one collection per documents and ingest fingerprint, each recorded
beside its copy of the documents once complete. When the ingest code changes, the new build
starts from the vectors of the previous build of the same documents with the same vectors
(embedding identity and passage prefix), embeds only text it does not hold, and replaces it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from core.settings import Settings
from index.embedding import build_embeddings, embedding_identity, lazy_embeddings
from index.service import open_index

BUILD_FILE = "build.json"


def documents_folder(root: Path, name: str) -> Path:
    """Where a build keeps its copy of the documents and its record."""
    return root / "documents" / name


def build_record(documents: str, settings: Settings) -> dict:
    """What a build is of: its documents' fingerprint and what makes two vectors of one text equal."""
    return {"documents": documents, "vectors": [embedding_identity(settings), settings.passage_prefix]}


def is_built(root: Path, name: str) -> bool:
    return (documents_folder(root, name) / BUILD_FILE).exists()


def record_build(root: Path, name: str, record: dict) -> None:
    """Written last, so a build stopped part way is not taken for a complete one."""
    path = documents_folder(root, name) / BUILD_FILE
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(record), encoding="utf-8")
    partial.replace(path)


def replaced_builds(root: Path, name: str, record: dict | None) -> list[str]:
    """The complete builds of the same documents and vectors under other names (those of earlier
    ingest code) that the build ``name`` starts from and replaces; none once it is complete."""
    if record is None or is_built(root, name):
        return []
    found = []
    for path in sorted((root / "documents").glob(f"*/{BUILD_FILE}")):
        if path.parent.name != name and json.loads(path.read_text(encoding="utf-8")) == record:
            found.append(path.parent.name)
    return found


class ReusedVectors(Embeddings):
    """Vectors of texts an earlier build embedded, the model's for the rest; counts what it embedded.
    (LangChain 1.x moved its cache-backed embeddings to langchain-classic, which this project does not install.)"""

    def __init__(self, model: Embeddings, known: dict[str, np.ndarray]) -> None:
        self._model = model
        self._known = known
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in texts if t not in self._known]
        fresh = iter(self._model.embed_documents(missing) if missing else [])
        self.embedded += len(missing)
        return [self._known[t].tolist() if t in self._known else next(fresh) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._model.embed_query(text)


def reusing(settings: Settings, builds: list[str], model: Embeddings | None = None) -> ReusedVectors:
    """Embeddings for ``settings`` that reuse the stored vectors of the collections ``builds``."""
    model = model or lazy_embeddings(lambda: build_embeddings(settings))
    known: dict[str, np.ndarray] = {}
    for name in builds:
        with open_index(settings.model_copy(update={"collection": name}), model) as idx:
            known.update(idx.store.embedded_vectors())
    return ReusedVectors(model, known)


def drop_build(settings: Settings, name: str, model: Embeddings) -> None:
    """Delete a build: its collection, BM25 files, catalog and copy of the documents."""
    with open_index(settings.model_copy(update={"collection": name}), model) as idx:
        idx.drop()
    shutil.rmtree(documents_folder(settings.data_dir, name), ignore_errors=True)
