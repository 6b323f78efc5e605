"""A study pack: its records, and the one place its parts meet and are numbered.

The sources are the chunks retrieved for the topic (limited to ``doc_ids`` when given), or,
with no topic, every chunk of the chosen articles in reading order. The parts pick from
the same scored sentences of them: key points are the best sentences of readable length;
figures, quiz and discussion come from their own modules. Only then are the sources the
pack uses numbered and cited like answers (``n`` indexes ``sources``, 1-based), so the
parts never deal in source numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from index.search import ChunkSource, SearchFilter
from rag.extractive import article_of
from rag.study.discussion import ask_llm, discussion
from rag.study.figures import best_figures
from rag.study.quiz import QuizItem, quiz, quiz_item
from rag.study.sentences import Sentence, fits, scored_sentences, spread
from rag.types import Citation, RetrievedChunk, Retriever

MAX_KEY_POINTS = 8
KEY_POINT_CHARS = (20, 160)  # shorter is a fragment, longer is a paragraph read aloud


@dataclass(frozen=True)
class KeyPoint:
    text: str
    n: int


@dataclass(frozen=True)
class KeyFigure:
    number: str  # as written, with its unit: 1867人
    what: str  # what it counts: 全村户籍人口
    n: int


@dataclass
class StudyPack:
    topic: str
    key_points: list[KeyPoint]
    figures: list[KeyFigure]
    discussion: list[str]
    quiz: list[QuizItem]
    sources: list[Citation]
    warnings: list[str] = field(default_factory=list)


def build_study_pack(
    topic: str,
    retriever: Retriever,
    library: ChunkSource,
    prompts_dir: Path,
    doc_ids: Sequence[str] = (),
    k: int = 12,
    llm: BaseChatModel | None = None,
) -> StudyPack:
    """A study pack on ``topic`` from its ``k`` best chunks (within ``doc_ids`` if given), or
    on the whole articles ``doc_ids`` (read from ``library``) when there is no topic; with
    ``llm`` the model writes the discussion questions; templates come from ``prompts_dir``."""
    topic = topic.strip()
    hits = _gather(topic, retriever, library, doc_ids, k)
    sentences = scored_sentences(topic, hits)
    points = spread(s for s in sentences if fits(s.text, KEY_POINT_CHARS))[:MAX_KEY_POINTS]
    figures = best_figures(sentences)
    questions = quiz(sentences)
    used = [*points, *(f.sentence for f in figures), *(q.fact.sentence for q in questions)]
    numbering = _numbering({s.hit for s in used}, hits)
    sources = [_citation(n, hit, hits, used) for hit, n in numbering.items()]

    def n(sentence: Sentence) -> int:
        return numbering[sentence.hit]

    pack = StudyPack(
        # With no topic the pack is about its articles, named by their titles.
        topic=topic or "；".join(dict.fromkeys(c.title for c in sources if c.title)),
        key_points=[KeyPoint(s.text, n(s)) for s in sorted(points, key=lambda s: (n(s), s.start))],
        figures=[
            KeyFigure(f.number, f.what, n(f.sentence))
            for f in sorted(figures, key=lambda f: (n(f.sentence), f.sentence.start, f.start))
        ],
        discussion=discussion(topic, sentences, hits, prompts_dir),
        quiz=[quiz_item(q, n(q.fact.sentence), prompts_dir) for q in questions],
        sources=sources,
    )
    if llm is not None and sources:
        ask_llm(pack, llm, [hits[hit] for hit in numbering], prompts_dir)
    return pack


def _gather(
    topic: str, retriever: Retriever, library: ChunkSource, doc_ids: Sequence[str], k: int
) -> list[RetrievedChunk]:
    if topic:
        return retriever.retrieve(topic, SearchFilter(doc_ids=tuple(doc_ids)), k)
    # No topic: a session on whole articles, so every chunk of them, in reading order.
    order = {doc_id: i for i, doc_id in enumerate(doc_ids)}
    chunks = sorted(library.chunks_of(list(doc_ids)), key=lambda c: (order[c.doc_id], c.start))
    return [RetrievedChunk(chunk, score=0.0) for chunk in chunks]


def _numbering(used: set[int], hits: Sequence[RetrievedChunk]) -> dict[int, int]:
    """Hit -> source number, for the hits the pack uses: articles in the order of their best
    hit, the chunks of each together in reading order, so an article is one run of numbers."""
    first: dict[str, int] = {}
    for hit in sorted(used):
        first.setdefault(article_of(hits[hit]), hit)
    order = sorted(used, key=lambda h: (first[article_of(hits[h])], hits[h].chunk.start))
    return {hit: n for n, hit in enumerate(order, start=1)}


def _citation(n: int, hit: int, hits: Sequence[RetrievedChunk], used: list[Sentence]) -> Citation:
    """Source ``n``, quoting the sentences of it the pack uses, in reading order."""
    mine = sorted({s for s in used if s.hit == hit}, key=lambda s: s.start)
    return Citation.of(n, hits[hit].chunk, "\n".join(s.text for s in mine))
