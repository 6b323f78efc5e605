"""What an ingest stores, pinned: every chunk's id, embedded text, metadata and vector, for the
sample articles (one traditional) and a JSON Lines file of them (copies of those, so near-copy
links are in play too). A change meant to be faster (batching, threads, another OpenCC) must
leave all of it as it was; digests stand for the rows, which are 400 kB. A change meant to alter
it rewrites tests/index/golden/stored.json with ``python -m tests.index.test_stored_golden``."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

import index.pipeline
from index.service import open_index
from tests.conftest import ARTICLES, make_settings
from tests.fakes import HashEmbeddings

GOLDEN = Path(__file__).resolve().parent / "golden" / "stored.json"


def stored_rows(folder: Path) -> list[dict]:
    """Ingest the sample articles from ``folder`` (in two article batches); the rows Chroma holds, by id."""
    for path in sorted(ARTICLES.glob("*.txt")):
        shutil.copy(path, folder / path.name)
    texts = [p.read_text(encoding="utf-8") for p in sorted(ARTICLES.glob("*.txt"))]
    records = [{"doc_id": f"r{i}", "title": f"第{i}号", "text": text} for i, text in enumerate(texts)]
    (folder / "records.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    with open_index(make_settings(folder / "data", embed_batch_size=4), HashEmbeddings()) as idx:
        idx.ingest([folder / p.name for p in sorted(ARTICLES.glob("*.txt"))] + [folder / "records.jsonl"])
        rows = [
            {
                "id": chunk_id,
                "document": _digest(document.encode()),
                "metadata": _digest(json.dumps(meta, sort_keys=True, ensure_ascii=False).replace(str(folder), "").encode()),
                "vector": _digest(np.asarray(vector, dtype=np.float32).tobytes()),
            }
            for page in idx.store.vector_pages()
            for chunk_id, vector, document, meta in zip(page["ids"], page["embeddings"], page["documents"], page["metadatas"])
        ]
    return sorted(rows, key=lambda row: row["id"])


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def test_an_ingest_stores_what_it_stored_before(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(index.pipeline, "_ARTICLE_BATCH", 3)  # the records file in two batches
    rows = stored_rows(tmp_path)
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert len(rows) == len(golden) > 40
    for row, expected in zip(rows, golden):
        assert row == expected


if __name__ == "__main__":
    import tempfile

    index.pipeline._ARTICLE_BATCH = 3
    with tempfile.TemporaryDirectory() as tmp:
        GOLDEN.write_text(json.dumps(stored_rows(Path(tmp)), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
