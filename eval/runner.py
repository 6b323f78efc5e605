"""Ask every question of a dataset against one collection and keep what came back.

The chain answers from the top ``top_k`` chunks; retrieval metrics look ten deep, so the
retriever is asked once for ten and the chain gets the first ``top_k`` of them (the ranking
does not depend on k, so this is exactly what the chain would have retrieved).
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from eval.cache import build_record, documents_folder, drop_build, record_build, replaced_builds, reusing
from eval.paths import SAMPLE_ARTICLES
from eval.questions import Question
from eval.removal import library_texts, removal_questions
from index.fingerprint import files_fingerprint, ingest_fingerprint
from index.search import SearchFilter
from index.service import Index, open_index
from policyqa.factory import build_chain, build_retriever
from core.settings import Settings
from rag.types import RetrievedChunk, Retriever

RETRIEVED_DEPTH = 10


@dataclass(frozen=True)
class Target:
    """The collection questions are asked against, and the files it must hold."""

    settings: Settings
    paths: tuple[Path, ...]
    only_if_empty: bool = False  # the user's own index: fill it with the sample corpus, never touch it otherwise
    build: dict | None = None  # an eval cache build (eval.cache): what it is of


def target_for(settings: Settings, docs: Path | None) -> Target:
    """Documents given: a collection of their own, in the eval cache when one is set.
    None: the index in the data dir."""
    if docs is None:
        return Target(settings, (SAMPLE_ARTICLES,), only_if_empty=True)
    root = settings.eval_cache_dir or settings.data_dir
    documents = files_fingerprint(docs)
    name = docs_collection(documents, settings)
    stored = settings.model_copy(update={"data_dir": root, "collection": name})
    return Target(stored, (_stored_copy(docs, root, name),), build=build_record(documents, settings))


def docs_collection(documents: str, settings: Settings) -> str:
    """``bench_<hash>`` of the documents' fingerprint and the ingest code and settings: a collection
    is reused only when it holds exactly what ingesting the files now would store, and two files
    with the same documents (NCPQA's CI and tuning samples both hold all 599) share one."""
    key = documents + ingest_fingerprint(settings)
    return f"bench_{hashlib.sha1(key.encode()).hexdigest()[:16]}"


def _stored_copy(docs: Path, root: Path, name: str) -> Path:
    """The documents copied beside the collection they fill, under its name. The catalog knows a
    file by its path, so the same documents read from another checkout (or another sample's
    file) would otherwise be ingested again into the collection that already holds them."""
    folder = documents_folder(root, name)
    copy = folder / ("documents" + docs.suffix)
    if not folder.exists():
        partial = folder.with_name(name + ".partial")  # renamed whole: a stopped run leaves no half copy
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        (shutil.copytree if docs.is_dir() else shutil.copyfile)(docs, partial / copy.name)
        partial.rename(folder)
    return copy


def ensure_ingested(target: Target, progress: bool = False, embeddings: Embeddings | None = None) -> dict:
    """Ingest the target's files (unchanged files cost nothing); the report says what it cost.

    A cache build not made yet starts from the vectors of the previous builds of its documents
    (eval.cache), which it then replaces. ``embeddings`` replaces the configured model.
    """
    settings, root = target.settings, target.settings.data_dir
    earlier = replaced_builds(root, settings.collection, target.build)
    reused = reusing(settings, earlier, embeddings) if earlier else None
    with open_index(settings, reused or embeddings) as idx:
        if target.only_if_empty and idx.store.count():
            return {"skipped": "collection not empty", "chunks_total": idx.store.count()}
        report = idx.ingest(list(target.paths), progress=progress).to_dict()
        total = idx.store.count()
    if report["failed"]:
        raise ValueError("ingest failed: " + "; ".join(f["reason"] for f in report["failed"]))
    if target.build:
        record_build(root, settings.collection, target.build)
        for name in earlier:
            drop_build(settings, name, reused)
    return {
        "seconds": report["seconds"],
        "documents": report["documents"],
        "chunks_embedded": reused.embedded if reused else report["chunks_embedded"],
        "chunks_total": total,
        **({"refreshed_from": earlier} if earlier else {}),
    }


@dataclass
class RecordingRetriever:
    """A Retriever that fetches RETRIEVED_DEPTH hits, hands the chain its k, and remembers all."""

    retriever: Retriever
    top_k: int  # the chain's k when it asks for none
    last: list[RetrievedChunk] = field(default_factory=list)

    def retrieve(
        self, question: str, search_filter: SearchFilter | None = None, k: int | None = None
    ) -> list[RetrievedChunk]:
        k = k or self.top_k
        self.last = self.retriever.retrieve(question, search_filter, max(k, RETRIEVED_DEPTH))
        return self.last[:k]


def answer_all(
    idx: Index, questions: list[Question], mode: str, backend: str, progress: bool = False, remove_gold: bool = False
) -> list[dict]:
    """One result row per question, in order; ``remove_gold``: each question asked with its gold
    documents and their near-copies left out of the search (see eval.removal)."""
    recording = RecordingRetriever(build_retriever(idx.settings, idx.store, mode), idx.settings.top_k)
    chain = build_chain(idx.settings, recording, backend)
    if questions:  # loads the embedding model and BM25 index, which latency should not include
        recording.retrieve(questions[0].question)
    rows = []
    for question in tqdm(questions, desc=f"{mode}{' removal' if remove_gold else ''}", unit="q", disable=not progress):
        search_filter = SearchFilter(exclude_doc_ids=question.doc_ids) if remove_gold else None
        started = time.perf_counter()
        answer = chain.ask(question.question, search_filter=search_filter).to_dict()
        latency_ms = round((time.perf_counter() - started) * 1000, 1)
        rows.append(_row(question, answer, recording.last, latency_ms))
    return rows


def _row(question: Question, answer: dict, hits: list[RetrievedChunk], latency_ms: float) -> dict:
    return {
        "id": question.id,
        "question": question.question,
        "answer": answer["answer"],
        "short_answer": answer["short_answer"],  # what F1/EM judge, when there is one
        "refused": answer["refused"],
        "citations": answer["citations"],
        "warnings": answer["warnings"],
        "retrieved": [
            {
                "doc_id": h.chunk.doc_id,
                "canonical_doc_id": h.chunk.story_id,
                "chunk_id": h.chunk.chunk_id,
                "rank": rank,
                "score": round(h.score, 6),
            }
            for rank, h in enumerate(hits, start=1)
        ],
        "latency_ms": latency_ms,
    }


@dataclass(frozen=True)
class ModeRun:
    mode: str
    rows: list[dict]
    seconds: float
    removal: list[dict] | None = None  # the removal questions' rows, when asked with this mode
    removal_seconds: float | None = None


def run_target(
    target: Target, questions: list[Question], modes: list[str], backend: str, removal_modes: Sequence[str] = ()
) -> tuple[dict, list[ModeRun]]:
    """Ingest once, then answer every question with each retriever mode; with each of
    ``removal_modes`` also ask the removal questions (eval.removal) with their gold left out."""
    progress = sys.stderr.isatty()
    runs = []
    ingest = ensure_ingested(target, progress)
    with open_index(target.settings) as idx:
        removable = removal_questions(questions, library_texts(idx, target.paths)) if removal_modes else []
        for mode in modes:
            started = time.perf_counter()
            rows = answer_all(idx, questions, mode, backend, progress)
            seconds = round(time.perf_counter() - started, 1)
            if mode not in removal_modes:
                runs.append(ModeRun(mode, rows, seconds))
                continue
            started = time.perf_counter()
            removal = answer_all(idx, removable, mode, backend, progress, remove_gold=True)
            runs.append(ModeRun(mode, rows, seconds, removal, round(time.perf_counter() - started, 1)))
    return ingest, runs
