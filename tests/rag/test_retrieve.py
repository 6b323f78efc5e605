"""HybridRetriever over an in-memory ChunkSearch (fixed lists), and on the hash-embedded sample index."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from index.types import Chunk
from index.search import ScoredChunk, SearchFilter
from policyqa.factory import build_retriever
from core.settings import Settings
from rag.retrieve import HybridRetriever
from rag.types import Retriever
from tests.rag.conftest import make_chunk

A, B, C, D, E = (make_chunk(f"第{n}段：{topic}。", doc_id=f"doc{n}") for n, topic in enumerate(
    ["户籍人口1867人", "外来人员约8500人", "在册党员118人", "综合网格7个", "专职网格员7名"], start=1))  # fmt: skip
BM25 = [A, B, C, D]
DENSE = [D, C, E, A]


def scored(chunks: list[Chunk]) -> list[ScoredChunk]:
    return [ScoredChunk(c, float(len(chunks) - i)) for i, c in enumerate(chunks)]


@dataclass
class FixedSearch:
    """A ChunkSearch answering every query with two fixed lists (cut at k); it records the calls."""

    bm25_hits: list[Chunk]
    dense_hits: list[Chunk]
    calls: list[tuple[str, str, int, SearchFilter | None]] = field(default_factory=list)

    def search_bm25(self, query: str, k: int, search_filter: SearchFilter | None = None) -> list[ScoredChunk]:
        self.calls.append(("bm25", query, k, search_filter))
        return scored(self.bm25_hits)[:k]

    def search_dense(self, query: str, k: int, search_filter: SearchFilter | None = None) -> list[ScoredChunk]:
        self.calls.append(("dense", query, k, search_filter))
        return scored(self.dense_hits)[:k]


def retriever(mode: str = "", bm25=BM25, dense=DENSE, **settings) -> HybridRetriever:
    return HybridRetriever(store=FixedSearch(bm25, dense), settings=Settings(**settings), mode=mode)


def texts(hits) -> list[str]:
    return [h.chunk.text for h in hits]


# --- modes, k and fusion ----------------------------------------------------------------------


@pytest.mark.parametrize("mode, listed", [("bm25", BM25), ("dense", DENSE)])
def test_a_single_mode_reads_only_its_own_list(mode, listed):
    r = retriever(mode, top_k=10)
    hits = r.retrieve("问题")
    assert texts(hits) == [c.text for c in listed]
    assert all(h.ranks.keys() == {mode} for h in hits)
    assert [call[0] for call in r.store.calls] == [mode]


def test_hybrid_mode_fuses_both_lists_and_nothing_else():
    r = retriever("hybrid", top_k=10)
    hits = r.retrieve("问题")
    assert sorted(texts(hits)) == sorted({c.text for c in BM25 + DENSE})
    assert sorted(call[0] for call in r.store.calls) == ["bm25", "dense"]
    by_text = {h.chunk.text: h.ranks for h in hits}
    assert by_text[A.text] == {"bm25": 1, "dense": 4}
    assert by_text[E.text] == {"dense": 3}


def test_mode_empty_means_the_configured_retriever():
    r = retriever("", retriever="dense", top_k=10)
    assert texts(r.retrieve("问题")) == [c.text for c in DENSE]


def test_the_store_is_asked_for_the_configured_candidates_with_the_filter_and_a_simplified_query():
    r = retriever("hybrid", candidates=3)
    limits = SearchFilter(doc_ids=("doc1",))
    r.retrieve("東華村戶籍人口", limits)
    assert sorted(r.store.calls) == [("bm25", "东华村户籍人口", 3, limits), ("dense", "东华村户籍人口", 3, limits)]


def test_k_cuts_the_fused_list_and_defaults_to_top_k():
    assert len(retriever("hybrid", top_k=10).retrieve("问题")) == 5
    assert len(retriever("hybrid", top_k=10).retrieve("问题", k=2)) == 2
    assert len(retriever("hybrid", top_k=3).retrieve("问题")) == 3


@pytest.mark.parametrize("fusion", ["rrf", "convex"])
def test_a_zero_weight_leaves_the_other_retrievers_order(fusion):
    only_bm25 = retriever("hybrid", top_k=10, fusion=fusion, dense_weight=0.0).retrieve("问题")
    assert texts(only_bm25)[:4] == [c.text for c in BM25]
    only_dense = retriever("hybrid", top_k=10, fusion=fusion, bm25_weight=0.0).retrieve("问题")
    assert texts(only_dense)[:4] == [c.text for c in DENSE]


def test_the_heavier_retriever_decides_between_two_first_places():
    assert texts(retriever("hybrid", bm25_weight=1.0, dense_weight=0.3).retrieve("问题", k=1)) == [A.text]
    assert texts(retriever("hybrid", bm25_weight=0.3, dense_weight=1.0).retrieve("问题", k=1)) == [D.text]


def test_fused_scores_are_best_first():
    scores = [h.score for h in retriever("hybrid", top_k=10).retrieve("问题")]
    assert len(scores) == 5 and scores == sorted(scores, reverse=True)


# --- reposted copies ---------------------------------------------------------------------------

TEXT = "东华村共设置了7个综合网格，配备了7名专职网格员。"


def test_reposted_copies_of_one_passage_collapse_to_the_best():
    original = make_chunk(TEXT, doc_id="news")
    repost = Chunk("repost", TEXT, TEXT, 0, len(TEXT), title="", canonical_doc_id="news")
    hits = retriever("hybrid", bm25=[repost, A], dense=[original, repost, A], top_k=10).retrieve("问题")
    assert [h.chunk.doc_id for h in hits] == ["repost", A.doc_id]  # the repost ranks higher in both lists


def test_the_same_text_in_unrelated_articles_is_kept_twice():
    one = make_chunk(TEXT, doc_id="one")
    other = make_chunk(TEXT, doc_id="other")  # no shared story: not a copy
    hits = retriever("bm25", bm25=[one, other], top_k=10).retrieve("问题")
    assert [h.chunk.doc_id for h in hits] == ["one", "other"]


# --- LangChain -----------------------------------------------------------------------------------


def test_it_is_a_langchain_retriever_whose_documents_carry_chunk_id_and_score():
    r = retriever("hybrid", top_k=3)
    assert isinstance(r, BaseRetriever) and isinstance(r, Retriever)
    docs = r.invoke("问题")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    hits = r.retrieve("问题")
    assert [d.metadata["chunk_id"] for d in docs] == [h.chunk.chunk_id for h in hits]
    assert [d.metadata["score"] for d in docs] == [h.score for h in hits]
    assert [d.page_content for d in docs] == texts(hits)


# --- on the sample index -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["bm25", "hybrid"])
def test_the_population_question_finds_the_census_passage_first(fake_index, mode):
    hits = build_retriever(fake_index.settings, fake_index.store, mode).retrieve("东华村户籍人口有多少？")
    assert hits and "1867人" in hits[0].chunk.text
    assert hits[0].chunk.doc_id == "002_258a9ff317ac8ce5#1"
