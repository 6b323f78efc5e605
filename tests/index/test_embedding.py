"""The default embedding model as the index uses it; its conversion is tested in tests/models.

Uses the real model cache (POLICYQA_MODEL_CACHE_DIR, else ~/.cache/policyqa/models), so a
machine converts once and later runs reuse the folder.
"""

from __future__ import annotations

import numpy as np
import pytest

from index.embedding import lazy_embeddings

PAIRS = [  # question, its passage
    ("东城街道的党建领航发展模式叫什么？", "东城街道全面实施党建领航“三三三”发展模式，推动城市更新和产业发展。"),
    ("流动党员怎样按时交纳党费？", "流动党员可以通过手机小程序在线交纳党费，所在党支部每月核对一次。"),
    ("红色物业如何推动小区治理？", "“红色物业”由社区党委牵头，物业公司党员参与业主议事，共同解决停车、绿化等难题。"),
]
UNRELATED = [
    "今天广州天气晴朗，最高气温三十二度，午后有雷阵雨。",
    "这道红烧肉需要小火慢炖一个小时，出锅前再收汁。",
    "上证指数今日收涨百分之一，成交额超过九千亿元。",
    "球队在加时赛中以三比二逆转对手，晋级决赛。",
]




@pytest.mark.e2e
def test_question_retrieves_its_passage_above_unrelated_ones(embeddings):
    passages = [p for _, p in PAIRS] + UNRELATED
    vectors = np.array(embeddings.embed_documents(passages))
    for expected, (question, _) in enumerate(PAIRS):
        scores = vectors @ np.array(embeddings.embed_query(question))
        assert int(np.argmax(scores)) == expected, (question, scores.round(3))


def test_lazy_embeddings_build_the_model_on_first_use_only():
    class Fixed:
        def embed_documents(self, texts):
            return [[1.0] for _ in texts]

        def embed_query(self, text):
            return [2.0]

    built = []
    lazy = lazy_embeddings(lambda: built.append(1) or Fixed())
    assert built == []
    assert lazy.embed_query("q") == [2.0]
    assert lazy.embed_documents(["a", "b"]) == [[1.0], [1.0]]
    assert built == [1]
