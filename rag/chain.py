"""question -> standalone question -> retrieved chunks -> draft -> checked, cited Answer.

The parts come in through their contracts (rag.types: Retriever, Generator, Rephraser), so the
extractive backend, an LLM or a test fake plug in the same way. The chain is a LangChain
``Runnable``: ``invoke``/``batch`` give Answers, ``stream`` gives text pieces, then the Answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig

from index.search import SearchFilter
from core.settings import Settings
from rag.citations import check_citations
from rag.answerability import load_model
from rag.evidence import uncovered
from rag.prompts import load_text
from rag.question import QuestionAnalysis, analyse, askable
from rag.types import Answer, Citation, Draft, Generator, Rephraser, RetrievedChunk, Retriever

Event = str | Answer  # text pieces while generating, then the finished Answer


@dataclass(frozen=True)
class Ask:
    """One question as the chain's input, with what the conversation and the user set around it."""

    question: str
    history: Sequence[str] = ()  # earlier questions of the conversation, oldest first
    search_filter: SearchFilter | None = None
    k: int | None = None  # passages to answer from; None means settings.top_k


@dataclass
class _Trace:
    """What one run has found so far: read by the answer it ends with."""

    ask: Ask
    standalone: str = ""
    analysis: QuestionAnalysis | None = None  # of the standalone question, made once
    hits: list[RetrievedChunk] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)


class AnswerChain(Runnable[Ask | str, Answer]):
    def __init__(self, settings: Settings, retriever: Retriever, generator: Generator, rephraser: Rephraser) -> None:
        for name, part, contract in (("retriever", retriever, Retriever), ("generator", generator, Generator),
                                     ("rephraser", rephraser, Rephraser)):  # fmt: skip
            if not isinstance(part, contract):
                raise TypeError(f"{name} {type(part).__name__} does not implement rag.types.{contract.__name__}")
        self.settings = settings
        self.retriever = retriever
        self.generator = generator
        self.rephraser = rephraser
        self.answerability = load_model(settings.answerability_model)  # ConfigError when missing or invalid

    def ask(self, question: str, **options: Any) -> Answer:
        return self.invoke(Ask(question, **options))

    def events(self, question: str, **options: Any) -> Iterator[Event]:
        return self.stream(Ask(question, **options))

    def invoke(self, input: Ask | str, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        *_, answer = self.stream(input, config)
        return answer

    def stream(self, input: Ask | str, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[Event]:
        trace = _Trace(input if isinstance(input, Ask) else Ask(input))
        question = askable(trace.ask.question, self.settings.max_question_chars)
        trace.standalone = self.rephraser.standalone(question, trace.ask.history)
        trace.analysis = analyse(trace.standalone)
        self._retrieve(trace)
        if self._too_weak(trace):
            yield self._refusal(trace)
            return
        generated = time.perf_counter()
        draft = Draft("")
        for event in self.generator.stream(trace.analysis, trace.hits):
            if isinstance(event, Draft):
                draft = event
            else:
                yield event
        trace.timings_ms["generate"] = _ms_since(generated)
        yield self._finish(trace, draft)

    def _retrieve(self, trace: _Trace) -> None:
        started = time.perf_counter()
        trace.hits = self.retriever.retrieve(trace.standalone, trace.ask.search_filter, trace.ask.k)
        trace.timings_ms["retrieve"] = _ms_since(started)

    def _too_weak(self, trace: _Trace) -> bool:
        """Refuse when a place or number of the question is in no hit, or when the answerability
        model doubts the hits answer it."""
        if not trace.hits:
            return True
        missing = uncovered(trace.analysis, trace.hits)
        trace.warnings += [f"uncovered:{term}" for term in missing]
        return bool(missing) or not self.answerability.answerable(trace.analysis, trace.hits)

    def _finish(self, trace: _Trace, draft: Draft) -> Answer:
        if load_text("llm_refusal", self.settings.prompts_dir) in draft.text:
            return self._refusal(trace)
        checked = check_citations(draft.text, trace.hits)
        citations = [Citation.of(n, trace.hits[n - 1].chunk, draft.quotes.get(n, "")) for n in checked.cited]
        return self._answer(trace, checked.text, citations, warnings=list(checked.warnings),
                            short_answer=_checked_short_answer(draft, checked.text, trace.hits))  # fmt: skip

    def _refusal(self, trace: _Trace) -> Answer:
        trace.timings_ms.setdefault("generate", 0.0)
        nearest = [Citation.of(i, h.chunk) for i, h in enumerate(trace.hits[:3], start=1)]
        return self._answer(trace, load_text("refusal", self.settings.prompts_dir), [], nearest=nearest, refused=True)

    def _answer(self, trace: _Trace, text: str, citations: list[Citation], warnings: Sequence[str] = (),
                nearest: Sequence[Citation] = (), refused: bool = False, short_answer: str = "") -> Answer:  # fmt: skip
        trace.timings_ms["total"] = _ms_since(trace.started)
        return Answer(
            question=trace.ask.question,
            answer=text,
            refused=refused,
            citations=citations,
            warnings=trace.warnings + list(warnings),
            timings_ms=trace.timings_ms,
            standalone_question=trace.standalone,
            nearest=list(nearest),
            short_answer=short_answer,
        )


def _checked_short_answer(draft: Draft, text: str, hits: Sequence[RetrievedChunk]) -> str:
    """The draft's short answer if the checked text still leads with it, cited, and it passes
    the citation checks on its own; else none."""
    if not draft.short_answer:
        return ""
    line = text.split("\n", 1)[0]
    cited = line.removeprefix(draft.short_answer)
    if line == cited or not re.fullmatch(r"(?:\[\d+\])+", cited):
        return ""
    return "" if check_citations(line, hits).warnings else draft.short_answer


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
