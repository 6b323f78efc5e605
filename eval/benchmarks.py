"""Fixed samples of the external benchmarks, built at run time from ../shared into the data dir.

The benchmark text is licensed to others and must not enter the repository, so the samples
are rebuilt wherever they are needed. A sample is a pure function of the source files:
questions and distractor documents are picked in order of a salted hash of their ids.

CRUD-RAG's sample is a haystack of 3,000 documents whose distractors are the questions' nearest
BM25 neighbours in its 68k articles (eval.hard_negatives); a built sample is kept beside its
files with the key it was built from, since ranking the pool takes about 20 s. NCPQA's holds
all 599 documents of its corpus.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from eval.hard_negatives import nearest_documents
from eval.paths import SAMPLE_ARTICLES, SEEDS, SHARED_BENCHMARKS
from eval.report import write_rows

_SALT = "policyqa-eval-1"  # changing it draws new samples: old runs stop being comparable
_DOC_KEYS = ("doc_id", "title", "text", "source")
# Scraped news dates come as "2023-07-28 16：40", "2023年07月28日 … 来自北京", "来源：…";
# documents get the ISO day when one can be read, else no date.
_DATE = re.compile(r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})")


@dataclass(frozen=True)
class Sample:
    """Which files of a benchmark, and how much of it: questions, and documents in all."""

    folder: str
    qa: str
    docs: str  # a glob inside the folder
    questions: int
    documents: int  # the gold documents of the sampled questions, then distractors up to this
    salt: str = _SALT
    held_out: Sample | None = None  # never pick a question this other sample picks
    # Globs under the benchmarks folder to draw distractors from as the questions' nearest BM25
    # neighbours; empty: distractors are the set's own other documents, by salted hash.
    pool: tuple[str, ...] = ()


SAMPLES = {
    # In-domain: government policy; all 599 documents (171 gold), every one a close distractor.
    "ncpqa": Sample("ncpqa", "qa.dev.jsonl", "docs.jsonl", questions=200, documents=599),
    # News; 150 questions link 281 documents (1-3 each), then their nearest neighbours in the corpus.
    "crud": Sample("crud_rag", "qa.dev.jsonl", "docs-*.jsonl", 150, 3000, pool=("crud_rag/docs-*.jsonl",)),
    # Answer spans (F1/EM); retrieval is too easy here to rank retrievers.
    "cmrc": Sample("cmrc2018", "dev.qa.jsonl", "dev.docs.jsonl", questions=200, documents=250),
}
SETS = ("seeds", *SAMPLES)

# Fusion is tuned on these (`policyqa eval-tune`) and judged on SAMPLES, whose questions they
# never share: weights chosen on the CI questions would flatter the fused retriever there.
TUNING_SAMPLES = {
    # Every NCPQA question the CI sample leaves, over all 599 documents.
    "ncpqa": Sample("ncpqa", "qa.dev.jsonl", "docs.jsonl", 381, 599, "policyqa-tune-1", SAMPLES["ncpqa"]),
    "crud": Sample("crud_rag", "qa.dev.jsonl", "docs-*.jsonl", 200, 600, "policyqa-tune-1", SAMPLES["crud"]),
}


@dataclass(frozen=True)
class BenchSet:
    name: str
    questions: Path
    docs: Path  # a JSON Lines file, or the sample articles folder for the seeds


def bench_set(name: str, data_dir: Path, shared: Path = SHARED_BENCHMARKS) -> BenchSet:
    """The set's questions and documents, building the sample into ``data_dir`` when external."""
    if name == "seeds":
        return BenchSet(name, SEEDS, SAMPLE_ARTICLES)
    return _external(name, SAMPLES, SETS, data_dir, shared)


def tuning_set(name: str, data_dir: Path, shared: Path = SHARED_BENCHMARKS) -> BenchSet:
    """The tuning sample of an external set, named ``<name>-tune``."""
    return _external(name, TUNING_SAMPLES, tuple(TUNING_SAMPLES), data_dir, shared, "-tune")


def _external(name: str, samples: dict, known: tuple, data_dir: Path, shared: Path, suffix: str = "") -> BenchSet:
    if name not in samples:
        raise ValueError(f"unknown benchmark set {name!r}; choose from {', '.join(known)}")
    if not (shared / samples[name].folder).is_dir():
        raise FileNotFoundError(f"{shared / samples[name].folder} not found: pass --benchmarks pointing at shared/benchmarks")
    return build_sample(name + suffix, samples[name], shared, data_dir / "benchmarks")


def build_sample(name: str, sample: Sample, shared: Path, out: Path) -> BenchSet:
    """The sample's questions and documents under ``out``, reused while the sample and its
    source files are unchanged."""
    built = BenchSet(name, out / f"{name}.qa.jsonl", out / f"{name}.docs.jsonl")
    key_path, key = out / f"{name}.key.json", _sample_key(sample, shared)
    if built.questions.exists() and built.docs.exists() and key_path.exists():
        if json.loads(key_path.read_text(encoding="utf-8")) == key:
            return built
    folder = shared / sample.folder
    questions = _pick_questions(sample, folder)
    gold = {doc_id for q in questions for doc_id in _doc_ids(q)}
    docs = [d for d in _read_all(folder, sample.docs) if d["doc_id"] in gold]
    missing = gold - {d["doc_id"] for d in docs}
    if missing:
        raise ValueError(f"{name}: gold documents missing from {folder}: {sorted(missing)[:5]}")
    docs += _distractors(sample, shared, questions, gold, max(0, sample.documents - len(docs)))
    write_rows(built.questions, [_question_row(q) for q in questions])
    write_rows(built.docs, [_doc_row(d) for d in sorted(docs, key=lambda d: d["doc_id"])])
    key_path.write_text(json.dumps(key, ensure_ascii=False), encoding="utf-8")
    return built


def _distractors(sample: Sample, shared: Path, questions: list[dict], gold: set[str], n: int) -> list[dict]:
    if not sample.pool:
        others = (d for d in _read_all(shared / sample.folder, sample.docs) if d["doc_id"] not in gold)
        return first_by_hash(others, "doc_id", n, sample.salt)
    pool = [d for pattern in sample.pool for d in _read_all(shared, pattern)]
    return nearest_documents([q["question"] for q in questions], pool, gold, n)


def _sample_key(sample: Sample, shared: Path) -> dict:
    """What a built sample depends on: its definition and the size and time of its source files."""
    patterns = (f"{sample.folder}/{sample.qa}", f"{sample.folder}/{sample.docs}", *sample.pool)
    files = sorted({p for pattern in patterns for p in shared.glob(pattern)})
    return {"sample": repr(sample), "files": [[str(p), p.stat().st_size, p.stat().st_mtime_ns] for p in files]}


def _pick_questions(sample: Sample, folder: Path) -> list[dict]:
    taken = {q["id"] for q in _pick_questions(sample.held_out, folder)} if sample.held_out else set()
    free = (q for q in read_jsonl(folder / sample.qa) if q["id"] not in taken)
    return first_by_hash(free, "id", sample.questions, sample.salt)


def salted_hash(key: str, salt: str) -> str:
    """A stable pseudo-random order of ids: changing the salt draws another sample."""
    return hashlib.sha1(f"{salt}:{key}".encode()).hexdigest()


def first_by_hash(rows: Iterable[dict], key: str, n: int, salt: str = _SALT) -> list[dict]:
    """The n rows whose salted id hash is smallest: a stable sample, whatever the file order."""
    picked = heapq.nsmallest(n, rows, key=lambda row: salted_hash(row[key], salt))
    return sorted(picked, key=lambda row: row[key])


def _question_row(question: dict) -> dict:
    """The fields evaluation reads; the benchmark's passage ``context`` stays behind."""
    return {
        "id": question["id"],
        "question": question["question"],
        "answers": question["answers"],
        "doc_ids": _doc_ids(question),
    }


def _doc_row(doc: dict) -> dict:
    row = {k: doc[k] for k in _DOC_KEYS if doc.get(k) is not None}
    if match := _DATE.search(doc.get("date") or ""):
        row["date"] = "{}-{:0>2}-{:0>2}".format(*match.groups())
    return row


def _doc_ids(question: dict) -> list[str]:
    return question.get("doc_ids") or [question["doc_id"]]


def read_jsonl(path: Path) -> Iterator[dict]:
    """The rows of a JSON Lines file; blank lines are skipped."""
    with path.open(encoding="utf-8") as lines:
        yield from (json.loads(line) for line in lines if line.strip())


def _read_all(folder: Path, pattern: str) -> Iterator[dict]:
    for path in sorted(folder.glob(pattern)):
        yield from read_jsonl(path)
