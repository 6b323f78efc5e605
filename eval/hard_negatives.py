"""Distractor documents that resemble the questions: each question's nearest BM25 neighbours.

Random distractors are easy to tell apart from the gold documents (CRUD-RAG's CI haystack read
hit@1 0.78 with them where its full corpus gives about 0.6), so the CI samples draw theirs from
the top of a BM25 ranking of every pool document against every sampled question.

Written here rather than with bm25s: the index's tokenizer builds Python lists of every
uni- and bigram, which for the 68k-document CRUD-RAG pool is gigabytes; scikit-learn counts
character bigrams in sparse matrices and the BM25 weighting is a few array operations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from index.bm25_topk import B, K1  # the library's own BM25 constants

DEPTH = 200  # how far down each question's ranking distractors are taken from


def nearest_documents(questions: Sequence[str], docs: Sequence[dict], skip: set[str], n: int) -> list[dict]:
    """Up to ``n`` documents of ``docs`` not in ``skip``: the best-ranked document of every question,
    then the second-best of every question, and so on, so each question gets its own distractors."""
    if n <= 0 or not docs or not questions:
        return []
    rankings, scores = _rankings(questions, [f"{d.get('title') or ''}\n{d['text']}" for d in docs])
    picked: dict[str, dict] = {}
    for rank in range(rankings.shape[1]):
        for row, score in zip(rankings[:, rank], scores[:, rank]):
            doc = docs[row]
            if score > 0 and doc["doc_id"] not in skip and doc["doc_id"] not in picked:
                picked[doc["doc_id"]] = doc
                if len(picked) == n:
                    return list(picked.values())
    return list(picked.values())


def _rankings(questions: Sequence[str], texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Row q: indexes of the DEPTH texts with the highest BM25 score for question q, best first,
    and those scores."""
    # Only the questions' bigrams can score, so only they are counted (a tenth of the memory).
    vectorizer = CountVectorizer(analyzer="char", ngram_range=(2, 2), dtype=np.float32).fit(questions)
    counts = vectorizer.transform(texts).tocsr()
    lengths = np.array([max(len(text) - 1, 1) for text in texts], dtype=np.float32)
    scores = (_bm25_weights(counts, lengths) @ _binary(vectorizer.transform(questions)).T).T.toarray()
    depth = min(DEPTH, scores.shape[1])
    top = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
    # Ties fall back to the text order, so the sample is the same on every machine.
    top_scores = np.take_along_axis(scores, top, axis=1)
    order = np.lexsort((top, -top_scores), axis=1)
    return np.take_along_axis(top, order, axis=1), np.take_along_axis(top_scores, order, axis=1)


def _bm25_weights(counts: sparse.csr_matrix, lengths: np.ndarray) -> sparse.csr_matrix:
    """Each (document, bigram) count replaced by its BM25 term weight; ``lengths`` in bigrams."""
    frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log(1 + (counts.shape[0] - frequency + 0.5) / (frequency + 0.5))
    norm = K1 * (1 - B + B * lengths / lengths.mean())
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    tf = counts.data
    weights = counts.copy()
    weights.data = (idf[counts.indices] * tf * (K1 + 1) / (tf + norm[rows])).astype(np.float32)
    return weights


def _binary(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    matrix = matrix.tocsr(copy=True)
    matrix.data[:] = 1.0
    return matrix
