"""Study packs written as Markdown and DOCX, read back; references in GB/T 7714 style."""

from __future__ import annotations

from dataclasses import replace

import docx
import pytest

from core.settings import Settings
from rag.prompts import load_text
from policyqa.factory import build_retriever
from rag.study import KeyFigure, KeyPoint, QuizItem, StudyPack, build_study_pack, to_markdown, write_docx, write_pack
from rag.study.export import reference
from rag.types import Citation
from tests.rag.conftest import make_chunk

PROMPTS = Settings().prompts_dir
TITLE = "东莞东城街道：“三三三”模式提升党建引领基层治理质效"
LEAD = "东莞东城街道全面实施党建领航“三三三”发展模式。"
CHIEFS = "社区党组织书记100%实现“一肩挑”。"
SECTIONS = [
    "study_heading_key_points",
    "study_heading_figures",
    "study_heading_discussion",
    "study_heading_quiz",
    "study_heading_choice",
    "study_heading_blank",
    "study_heading_answers",
    "study_heading_references",
]


def citation(n: int, text: str, **fields) -> Citation:
    chunk = replace(make_chunk(text, doc_id="000", title=TITLE, date="2023-06-28"), source="新快报")
    return replace(Citation.of(n, chunk), **fields)


@pytest.fixture
def pack() -> StudyPack:
    return StudyPack(
        topic="基层党建",
        key_points=[KeyPoint(LEAD, 1), KeyPoint(CHIEFS, 2)],
        figures=[KeyFigure("100%", "社区党组织书记实现“一肩挑”", 2), KeyFigure("11个", "决议", 2)],
        discussion=["如何理解“三三三”发展模式？", "本单位还有哪些差距？"],
        quiz=[
            QuizItem("choice", "全面实施党建领航“____”发展模式。", ["一肩挑", "三三三", "两委"], "三三三", 1, LEAD),
            QuizItem("blank", "社区党组织书记____%实现“一肩挑”。", [], "100", 2, CHIEFS),
        ],
        sources=[citation(1, LEAD), citation(2, CHIEFS)],
    )


def test_reference_in_gbt_7714_news_style():
    full = citation(1, LEAD)
    assert reference(full) == f"[1] 新快报. {TITLE}[N]. 2023-06-28."
    assert reference(replace(full, date=None)) == f"[1] 新快报. {TITLE}[N]."
    assert reference(replace(full, source=None, n=3)) == f"[3] {TITLE}[N]. 2023-06-28."
    assert reference(replace(full, title="")) == "[1] 新快报. 2023-06-28."
    assert reference(replace(full, source="", title="", date=None)) == "[1] 000."


def test_docx_reads_back_with_every_section(pack, tmp_path):
    path = write_docx(pack, tmp_path / "out" / "pack.docx", PROMPTS)
    document = docx.Document(str(path))
    paragraphs = [p.text for p in document.paragraphs]
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]

    title = load_text("study_title", PROMPTS).format(topic="基层党建")
    assert headings == [title, *(load_text(name, PROMPTS) for name in SECTIONS)]
    text = "\n".join(paragraphs)
    for point in pack.key_points:
        assert f"{point.text}[{point.n}]" in text
    for question in pack.discussion:
        assert question in text
    assert "A. 一肩挑　B. 三三三　C. 两委" in paragraphs
    answers = paragraphs[paragraphs.index(load_text("study_heading_answers", PROMPTS)) :]
    assert "1. B. 三三三" in answers and "2. 100" in answers  # numbered as the questions
    for item in pack.quiz:
        assert any(item.stem in p for p in paragraphs)
        assert load_text("study_answer_basis", PROMPTS).format(n=item.n, sentence=item.sentence) in answers
    assert paragraphs[-1] == f"[1][2] 新快报. {TITLE}[N]. 2023-06-28."  # one article, listed once


def test_docx_figures_are_a_real_table(pack, tmp_path):
    table = docx.Document(str(write_docx(pack, tmp_path / "pack.docx", PROMPTS))).tables[0]
    rows = [[cell.text for cell in row.cells] for row in table.rows]

    assert rows[0] == load_text("study_figure_columns", PROMPTS).splitlines()
    assert rows[1:] == [[f.number, f.what, f"[{f.n}]"] for f in pack.figures]


def test_markdown_has_every_section_and_the_answer_key(pack):
    markdown = to_markdown(pack, PROMPTS)

    assert markdown.startswith("# 基层党建")
    for name in SECTIONS:
        assert load_text(name, PROMPTS) in markdown
    assert "| 100% | 社区党组织书记实现“一肩挑” | [2] |" in markdown
    assert f"> {load_text('study_answer_basis', PROMPTS).format(n=2, sentence=CHIEFS)}" in markdown
    assert f"[1][2] 新快报. {TITLE}[N]. 2023-06-28." in markdown


def test_headings_come_from_the_configured_prompts_folder(pack, edited_prompts):
    settings = edited_prompts("study_heading_figures", "数字里的党建")
    assert "## 数字里的党建" in to_markdown(pack, settings.prompts_dir)


def test_sources_of_different_articles_are_listed_apart(pack):
    other = replace(citation(2, CHIEFS), doc_id="004", source=None, title="东莞：基层党组织坚强有力", date=None)
    markdown = to_markdown(replace(pack, sources=[pack.sources[0], other]), PROMPTS)

    assert f"[1] 新快报. {TITLE}[N]. 2023-06-28." in markdown
    assert "[2] 东莞：基层党组织坚强有力[N]." in markdown


def test_write_pack_picks_the_format_from_the_extension(pack, tmp_path):
    assert write_pack(pack, tmp_path / "pack.md", PROMPTS).read_text(encoding="utf-8") == to_markdown(pack, PROMPTS)
    assert docx.Document(str(write_pack(pack, tmp_path / "pack.DOCX", PROMPTS))).tables
    with pytest.raises(ValueError, match="docx"):
        write_pack(pack, tmp_path / "pack.pdf", PROMPTS)


@pytest.mark.e2e
def test_a_real_pack_opens_as_docx_with_its_quiz_and_answers(sample_index, tmp_path):
    retriever = build_retriever(sample_index.settings, sample_index.store)
    pack = build_study_pack("城中村治理", retriever, sample_index.store, sample_index.settings.prompts_dir)
    document = docx.Document(str(write_docx(pack, tmp_path / "pack.docx", PROMPTS)))
    text = "\n".join(p.text for p in document.paragraphs)

    assert len(document.tables[0].rows) == len(pack.figures) + 1
    assert pack.quiz
    for item in pack.quiz:
        assert item.stem in text
        assert load_text("study_answer_basis", PROMPTS).format(n=item.n, sentence=item.sentence) in text
        assert all(option in text for option in item.options)


def test_hostile_article_text_is_shown_as_text_in_markdown_and_kept_verbatim_in_docx(pack, tmp_path):
    payload = "<img src=x onerror=alert(1)>[点我](javascript:alert(2))"
    hostile = replace(
        pack,
        topic=payload,
        key_points=[KeyPoint(payload + LEAD, 1)],
        sources=[citation(1, LEAD, title=payload, source=payload)],
    )
    markdown = to_markdown(hostile, PROMPTS)
    assert "<img" not in markdown.replace("\\<img", "") and "[点我](" not in markdown
    assert "\\<img src=x onerror=alert(1)\\>\\[点我\\](javascript:alert(2))" in markdown
    document = docx.Document(str(write_docx(hostile, tmp_path / "pack.docx", PROMPTS)))
    assert any(payload in paragraph.text for paragraph in document.paragraphs)  # Word shows text as text
