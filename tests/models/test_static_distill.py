"""The static model distilled from the e5 folder: its recipe on a tiny random transformer with a
vocabulary of a few Han, ASCII and Cyrillic tokens, and its caching (distilled once, scratch never
mistaken for a result). The real model's distillation runs in tests/index/test_embedding.py (e2e)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertModel

from index.static_embeddings import StaticEmbeddings
from models import static_distill
from models.e5_convert import METASPACE, Vocabulary, build_tokenizer
from models.static_distill import distill, ensure_static_model, kept_token_ids, sif_weights, static_folder

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
KEPT = [METASPACE, f"{METASPACE}甲", f"{METASPACE}乙", "甲", "乙", "村", "人口", "12", "a", "，"]
FOREIGN = ["Ж", f"{METASPACE}Ж"]


@pytest.fixture
def tiny_e5(tmp_path) -> Path:
    """A folder laid out like the converted e5 one: a small random BertModel and an XLM-R-style tokenizer."""
    pieces = SPECIALS + KEPT + FOREIGN
    vocabulary = Vocabulary(pieces, [0.0] * 4 + [-1.0 - i for i in range(len(pieces) - 4)], bos=0, eos=2, pad=1, unk=3)
    folder = tmp_path / "e5"
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(pieces), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16, pad_token_id=1, bos_token_id=0, eos_token_id=2)  # fmt: skip
    BertModel(config).save_pretrained(folder)
    build_tokenizer(vocabulary, {"\u3000": " "}).save(str(folder / "tokenizer.json"))  # one rule: the charsmap needs some
    return folder


@pytest.fixture
def distilled(tiny_e5, monkeypatch) -> StaticEmbeddings:
    monkeypatch.setattr(static_distill, "PCA_DIMS", 4)  # fewer than the tiny vocabulary's tokens
    return StaticEmbeddings(ensure_static_model(tiny_e5))


def test_only_ordinary_tokens_of_the_kept_scripts_are_distilled(tiny_e5):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tiny_e5 / "tokenizer.json"))
    assert [tokenizer.id_to_token(i) for i in kept_token_ids(tokenizer)] == KEPT


def test_a_text_is_the_mean_of_its_distilled_tokens(distilled):
    one, other, both = distilled.encode(["甲", "乙", "甲 乙"])  # ▁甲, ▁乙, ▁甲 ▁乙
    assert np.allclose(np.linalg.norm([one, other, both], axis=1), 1)
    # Each token's row is unit-scaled here; their mean is a positive mix of the two directions.
    mix, residual, *_ = np.linalg.lstsq(np.stack([one, other], axis=1), both, rcond=None)
    assert (mix > 0).all() and residual.item() < 1e-10
    assert not np.allclose(one, other)


def test_tokens_of_other_scripts_count_for_nothing(distilled):
    assert np.allclose(distilled.encode(["甲Ж"]), distilled.encode(["甲"]), atol=1e-6)
    # Nothing distilled at all: a fixed unit vector, never a zero one (Chroma's cosine cannot take it).
    for vector in distilled.encode(["Ж", ""]):
        assert vector[0] == 1 and np.count_nonzero(vector) == 1


def test_distilling_again_gives_the_same_vectors(tiny_e5, tmp_path, monkeypatch):
    monkeypatch.setattr(static_distill, "PCA_DIMS", 4)
    distill(tiny_e5, tmp_path / "one")
    distill(tiny_e5, tmp_path / "two")
    texts = ["甲村人口12", "乙，a"]
    first, second = (StaticEmbeddings(tmp_path / name).encode(texts) for name in ("one", "two"))
    assert first.shape == (2, 4) and np.array_equal(first, second)


def test_frequent_tokens_weigh_less():
    weights = sif_weights(np.array([4, 100, 10_000, 250_000]), 250_002)
    assert (np.diff(weights) > 0).all() and 0 < weights[0] < weights[-1] < 1


# --- caching -------------------------------------------------------------------------------------


@pytest.fixture
def calls(monkeypatch) -> list[Path]:
    made: list[Path] = []

    def fake(folder: Path, out: Path) -> None:
        made.append(folder)
        out.mkdir()
        (out / "model.safetensors").write_text(f"static of {folder.name}")

    monkeypatch.setattr(static_distill, "distill", fake)
    return made


def test_distilled_once_into_the_model_folder(tmp_path, calls):
    folder = tmp_path / "e5"
    folder.mkdir()
    target = ensure_static_model(folder)
    assert target == static_folder(folder) and target.parent.parent == folder
    assert (target / "model.safetensors").read_text() == "static of e5"
    assert ensure_static_model(folder) == target
    assert calls == [folder]  # cached: nothing runs again


def test_scratch_left_by_a_killed_distillation_is_replaced(tmp_path, calls):
    folder = tmp_path / "e5"
    partial = static_folder(folder).with_name(f".{static_folder(folder).name}.partial")
    partial.mkdir(parents=True)
    (partial / "model.safetensors").write_text("half a table")
    assert (ensure_static_model(folder) / "model.safetensors").read_text() == "static of e5"
    assert not partial.exists()


def test_a_failed_distillation_leaves_no_model_behind(tmp_path, monkeypatch):
    def broken(folder: Path, out: Path) -> None:
        out.mkdir()
        raise RuntimeError("killed")

    monkeypatch.setattr(static_distill, "distill", broken)
    folder = tmp_path / "e5"
    folder.mkdir()
    with pytest.raises(RuntimeError):
        ensure_static_model(folder)
    assert not static_folder(folder).exists()
