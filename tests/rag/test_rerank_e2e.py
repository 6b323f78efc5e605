"""The optional cross-encoder reranker: any sentence-transformers CrossEncoder folder, offline."""

from __future__ import annotations

import pytest
import sentence_transformers
from sentence_transformers import CrossEncoder

from models.e5_convert import ensure_default_model
from policyqa.factory import build_retriever

pytestmark = pytest.mark.e2e

QUESTION = "東華村戶籍人口有多少？"


def test_reranking_reorders_every_candidate_by_the_cross_encoder_scores(sample_index, monkeypatch):
    # The scorer ranks passages in the reverse of the fused order, so the expected hits follow
    # from the unreranked list alone and differ from it: a skipped, partial or unsorted rerank fails.
    fused = build_retriever(sample_index.settings, sample_index.store).retrieve(QUESTION, k=1000)
    texts = [h.chunk.search_text for h in fused]
    assert len(fused) > 5 and len(set(texts)) == len(texts)
    built, asked = [], []

    class ReverseScorer:
        def __init__(self, name, device):
            built.append((name, device))

        def predict(self, pairs):
            asked.extend(q for q, _ in pairs)
            return [float(texts.index(text)) for _, text in pairs]

    monkeypatch.setattr(sentence_transformers, "CrossEncoder", ReverseScorer)
    settings = sample_index.settings.model_copy(update={"reranker": "some/cross-encoder"})
    hits = build_retriever(settings, sample_index.store).retrieve(QUESTION, k=5)

    assert built == [("some/cross-encoder", "cpu")]
    assert set(asked) == {"东华村户籍人口有多少？"}  # the simplified question, as the index is searched
    assert [h.chunk.chunk_id for h in hits] == [h.chunk.chunk_id for h in reversed(fused)][:5]
    assert [h.score for h in hits] == [float(len(fused) - 1 - i) for i in range(5)]
    assert [h.ranks for h in hits] == [h.ranks for h in reversed(fused)][:5]  # fused ranks stay for evaluation


def test_a_cross_encoder_folder_loads_offline_and_orders_the_hits(sample_index):
    # No trained cross-encoder ships offline; the e5 folder loads as one with a fresh head,
    # so only the loading and the ordering can be checked here, not which passage wins.
    folder = str(ensure_default_model(sample_index.settings.model_cache_dir))
    settings = sample_index.settings.model_copy(update={"reranker": folder})
    retriever = build_retriever(settings, sample_index.store)
    hits = retriever.retrieve(QUESTION, k=5)
    assert isinstance(retriever._reranker, CrossEncoder)
    assert len(hits) == 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.ranks for h in hits)
