"""The scale benchmark's corpus: CRUD-RAG's docs then the CCTV news, cut into small JSON Lines shards.

The articles CRUD-RAG's questions are about come first, so every part (even the 10k one) answers
the same questions from their own articles. A few other CRUD articles are held out as probes:
each part times adding one of them to the index it has built. Written once, then read back.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
CRUD = SHARED / "benchmarks" / "crud_rag"
XWLB = SHARED / "corpus" / "xwlb"
SHARD_ARTICLES = 100  # ~200 chunks: small enough that a part stops close to its target
PROBES = 12  # per part one timed, one profiled; and spares
WARMUP = 10  # questions asked before timing, never timed
SEED = 12  # the number: the sample of questions is the same on every run
_FIELDS = ("doc_id", "title", "text", "source", "date")


@dataclass(frozen=True)
class Shard:
    path: str
    articles: int
    chars: int


@dataclass(frozen=True)
class Corpus:
    """The shards in ingest order, the probe files, and the question files (timed and warm-up)."""

    folder: Path
    shards: list[Shard]
    probes: list[str]

    @property
    def questions_path(self) -> Path:
        return self.folder / "questions.jsonl"

    @property
    def warmup_path(self) -> Path:
        return self.folder / "warmup.jsonl"


def load_corpus(
    folder: Path, crud: Path = CRUD, xwlb: Path = XWLB, questions: int = 200, shard_articles: int = SHARD_ARTICLES
) -> Corpus:
    """The corpus written in ``folder``, writing it first if it is not there yet."""
    folder = folder.resolve()  # shard paths are compared with the catalog's resolved ones
    manifest = folder / "corpus.json"
    if not manifest.exists():
        _write_corpus(folder, crud, xwlb, questions, shard_articles)
    stored = json.loads(manifest.read_text(encoding="utf-8"))
    return Corpus(folder, [Shard(**s) for s in stored["shards"]], stored["probes"])


def read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        yield from (json.loads(line) for line in handle if line.strip())


def _records(folder: Path) -> Iterator[dict]:
    for path in sorted(folder.glob("docs-*.jsonl")):
        for record in read_jsonl(path):
            yield {k: record[k] for k in _FIELDS if record.get(k)}


def _write_corpus(folder: Path, crud: Path, xwlb: Path, questions: int, shard_articles: int) -> None:
    qa = list(read_jsonl(crud / "qa.dev.jsonl"))
    asked = {doc_id for q in qa for doc_id in q["doc_ids"]}
    first = [r for r in _records(crud) if r["doc_id"] in asked]
    rest = [r for r in _records(crud) if r["doc_id"] not in asked]
    probes, rest = rest[-PROBES:], rest[:-PROBES]
    folder.mkdir(parents=True, exist_ok=True)
    shards = _write_shards(folder / "shards", [*first, *rest, *_records(xwlb)], shard_articles)
    probe_paths = []
    for n, record in enumerate(probes):
        path = folder / "probes" / f"probe-{n}.jsonl"
        _write_lines(path, [record])
        probe_paths.append(str(path))
    _write_questions(folder, qa, {r["doc_id"] for r in first}, questions)
    manifest = {"shards": [asdict(s) for s in shards], "probes": probe_paths}
    (folder / "corpus.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")  # last: marks it complete


def _write_shards(folder: Path, records: list[dict], size: int) -> list[Shard]:
    shards = []
    for start in range(0, len(records), size):
        batch = records[start : start + size]
        path = folder / f"shard-{start // size:05d}.jsonl"
        _write_lines(path, batch)
        shards.append(Shard(str(path), len(batch), sum(len(r["text"]) for r in batch)))
    return shards


def _write_questions(folder: Path, qa: list[dict], stored: set[str], questions: int) -> None:
    """A seeded sample of the questions whose articles are all in the first shards."""
    usable = [q for q in qa if set(q["doc_ids"]) <= stored]
    random.Random(SEED).shuffle(usable)
    keep = ("id", "question", "answers", "doc_ids")
    picked = [{k: q[k] for k in keep} for q in usable[: questions + WARMUP]]
    _write_lines(folder / "questions.jsonl", picked[:questions])
    _write_lines(folder / "warmup.jsonl", picked[questions:])


def _write_lines(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    path.write_text(text, encoding="utf-8")
