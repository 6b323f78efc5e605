"""The benchmark's "dense" column must be the store's plain dense search with the same model."""

import pytest

from eval.paths import SEEDS
from eval.questions import load_questions
from index.text.script import to_simplified
from policyqa.factory import build_retriever

pytestmark = pytest.mark.e2e


def test_dense_mode_ranks_like_the_stores_dense_search(sample_index):
    retriever = build_retriever(sample_index.settings, sample_index.store, "dense")
    for question in load_questions(SEEDS, limit=15):
        # Query simplification is shared preprocessing, not part of either retriever.
        baseline = sample_index.store.search_dense(to_simplified(question.question), k=5)
        ours = retriever.retrieve(question.question, k=5)
        assert len(ours) == 5, question.id
        assert [h.chunk.chunk_id for h in ours] == [h.chunk.chunk_id for h in baseline], question.id
