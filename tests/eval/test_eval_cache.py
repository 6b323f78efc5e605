"""A benchmark index built by earlier ingest code is refreshed, not rebuilt: vectors of unchanged
text are reused, the result equals a cold build, and the earlier build goes."""

import numpy as np

from core.settings import Settings
from eval.cache import BUILD_FILE
from eval.runner import ensure_ingested, target_for
from index.service import open_index
from tests.conftest import ARTICLES
from tests.fakes import HashEmbeddings


def stored(target) -> tuple[list[dict], dict[str, np.ndarray]]:
    with open_index(target.settings, HashEmbeddings()) as idx:
        rows = [{**row, "path": None} for row in idx.export_rows()]  # each build reads its own copy
        return rows, dict(idx.store.embedded_vectors())


def test_new_ingest_code_refreshes_the_previous_build_of_the_same_documents(tmp_path):
    old = Settings(data_dir=tmp_path / "data", eval_cache_dir=tmp_path / "cache")
    new = old.model_copy(update={"chunk_max_chars": 300})  # another ingest fingerprint, the same vectors
    previous = target_for(old, ARTICLES)
    ensure_ingested(previous, embeddings=HashEmbeddings())
    _, previous_vectors = stored(previous)

    target = target_for(new, ARTICLES)
    refreshed = ensure_ingested(target, embeddings=HashEmbeddings())
    cold_target = target_for(new.model_copy(update={"eval_cache_dir": tmp_path / "cold"}), ARTICLES)
    cold = ensure_ingested(cold_target, embeddings=HashEmbeddings())

    rows, vectors = stored(target)
    cold_rows, cold_vectors = stored(cold_target)
    assert rows == cold_rows and vectors.keys() == cold_vectors.keys()
    assert all(np.allclose(vectors[text], cold_vectors[text]) for text in vectors)
    assert refreshed["refreshed_from"] == [previous.settings.collection]
    new_texts = set(cold_vectors) - set(previous_vectors)
    assert 0 < refreshed["chunks_embedded"] == len(new_texts) < cold["chunks_embedded"] == len(cold_rows)

    # The previous build is gone, whole; the new one is reused as it is.
    documents = tmp_path / "cache" / "documents"
    assert sorted(p.name for p in documents.iterdir()) == [target.settings.collection]
    assert not previous.settings.manifest_path.exists() and not previous.settings.bm25_dir.exists()
    with open_index(previous.settings, HashEmbeddings()) as idx:
        assert idx.store.count() == 0
    again = ensure_ingested(target_for(new, ARTICLES), embeddings=HashEmbeddings())
    assert again["chunks_embedded"] == 0 and "refreshed_from" not in again


def test_a_build_of_other_vectors_or_documents_is_left_alone(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", eval_cache_dir=tmp_path / "cache")
    first = target_for(settings, ARTICLES)
    ensure_ingested(first, embeddings=HashEmbeddings())
    other_prefix = target_for(settings.model_copy(update={"passage_prefix": "段落："}), ARTICLES)
    report = ensure_ingested(other_prefix, embeddings=HashEmbeddings())
    assert "refreshed_from" not in report and report["chunks_embedded"] == report["chunks_total"]
    assert (tmp_path / "cache" / "documents" / first.settings.collection / BUILD_FILE).exists()
