"""A StudyPack as Markdown or as a Word document, from one list of blocks so both carry
the same sections: key points, figures (a real table), discussion, quiz, answer key, and
the sources as references in GB/T 7714 style for news. Fixed text comes from the
templates of the configured prompts folder."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn

from rag.prompts import load_text
from rag.study.pack import StudyPack
from rag.study.quiz import QuizItem
from rag.types import Citation

FORMATS = (".docx", ".md")
LETTERS = "ABCDEFGH"
# Escaped with a backslash in Markdown: what would open a link, image, tag, code or emphasis.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]<>!~#]")  # | is the table's own (_cell)
# Word's default Latin font has no Chinese glyphs; this one ships with every Chinese Windows.
EAST_ASIAN_FONT = "SimSun"


@dataclass(frozen=True)
class _Heading:
    text: str
    level: int  # 0 is the title


@dataclass(frozen=True)
class _Paragraph:
    text: str


@dataclass(frozen=True)
class _Quote:
    text: str


@dataclass(frozen=True)
class _Table:
    header: list[str]
    rows: list[list[str]]


_Block = _Heading | _Paragraph | _Quote | _Table


def reference(citation: Citation) -> str:
    """``[n] source. title[N]. date.`` (GB/T 7714 news), leaving out what is unknown."""
    return f"[{citation.n}] {_described(citation, _as_is)}"


def _described(citation: Citation, inert: Callable[[str], str]) -> str:
    title = f"{inert(citation.title)}[N]" if citation.title else ""
    parts = [part for part in (inert(citation.source or ""), title, inert(citation.date or "")) if part]
    # With nothing known the document id still tells a reader which article it was.
    return ". ".join(parts or [inert(citation.doc_id)]) + "."


def _references(sources: list[Citation], inert: Callable[[str], str]) -> list[str]:
    """One entry per article: its sources are consecutive passages of it, listed together
    as ``[1][2] …``, since GB/T 7714 lists a document once however often it is cited."""
    groups: list[list[Citation]] = []
    for citation in sources:
        if groups and groups[-1][0].doc_id == citation.doc_id:
            groups[-1].append(citation)
        else:
            groups.append([citation])
    return ["".join(f"[{c.n}]" for c in group) + f" {_described(group[0], inert)}" for group in groups]


def to_markdown(pack: StudyPack, prompts_dir: Path) -> str:
    return "\n\n".join(_markdown(block) for block in _blocks(pack, prompts_dir, markdown_text)) + "\n"


def write_docx(pack: StudyPack, path: Path, prompts_dir: Path) -> Path:
    document = Document()
    document.styles["Normal"].element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    for block in _blocks(pack, prompts_dir, _as_is):  # Word shows text runs as they are
        _add_to_docx(document, block)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def write_pack(pack: StudyPack, path: Path, prompts_dir: Path) -> Path:
    """The pack in the format ``path`` ends with, one of ``FORMATS``."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"a study pack is written as {' or '.join(FORMATS)}, not {path.name!r}")
    if suffix == ".docx":
        return write_docx(pack, path, prompts_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_markdown(pack, prompts_dir), encoding="utf-8")
    return path


# --- the sections, once --------------------------------------------------------------------


def _blocks(pack: StudyPack, prompts_dir: Path, inert: Callable[[str], str]) -> list[_Block]:
    """The sections; ``inert`` is applied to every text that came from an article, a user or an LLM."""
    title = load_text("study_title", prompts_dir).format(topic=inert(pack.topic))
    blocks: list[_Block] = [_Heading(title, 0)]
    blocks.append(_Heading(load_text("study_heading_key_points", prompts_dir), 1))
    blocks += [_Paragraph(f"{i}. {inert(point.text)}[{point.n}]") for i, point in enumerate(pack.key_points, 1)]
    blocks.append(_Heading(load_text("study_heading_figures", prompts_dir), 1))
    rows = [[inert(figure.number), inert(figure.what), f"[{figure.n}]"] for figure in pack.figures]
    blocks.append(_Table(load_text("study_figure_columns", prompts_dir).splitlines(), rows))
    blocks.append(_Heading(load_text("study_heading_discussion", prompts_dir), 1))
    blocks += [_Paragraph(f"{i}. {inert(question)}") for i, question in enumerate(pack.discussion, 1)]
    blocks += _quiz_blocks(pack.quiz, prompts_dir, inert)
    blocks.append(_Heading(load_text("study_heading_references", prompts_dir), 1))
    blocks += [_Paragraph(entry) for entry in _references(pack.sources, inert)]
    return blocks


def _quiz_blocks(quiz: list[QuizItem], prompts_dir: Path, inert: Callable[[str], str]) -> list[_Block]:
    """Questions numbered through both kinds, then the answer key with the same numbers."""
    numbered = list(enumerate(quiz, 1))
    blocks: list[_Block] = [_Heading(load_text("study_heading_quiz", prompts_dir), 1)]
    for kind in ("choice", "blank"):
        items = [(i, item) for i, item in numbered if item.kind == kind]
        if items:
            blocks.append(_Heading(load_text(f"study_heading_{kind}", prompts_dir), 2))
        for i, item in items:
            blocks.append(_Paragraph(f"{i}. {inert(item.stem)}"))
            if item.options:
                options = (f"{LETTERS[j]}. {inert(option)}" for j, option in enumerate(item.options))
                blocks.append(_Paragraph("　".join(options)))
    blocks.append(_Heading(load_text("study_heading_answers", prompts_dir), 1))
    for i, item in numbered:
        blocks.append(_Paragraph(f"{i}. {_answer(item, inert)}"))
        basis = load_text("study_answer_basis", prompts_dir).format(n=item.n, sentence=inert(item.sentence))
        blocks.append(_Quote(basis))
    return blocks


def _answer(item: QuizItem, inert: Callable[[str], str]) -> str:
    if not item.options:
        return inert(item.answer)
    return f"{LETTERS[item.options.index(item.answer)]}. {inert(item.answer)}"


def markdown_text(text: str) -> str:
    """Text that a Markdown viewer shows as itself: no link, image, HTML tag or emphasis."""
    return _MARKDOWN_SPECIAL.sub(r"\\\g<0>", text)


def _as_is(text: str) -> str:
    return text


# --- renderers -----------------------------------------------------------------------------


def _markdown(block: _Block) -> str:
    match block:
        case _Heading(text, level):
            return f"{'#' * (level + 1)} {text}"
        case _Paragraph(text):
            return text
        case _Quote(text):
            return f"> {text}"
        case _Table(header, rows):
            lines = [header, ["---"] * len(header), *rows]
            return "\n".join("| " + " | ".join(_cell(c) for c in line) + " |" for line in lines)
    raise TypeError(block)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _add_to_docx(document, block: _Block) -> None:
    match block:
        case _Heading(text, level):
            document.add_heading(text, level)
        case _Paragraph(text):
            document.add_paragraph(text)
        case _Quote(text):
            document.add_paragraph(text, style="Quote")
        case _Table(header, rows):
            table = document.add_table(rows=1, cols=len(header), style="Table Grid")
            for cell, text in zip(table.rows[0].cells, header):
                cell.text = text
            for row in rows:
                for cell, text in zip(table.add_row().cells, row):
                    cell.text = text
        case _:
            raise TypeError(block)
