"""The two Rephrasers (rag.types.Rephraser): carry the previous question over by rule, or ask the
chat model to rewrite the follow-up."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from langchain_core.runnables import Runnable

from core.settings import Settings
from rag.followup import carry_over


class CarryOver:
    """``那中山呢？`` after a question about Dongguan becomes the same question about Zhongshan."""

    def standalone(self, question: str, history: Sequence[str]) -> str:
        return carry_over(question, history[-1] if history else None)


class LlmRephraser:
    """The chat model rewrites a follow-up from the whole conversation; a first question is kept."""

    def __init__(self, settings: Settings) -> None:
        from rag.llm import check_endpoint

        check_endpoint(settings)
        self.settings = settings

    @cached_property
    def _chain(self) -> Runnable:
        from rag.llm import condense_chain

        return condense_chain(self.settings)

    def standalone(self, question: str, history: Sequence[str]) -> str:
        if not history:
            return question
        from rag.llm import UNREACHABLE, unreachable

        try:
            return self._chain.invoke({"history": "\n".join(history), "question": question})
        except UNREACHABLE as err:
            raise unreachable(self.settings, err) from err
