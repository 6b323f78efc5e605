"""The optional cross-encoder reranker: any sentence-transformers CrossEncoder folder, offline."""

from __future__ import annotations

import pytest
from sentence_transformers import CrossEncoder

from models.e5_convert import ensure_default_model
from rag.retrieve import HybridRetriever

pytestmark = pytest.mark.e2e


def test_reranked_hits_carry_the_cross_encoder_scores_best_first(sample_index):
    # No trained cross-encoder ships offline; the e5 folder loads as one with a fresh head,
    # which is enough to check the wiring: scores come from the model and order the hits.
    folder = str(ensure_default_model(sample_index.settings.model_cache_dir))
    settings = sample_index.settings.model_copy(update={"reranker": folder})
    hits = HybridRetriever(sample_index.store, settings).retrieve("东华村户籍人口有多少？", k=5)
    expected = CrossEncoder(folder, device="cpu").predict([("东华村户籍人口有多少？", h.chunk.search_text) for h in hits])
    assert len(hits) == 5
    assert [h.score for h in hits] == pytest.approx([float(s) for s in expected], abs=1e-5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.ranks for h in hits)  # the fused ranks stay visible for evaluation
