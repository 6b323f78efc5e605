"""The benchmark's "dense" column must be the plain LangChain + Chroma baseline with the same model."""

import pytest

from eval.paths import SEEDS
from eval.questions import load_questions
from index.text.script import to_simplified
from rag.retrieve import HybridRetriever

pytestmark = pytest.mark.e2e


def test_dense_mode_ranks_like_chroma_similarity_search(sample_index):
    retriever = HybridRetriever(sample_index.store, sample_index.settings, "dense")
    for question in load_questions(SEEDS, limit=15):
        # Query simplification is shared preprocessing, not part of either retriever.
        baseline = sample_index.store.vectors.similarity_search(to_simplified(question.question), k=5)
        ours = retriever.retrieve(question.question, k=5)
        assert [h.chunk.chunk_id for h in ours] == [d.metadata["chunk_id"] for d in baseline], question.id
