"""Answers, sources and articles as HTML or Markdown. Pure functions: text in, markup out.

Every piece of article or answer text is escaped here, so the UI may show the result as raw HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from index.types import Provenance
from rag.study.export import markdown_text
from rag.types import Answer, Citation, quote_spans

_MARKER = re.compile(r"\[(\d+)\]")
# The chat renders Markdown: brackets and parentheses as character references can form no link
# or image ([点我](javascript:…)), since CommonMark never reads structure from a reference.
_LINK_SYNTAX = str.maketrans({"[": "&#91;", "]": "&#93;", "(": "&#40;", ")": "&#41;"})


@dataclass(frozen=True)
class Turn:
    """One question of a conversation and its finished answer."""

    question: str
    answer: Answer


def chat_text(text: str) -> str:
    """Text shown in the chat as itself: no HTML, no Markdown link."""
    return escape(text, quote=False).translate(_LINK_SYNTAX)


def _with_markers(text: str, inert: Callable[[str], str], marker: Callable[[int], str]) -> str:
    """``text`` made inert, but for its citation markers ``[n]``, which become ``marker(n)``."""
    out, at = [], 0
    for match in _MARKER.finditer(text):
        out += [inert(text[at : match.start()]), marker(int(match.group(1)))]
        at = match.end()
    return "".join(out) + inert(text[at:])


def answer_html(text: str, turn: int, cited: Sequence[int]) -> str:
    """The answer text with each ``[n]`` of a cited source as a marker that jumps to that source."""

    def marker(n: int) -> str:
        # Only the href survives the chat's HTML sanitiser; the page script jumps by it.
        return f'<a class="cite" href="#src-{turn}-{n}">[{n}]</a>' if n in cited else chat_text(f"[{n}]")

    # The short answer stands on its own line above its sentences.
    return _with_markers(text, chat_text, marker).replace("\n", "<br>")


def passage_html(text: str, quote: str) -> str:
    """The passage, escaped, with the quoted sentences in ``<mark>``."""
    out, at = [], 0
    for start, end in quote_spans(text, quote):
        out += [escape(text[at:start]), f"<mark>{escape(text[start:end])}</mark>"]
        at = end
    out.append(escape(text[at:]))
    return "".join(out)


def provenance_label(found: Provenance | None) -> str:
    """Where a passage of a PDF or scan sits, and how sure OCR was of it: 第2页 · 扫描件识别，置信度 0.97."""
    if found is None:
        return ""
    label = f"第{found.pages}页"
    if found.ocr_confidence is not None:
        label += f" · 扫描件识别，置信度 {found.ocr_confidence:.2f}"
    return label


def _meta_line(date: str | None, source: str | None, found: Provenance | None = None) -> str:
    return escape(" · ".join(filter(None, [date or "日期不详", source or "来源不详", provenance_label(found)])))


def doubt_html(found: Provenance | None) -> str:
    """The passage's OCR lines scored low, listed for checking against the paper rather than trusted."""
    if found is None or not found.doubtful:
        return ""
    lines = "".join(f"<li>{escape(line)}</li>" for line in found.doubtful)
    return f'<div class="ocr-doubt">以下 {len(found.doubtful)} 行识别置信度低，请核对原件：<ul>{lines}</ul></div>'


def source_card(citation: Citation, turn: int) -> str:
    c = citation
    return (
        f'<div class="source" id="src-{turn}-{c.n}">'
        f'<div class="source-title"><span class="source-n">[{c.n}]</span> {escape(c.title or "（无标题）")}</div>'
        f'<div class="source-meta">{_meta_line(c.date, c.source, c.provenance)}</div>'
        f'<div class="passage">{passage_html(c.text, c.quote)}</div>'
        f"{doubt_html(c.provenance)}"
        f'<button class="open-article" data-turn="{turn}" data-n="{c.n}">打开原文</button>'
        "</div>"
    )


def sources_html(turns: Sequence[Turn]) -> str:
    """The sources panel: the latest question's passages open, earlier ones folded, newest first."""
    if not turns:
        return '<div class="sources-empty">提问后，这里列出回答所引用的段落。</div>'
    groups = []
    for turn in range(len(turns) - 1, -1, -1):
        answer = turns[turn].answer
        note = '<div class="sources-note">文章中没有找到依据，以下是最接近的段落：</div>' if answer.refused else ""
        cards = "".join(source_card(c, turn) for c in answer.shown)
        is_open = " open" if turn == len(turns) - 1 else ""
        groups.append(
            f'<details class="turn" id="turn-{turn}"{is_open}>'
            f"<summary>第{turn + 1}问：{escape(turns[turn].question)}</summary>{note}{cards}</details>"
        )
    return "".join(groups)


def passage_span(article: str, citation: Citation) -> tuple[int, int] | None:
    """Where the cited chunk sits in the article: its recorded span, else wherever its text occurs."""
    if article[citation.start : citation.end] == citation.text:
        return citation.start, citation.end
    at = article.find(citation.text)
    return (at, at + len(citation.text)) if at >= 0 else None


def article_html(title: str, article: str, citation: Citation) -> str:
    """The whole cleaned article with the cited passage (and its quote) highlighted."""
    head = (
        f'<div class="article-title">{escape(title or citation.title or "（无标题）")}</div>'
        f'<div class="source-meta">{_meta_line(citation.date, citation.source, citation.provenance)}</div>'
    )
    span = passage_span(article, citation)
    if span is None:
        body = escape(article)
    else:
        start, end = span
        body = (
            escape(article[:start])
            + f'<span class="passage-in-article">{passage_html(article[start:end], citation.quote)}</span>'
            + escape(article[end:])
        )
    return f'<div class="article">{head}<div class="article-body">{body}</div></div>'


def conversation_markdown(turns: Sequence[Turn]) -> str:
    """The conversation with every answer's sources, for download."""
    lines = ["# PolicyQA 问答记录", ""]
    for i, turn in enumerate(turns, start=1):
        answer = turn.answer
        lines += [f"## 第{i}问：{markdown_text(turn.question)}", "", _with_markers(answer.answer, markdown_text, "[{}]".format), ""]
        sources = answer.shown
        if sources:
            lines += ["最接近的段落：" if answer.refused else "来源：", ""]
        for c in sources:
            where = f" {provenance_label(c.provenance)}" if c.provenance else ""
            described = f"《{c.title or '无标题'}》 {c.date or '日期不详'} {c.source or '来源不详'}{where}"
            lines.append(f"[{c.n}] {markdown_text(described)}")
            lines += [f"> {markdown_text(line)}" for line in (c.quote or c.text).split("\n")]
            doubtful = c.provenance.doubtful if c.provenance else ()
            lines += [f"> （识别置信度低，请核对原件：{markdown_text(line)}）" for line in doubtful]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def chat_messages(turns: Sequence[Turn], pending: str | None = None, draft: str = "") -> list[dict]:
    """Chatbot messages for the finished turns, plus a question still being answered."""
    messages = []
    for i, turn in enumerate(turns):
        cited = [c.n for c in turn.answer.citations]
        messages += [
            {"role": "user", "content": chat_text(turn.question)},
            {"role": "assistant", "content": answer_html(turn.answer.answer, i, cited)},
        ]
    if pending is not None:
        messages += [
            {"role": "user", "content": chat_text(pending)},
            {"role": "assistant", "content": chat_text(draft) or "正在检索……"},
        ]
    return messages
