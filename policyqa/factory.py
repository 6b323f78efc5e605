"""The one place that builds settings -> index -> retriever -> chain (and the chat model).

The CLI, the UI, eval and bench all wire through here, so a backend or retriever is chosen one
way everywhere; nothing in index/ or rag/ imports this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from index.search import ChunkSearch
from index.service import Index, open_index
from core.errors import EmptyIndexError
from core.settings import Settings
from rag.chain import AnswerChain
from rag.generate import ExtractiveGenerator, LlmGenerator
from rag.rephrase import CarryOver, LlmRephraser
from rag.retrieve import HybridRetriever
from rag.types import Generator, Rephraser, Retriever

Backend = Literal["extractive", "openai"]
Mode = Literal["", "hybrid", "bm25", "dense"]


def build_retriever(settings: Settings, store: ChunkSearch, mode: Mode = "") -> HybridRetriever:
    return HybridRetriever(store=store, settings=settings, mode=mode)


def build_generator(settings: Settings, backend: Backend | None = None) -> Generator:
    if (backend or settings.backend) == "openai":
        return LlmGenerator(settings)
    return ExtractiveGenerator(settings.prompts_dir)


def build_rephraser(settings: Settings, backend: Backend | None = None) -> Rephraser:
    return LlmRephraser(settings) if (backend or settings.backend) == "openai" else CarryOver()


def build_chain(settings: Settings, retriever: Retriever, backend: Backend | None = None) -> AnswerChain:
    """The answer chain over ``retriever`` with the backend's generator and rephraser."""
    return AnswerChain(settings, retriever, build_generator(settings, backend), build_rephraser(settings, backend))


def build_study_llm(settings: Settings, backend: Backend | None = None) -> BaseChatModel | None:
    """The chat model that writes study discussion questions, or None for the template ones."""
    if (backend or settings.backend) != "openai":
        return None
    from rag.llm import build_chat_model  # the OpenAI client loads only when it is used

    return build_chat_model(settings, streaming=False)


def require_content(idx: Index) -> None:
    if not idx.store.count():
        raise EmptyIndexError(
            f"the index at {idx.settings.data_dir} is empty: run `policyqa ingest data/articles` first"
        )


@contextmanager
def open_assistant(
    settings: Settings, backend: Backend | None = None, embeddings: Embeddings | None = None
) -> Iterator[tuple[Index, AnswerChain]]:
    """The index, checked non-empty, and the answer chain over it; the index closes on exit.
    ``embeddings``, when given, replaces the configured model (as for ``Index``)."""
    with open_index(settings, embeddings) as idx:
        require_content(idx)
        yield idx, build_chain(settings, build_retriever(settings, idx.store), backend)
