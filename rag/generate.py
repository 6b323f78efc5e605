"""The two Generators (rag.types.Generator): whole cited source sentences, or an OpenAI-compatible
chat model. The answer chain takes either; neither checks citations, the chain does."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path

from langchain_core.runnables import Runnable

from core.settings import Settings
from rag.extractive import extract_answer
from rag.question import QuestionAnalysis
from rag.types import Draft, RetrievedChunk


class _Streaming:
    """``generate`` as the last event of ``stream``, so each backend writes only ``stream``."""

    def stream(self, question: QuestionAnalysis, hits: Sequence[RetrievedChunk]) -> Iterator[str | Draft]:
        raise NotImplementedError

    def generate(self, question: QuestionAnalysis, hits: Sequence[RetrievedChunk]) -> Draft:
        *_, draft = self.stream(question, hits)
        return draft


class ExtractiveGenerator(_Streaming):
    """Whole source sentences, each cited; the only other words come from ``prompts_dir``."""

    def __init__(self, prompts_dir: Path) -> None:
        if not prompts_dir.is_dir():
            raise FileNotFoundError(f"no prompts folder at {prompts_dir}")
        self.prompts_dir = prompts_dir

    def stream(self, question: QuestionAnalysis, hits: Sequence[RetrievedChunk]) -> Iterator[str | Draft]:
        draft = extract_answer(question, hits, self.prompts_dir)
        yield draft.text
        yield draft


class LlmGenerator(_Streaming):
    """An OpenAI-compatible chat model writes the answer from the numbered sources."""

    def __init__(self, settings: Settings) -> None:
        from rag.llm import check_endpoint

        check_endpoint(settings)  # fail at wiring time, not at the first question
        self.settings = settings

    # Built on first use: importing the OpenAI client costs time a process that never asks does not need.
    @cached_property
    def _chain(self) -> Runnable:
        from rag.llm import answer_chain

        return answer_chain(self.settings)

    def stream(self, question: QuestionAnalysis, hits: Sequence[RetrievedChunk]) -> Iterator[str | Draft]:
        from rag.llm import UNREACHABLE, format_sources, unreachable

        pieces: list[str] = []
        try:
            for piece in self._chain.stream({"question": question.text, "sources": format_sources(hits)}):
                pieces.append(piece)
                yield piece
        except UNREACHABLE as err:
            raise unreachable(self.settings, err) from err
        yield Draft("".join(pieces))
