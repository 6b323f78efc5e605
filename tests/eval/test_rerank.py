from eval.rerank import rerank_markdown, reranked
from rag.answerability import FEATURES, AnswerabilityModel
from rag.types import RetrievedChunk
from tests.rag.conftest import make_chunk


def model_reading(feature: str) -> AnswerabilityModel:
    n = len(FEATURES)
    weights = [5.0 if name == feature else 0.0 for name in FEATURES]
    return AnswerabilityModel(list(FEATURES), [0.0] * n, [1.0] * n, weights, 0.0, 0.5)


def hit(text: str, doc_id: str, rank: int) -> RetrievedChunk:
    return RetrievedChunk(make_chunk(text, doc_id=doc_id), 1 / rank, {"bm25": rank}, {"bm25": 1.0})


def test_chunks_are_reordered_by_what_each_alone_says_ties_keep_the_fused_order():
    hits = [hit("东华村成立于1950年。", "a", 1), hit("东华村户籍人口1867人。", "b", 2), hit("天气晴朗。", "c", 3),
            hit("另一篇写东华村户籍人口1867人。", "d", 4)]  # fmt: skip
    order = [h.chunk.doc_id for h in reranked(model_reading("asked_in_lead"), "东华村户籍人口有多少？", hits)]
    assert order[:2] == ["b", "d"] and set(order[2:]) == {"a", "c"}
    assert [h.chunk.doc_id for h in reranked(model_reading("hits"), "东华村户籍人口有多少？", hits)] == list("abcd")


def test_report_table_names_the_decision():
    pair = {"better": 3, "worse": 9, "same": 38, "p": 0.146}
    row = {"set": "crud", "questions": 50, "mrr": {"bm25": 0.7, "hybrid": 0.72, "reranked": 0.6},
           "reranked_vs_bm25": pair, "hybrid_vs_bm25": pair, "reranked_vs_hybrid": pair}  # fmt: skip
    text = rerank_markdown({"depth": 20, "sets": [row], "adopt": False, "seconds": 1.0})
    assert "Adopted: no" in text and "| crud | 50 | 0.700 | 0.720 | 0.600 | 3 / 9, p 0.146 |" in text
