"""question -> standalone question -> retrieved chunks -> draft -> checked, cited Answer.

Built from LangChain runnables so the generation step can be the extractive backend or
any OpenAI-compatible chat model, streamed the same way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from langchain_core.runnables import Runnable, RunnableLambda

from policyqa.settings import Settings
from rag.citations import check_citations
from rag.evidence import evidence_score, uncovered
from rag.extractive import extract_answer
from rag.followup import carry_over
from rag.prompts import load_text
from rag.question import QuestionAnalysis, analyse
from rag.retrieve import HybridRetriever, SearchFilter
from rag.types import Answer, Citation, RetrievedChunk

Event = str | Answer  # text pieces while generating, then the finished Answer


@dataclass
class Request:
    question: str
    history: Sequence[str] = ()  # earlier questions of the conversation, oldest first
    search_filter: SearchFilter | None = None
    k: int | None = None
    backend: str = ""  # empty means settings.backend
    standalone: str = ""
    analysis: QuestionAnalysis | None = None  # of the standalone question
    hits: list[RetrievedChunk] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)


class AnswerChain:
    def __init__(self, settings: Settings, retriever: HybridRetriever) -> None:
        self.settings = settings
        self.retriever = retriever
        self._prepare: Runnable = RunnableLambda(self._standalone) | RunnableLambda(self._retrieve)

    def ask(self, question: str, **options) -> Answer:
        *_, answer = self.stream(question, **options)
        return answer

    def stream(self, question: str, **options) -> Iterator[Event]:
        started = time.perf_counter()
        request: Request = self._prepare.invoke(Request(question, **options))
        backend = request.backend or self.settings.backend
        if self._too_weak(request):
            yield self._refusal(request, started)
            return
        generated = time.perf_counter()
        pieces: list[str] = []
        quotes: dict[int, str] = {}
        for piece in self._generator(backend, quotes).stream(request):
            pieces.append(piece)
            yield piece
        request.timings_ms["generate"] = _ms_since(generated)
        yield self._finish(request, "".join(pieces), quotes, started)

    # The LLM chains are built once per AnswerChain, and only when an LLM is used: importing the
    # OpenAI client costs the extractive path time it never needs.
    @cached_property
    def _llm_answer(self) -> Runnable:
        from rag.llm import answer_chain, format_sources

        to_input = RunnableLambda(lambda r: {"question": r.standalone, "sources": format_sources(r.hits)})
        return to_input | answer_chain(self.settings)

    @cached_property
    def _llm_condense(self) -> Runnable:
        from rag.llm import condense_chain

        return condense_chain(self.settings)

    def _standalone(self, request: Request) -> Request:
        previous = request.history[-1] if request.history else None
        if previous and (request.backend or self.settings.backend) == "openai":
            history = "\n".join(request.history)
            request.standalone = self._llm_condense.invoke({"history": history, "question": request.question})
        else:
            request.standalone = carry_over(request.question, previous)
        request.analysis = analyse(request.standalone)
        return request

    def _retrieve(self, request: Request) -> Request:
        started = time.perf_counter()
        request.hits = self.retriever.retrieve(request.standalone, request.search_filter, request.k)
        request.timings_ms["retrieve"] = _ms_since(started)
        return request

    def _too_weak(self, request: Request) -> bool:
        if not request.hits:
            return True
        missing = uncovered(request.analysis, request.hits)
        request.warnings += [f"uncovered:{term}" for term in missing]
        return bool(missing) or evidence_score(request.analysis, request.hits) < self.settings.refusal_threshold

    def _generator(self, backend: str, quotes: dict[int, str]) -> Runnable:
        if backend == "openai":
            return self._llm_answer

        def extractive(request: Request) -> str:
            draft = extract_answer(request.analysis, request.hits, self.settings.prompts_dir)
            quotes.update(draft.quotes)
            return draft.text

        return RunnableLambda(extractive)

    def _finish(self, request: Request, text: str, quotes: dict[int, str], started: float) -> Answer:
        if load_text("llm_refusal", self.settings.prompts_dir) in text:
            return self._refusal(request, started)
        checked = check_citations(text, request.hits)
        citations = [Citation.of(n, request.hits[n - 1].chunk, quotes.get(n, "")) for n in checked.cited]
        request.timings_ms["total"] = _ms_since(started)
        return Answer(
            question=request.question,
            answer=checked.text,
            refused=False,
            citations=citations,
            warnings=request.warnings + list(checked.warnings),
            timings_ms=request.timings_ms,
            standalone_question=request.standalone,
        )

    def _refusal(self, request: Request, started: float) -> Answer:
        request.timings_ms.setdefault("generate", 0.0)
        request.timings_ms["total"] = _ms_since(started)
        return Answer(
            question=request.question,
            answer=load_text("refusal", self.settings.prompts_dir),
            refused=True,
            citations=[],
            warnings=request.warnings,
            timings_ms=request.timings_ms,
            standalone_question=request.standalone,
            nearest=[Citation.of(i, h.chunk) for i, h in enumerate(request.hits[:3], start=1)],
        )


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
