"""Discussion questions: the templates study_discussion_*.txt filled with the best quoted
phrases, section headings and the topic; with an LLM, its questions instead, kept only
when every quoted phrase and number in them is in the sources.

Templates always make a whole set, so the model can only replace it, never leave a pack
without questions."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from itertools import cycle
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser

from index.text.chars import HAN_CHAR
from index.text.normalise import key_form
from index.text.script import to_simplified
from rag.citations import QUOTED, UNQUOTED_PHRASE, UNSUPPORTED_NUMBER, check_citations
from rag.prompts import load_chat_prompt, load_text
from rag.study.sentences import Sentence, fits
from rag.types import RetrievedChunk

if TYPE_CHECKING:  # pack imports this module to build one
    from rag.study.pack import StudyPack

log = logging.getLogger(__name__)

MIN_DISCUSSION, MAX_DISCUSSION = 5, 10
PER_TEMPLATE_KIND = 3  # phrases, and headings, that discussion templates are filled with
DISCUSSION_PHRASE_CHARS = (2, 30)
HEADING_PHRASE_BONUS = 1.0  # about a well-matching sentence's score

_HEADING_MARK = re.compile(r"^(?:[^\w“「]+|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．])|[：:]+$")
_NUMBERING = re.compile(r"^\s*(?:\d+[.、．)）]|[（(]\d+[）)]|[-*•·])\s*")  # how models number list lines


def discussion(
    topic: str, sentences: list[Sentence], hits: Sequence[RetrievedChunk], prompts_dir: Path
) -> list[str]:
    """Templates filled with the best 提法, then headings, then the topic, then general ones."""
    phrases = [f"“{to_simplified(p)}”" for p in _phrases(sentences, hits)[:PER_TEMPLATE_KIND]]
    headings = _headings(sentences, hits)[:PER_TEMPLATE_KIND]
    by_phrase = cycle(_templates("study_discussion_phrase", prompts_dir))
    by_heading = cycle(_templates("study_discussion_heading", prompts_dir))
    questions = [t.format(phrase=p) for p, t in zip(phrases, by_phrase)]
    questions += [t.format(heading=h) for h, t in zip(headings, by_heading)]
    if topic:
        questions += [t.format(topic=topic) for t in _templates("study_discussion_topic", prompts_dir)]
    # Enough of these to reach MIN_DISCUSSION on articles without a quote or a heading.
    questions += _templates("study_discussion_general", prompts_dir)
    return list(dict.fromkeys(questions))[:MAX_DISCUSSION]


def _templates(name: str, prompts_dir: Path) -> list[str]:
    return load_text(name, prompts_dir).splitlines()


def _phrases(sentences: list[Sentence], hits: Sequence[RetrievedChunk]) -> list[str]:
    """Quoted phrases with words in them, by the summed score of the sentences quoting them,
    plus a bonus per title or heading quoting them: an article is organised around its 提法."""
    weight: Counter[str] = Counter()
    written: dict[str, str] = {}
    headings = {hit.chunk.title for hit in hits} | {hit.chunk.section for hit in hits}
    quoted = [(s.text, s.score) for s in sentences] + [(h, HEADING_PHRASE_BONUS) for h in headings]
    for text, score in quoted:
        for match in QUOTED.finditer(text):
            phrase = match.group(1) or match.group(2)
            if fits(phrase, DISCUSSION_PHRASE_CHARS) and HAN_CHAR.search(phrase):
                written.setdefault(key_form(phrase), phrase)
                weight[key_form(phrase)] += score
    return [written[key] for key, _ in weight.most_common()]


def _headings(sentences: list[Sentence], hits: Sequence[RetrievedChunk]) -> list[str]:
    """The innermost section headings of the hits, markers dropped, in simplified script,
    by their best sentence."""
    best: dict[str, float] = {}
    for sentence in sentences:
        leaf = hits[sentence.hit].chunk.section.split(" / ")[-1]
        # 推动实施“长效治理”，筑牢共建共治共享格局: the part before the comma names the theme.
        heading = to_simplified(re.split(r"[，,]", _HEADING_MARK.sub("", leaf))[0].strip())
        if heading:
            best[heading] = max(best.get(heading, 0.0), sentence.score)
    return sorted(best, key=best.get, reverse=True)


def ask_llm(pack: StudyPack, llm: BaseChatModel, hits: list[RetrievedChunk], prompts_dir: Path) -> None:
    """Replace the template questions with the model's, if it gives enough sound ones."""
    from rag.llm import format_sources  # loads the OpenAI client, which the extractive path never needs

    chain = load_chat_prompt("study_discussion", prompts_dir) | llm | StrOutputParser()
    try:
        reply = chain.invoke({"topic": pack.topic, "sources": format_sources(hits)})
    except Exception as err:  # any backend failure: the template questions still make a whole pack
        log.warning("study discussion from the LLM failed: %s", err)
        pack.warnings.append(f"llm_failed:{type(err).__name__}")
        return
    lines = [_NUMBERING.sub("", line).strip() for line in reply.splitlines()]
    asked = [q for q in dict.fromkeys(lines) if q and _grounded(q, hits)]
    if len(asked) < MIN_DISCUSSION:
        pack.warnings.append(f"llm_discussion_too_few:{len(asked)}")
        return
    pack.discussion = asked[:MAX_DISCUSSION]


def _grounded(question: str, hits: list[RetrievedChunk]) -> bool:
    """Every quoted phrase and number of the question is in the sources: the answer checks,
    with the question citing them all."""
    cited = question + "".join(f"[{n}]" for n in range(1, len(hits) + 1))
    warnings = check_citations(cited, hits).warnings
    return not any(w.startswith((UNQUOTED_PHRASE, UNSUPPORTED_NUMBER)) for w in warnings)
