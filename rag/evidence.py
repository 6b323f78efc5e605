"""How well the retrieved chunks cover a question: the score behind refusing to answer.

``evidence_score`` is the weighted fraction of the question's content terms (see
``rag.question``) found in the best single hit (its ``Chunk.match_text``). Weights are
smoothed IDF over the hits themselves: a term every hit shares (党建 in a corpus of
party-building articles) says little, while a term no hit contains (深圳, 南山) weighs most,
so a question about a place or topic the articles never mention scores low even when the
hits match its generic words. Over BM25's top 5 paragraphs of the sample articles,
answerable questions score 0.7-1.0 (东华村户籍人口有多少, 市捐赠站站长是谁: 1.0) and questions
about places the articles never mention 0.06-0.13 (深圳市南山区有哪些党建做法: 0.08). It is one
feature of ``rag.answerability``, whose fitted model decides refusals; ``uncovered`` names the
question's places and numbers no hit mentions, as warnings on the answer."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rag.question import QuestionAnalysis
from rag.types import RetrievedChunk


def term_weights(terms: frozenset[str], texts: Sequence[str]) -> dict[str, float]:
    """Smoothed IDF of each term over ``texts``: always positive, largest for terms in none."""
    n = len(texts)
    return {t: math.log(1 + (n + 1) / (0.5 + sum(t in text for text in texts))) for t in terms}


def evidence_score(question: QuestionAnalysis, hits: Sequence[RetrievedChunk]) -> float:
    """Weighted share, in [0, 1], of the question's content terms present in the best hit."""
    terms = question.terms
    if not terms or not hits:
        return 0.0
    texts = [hit.chunk.match_text for hit in hits]
    weights = term_weights(terms, texts)
    best = max(sum(w for term, w in weights.items() if term in text) for text in texts)
    return best / sum(weights.values())


def uncovered(question: QuestionAnalysis, hits: Sequence[RetrievedChunk]) -> list[str]:
    """Places (深圳市, 南山区) and numbers (2021年, 第4期) in the question that no hit mentions.

    A question about 深圳市南山区 retrieved against articles on Dongguan shares plenty of
    generic words with them; the place that appears nowhere is what says it is not covered,
    as a year the articles never mention does. Only jieba ``ns`` words with an
    administrative suffix count, so 中山东区 cut as 中/山东/区 does not invent a 山东.
    """
    haystack = "\n".join(hit.chunk.match_text for hit in hits)
    return sorted(t for t in question.places | question.numbers if t not in haystack)

