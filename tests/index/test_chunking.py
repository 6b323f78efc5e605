"""Chunking invariants on the five sample articles, and the rules on small made-up ones.

The samples are only roughly cleaned here (blank lines dropped, lines stripped); the real
cleaner is tested on its own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from langchain_core.documents import Document

from index.chunking import chunk_document
from index.text.script import to_simplified
from index.types import Chunk

ARTICLES = Path(__file__).resolve().parents[2] / "data" / "articles"
SAMPLES = sorted(ARTICLES.glob("*.txt"))
# The documented sentence end, written out independently of the module under test.
END = re.compile(r"(?:[。！？；…]|[!?;](?![0-9A-Za-z=&,，、]))+[”’」』）)\]】》]*")
SIZES = [(200, 500), (60, 150)]  # no sample sentence is over 300 chars, so none is cut


def rough_clean(raw: str) -> str:
    return "\n".join(line.strip() for line in raw.splitlines() if line.strip())


def make_doc(text: str, title: str = "", doc_id: str = "doc") -> Document:
    metadata = {
        "doc_id": doc_id,
        "title": title,
        "date": "2023-06-28",
        "source": "新快报",
        "places": ["东莞", "东城街道"],
        "path": "data/articles/x.txt",
    }
    return Document(page_content=text, metadata=metadata)


def sample_doc(path: Path) -> Document:
    text = rough_clean(path.read_text(encoding="utf-8"))
    return make_doc(text, title=text.split("\n", 1)[0], doc_id=path.stem)


def boundaries(text: str) -> tuple[set[int], set[int]]:
    """(sentence starts, sentence ends) of a text whose lines are stripped paragraphs."""
    ends = {match.end() for match in END.finditer(text)} | {m.start() for m in re.finditer("\n", text)} | {len(text)}
    starts = {0} | {m.end() for m in re.finditer("\n", text)}
    starts |= {m.end() + len(text[m.end() :]) - len(text[m.end() :].lstrip(" \u3000")) for m in END.finditer(text)}
    return starts - {len(text)}, ends


def same_section(text: str, previous: Chunk, following: Chunk) -> bool:
    return previous.section == following.section and not text[previous.end : following.start].strip()


@pytest.fixture(scope="module", params=SAMPLES, ids=lambda path: path.name[:3])
def sample(request: pytest.FixtureRequest) -> Document:
    return sample_doc(request.param)


@pytest.mark.parametrize(("min_chars", "max_chars"), SIZES)
def test_chunks_are_exact_slices_of_whole_sentences(sample: Document, min_chars: int, max_chars: int) -> None:
    text = sample.page_content
    starts, ends = boundaries(text)
    chunks = chunk_document(sample, min_chars, max_chars)
    assert chunks
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.start in starts and chunk.end in ends
        if len(chunk.text) > max_chars:
            inner_ends = [end for end in ends if chunk.start < end < chunk.end]
            assert not inner_ends, f"over-long chunk of several sentences: {chunk.text!r}"


@pytest.mark.parametrize(("min_chars", "max_chars"), SIZES)
def test_consecutive_chunks_of_a_section_overlap_by_one_sentence(
    sample: Document, min_chars: int, max_chars: int
) -> None:
    text = sample.page_content
    starts, ends = boundaries(text)
    chunks = chunk_document(sample, min_chars, max_chars)
    overlaps = 0
    for previous, following in zip(chunks, chunks[1:]):
        assert previous.start < following.start
        if following.start < previous.end:
            overlaps += 1
            assert previous.section == following.section
            assert not [end for end in ends if following.start < end < previous.end], "overlap is one sentence"
        elif same_section(text, previous, following):
            # No overlap only when the previous chunk is one sentence, or when the two
            # sentences at the seam do not fit in one chunk.
            last_start = max(start for start in starts if start < previous.end)
            first_end = min(end for end in ends if end > following.start)
            assert last_start == previous.start or first_end - last_start > max_chars
    assert overlaps or len({chunk.section for chunk in chunks}) == len(chunks)  # not vacuous


def test_no_body_text_is_lost(sample: Document) -> None:
    text = sample.page_content
    chunks = chunk_document(sample)
    covered = [False] * len(text)
    for chunk in chunks:
        covered[chunk.start : chunk.end] = [True] * (chunk.end - chunk.start)
    headings = {part for chunk in chunks for part in chunk.section.split(" / ")}
    position = 0
    for line in text.split("\n"):
        if not all(covered[position : position + len(line)]):
            assert line in headings or line == sample.metadata["title"], f"lost: {line!r}"
        position += len(line) + 1


def test_title_line_is_not_body(sample: Document) -> None:
    title = sample.metadata["title"]
    assert all(chunk.start >= len(title) for chunk in chunk_document(sample))


def test_chunk_fields_come_from_metadata(sample: Document) -> None:
    for chunk in chunk_document(sample):
        assert chunk.doc_id == sample.metadata["doc_id"]
        assert chunk.title == sample.metadata["title"]
        assert (chunk.date, chunk.source, chunk.path) == ("2023-06-28", "新快报", "data/articles/x.txt")
        assert chunk.places == ("东莞", "东城街道")
        assert chunk.search_text == to_simplified(chunk.text)


def test_chunk_ids_are_stable_and_unique(sample: Document) -> None:
    first = [chunk.chunk_id for chunk in chunk_document(sample)]
    second = [chunk.chunk_id for chunk in chunk_document(sample)]
    assert first == second
    assert len(set(first)) == len(first)


def test_chunk_ids_are_those_existing_indexes_were_built_with() -> None:
    # Stored chunks are matched by the id their fields give: a new id scheme would make every
    # index built before it return no passages at all.
    chunk = Chunk(doc_id="002_258a9ff317ac8ce5#1", text="全村户籍人口1867人。", search_text="全村户籍人口1867人。",
                  start=120, end=132, title="东华村")  # fmt: skip
    assert chunk.chunk_id == "002_258a9ff317ac8ce5#1:40fbad59d5e7"


def test_sections_of_the_first_sample_nest_bullets_under_headings() -> None:
    chunks = chunk_document(sample_doc(SAMPLES[0]))

    def section_of(phrase: str) -> str:
        (chunk,) = [chunk for chunk in chunks if phrase in chunk.text]
        return chunk.section

    assert section_of("东城街道完成社区换届选举") == "“三个强化”促进治理效能新提升 / ●强化“头雁”效应"
    assert section_of("健全社区党组织书记抓基层党建") == "“三个强化”促进治理效能新提升 / ●强化制度建设"
    assert section_of("出台抓党建促乡村振兴") == "“三个引领”打造产业发展新驱动 / ●引领组织保障"
    assert section_of("将党建引领与社区治理工作深度融合") == ""  # the lead, below the title
    assert "■新快报记者 杨英杰 通讯员 东城宣" in chunks[0].text  # a byline heads nothing


def test_traditional_sample_gets_simplified_search_text() -> None:
    chunks = chunk_document(sample_doc(SAMPLES[1]))
    assert any("黨" in chunk.text for chunk in chunks)
    assert not any("黨" in chunk.search_text for chunk in chunks)
    assert any(chunk.section == "課堂教學(xué) / 巧用“黨建+”模式激活社區(qū)治理新格局" for chunk in chunks)


def texts(text: str, min_chars: int = 200, max_chars: int = 500) -> list[str]:
    return [chunk.text for chunk in chunk_document(make_doc(text), min_chars, max_chars)]


def test_colon_does_not_end_a_sentence_and_closing_quotes_stay_with_it() -> None:
    text = "工作要求如下：一是加强领导，二是压实责任。他说：“难事办成。”随后散会！"
    assert texts(text, min_chars=10, max_chars=30) == [
        "工作要求如下：一是加强领导，二是压实责任。",
        "他说：“难事办成。”随后散会！",
    ]


def test_ascii_question_mark_inside_a_url_ends_nothing() -> None:
    text = "详见 list.php?id=3 的通知。下一句。"
    assert texts(text, min_chars=5, max_chars=20) == ["详见 list.php?id=3 的通知。", "下一句。"]


def test_a_sentence_longer_than_max_chars_is_one_chunk() -> None:
    long_sentence = "党建引领基层治理" * 70 + "。"
    assert texts(f"短句一。{long_sentence}短句二。") == ["短句一。", long_sentence, "短句二。"]


def test_a_sentence_over_twice_max_chars_is_cut_after_commas() -> None:
    sentence = ("甲" * 49 + "，") * 24 + "乙。"
    chunks = texts(sentence)
    assert all(len(chunk) <= 500 for chunk in chunks)
    assert all(chunk.endswith("，") for chunk in chunks[:-1]) and chunks[-1].endswith("乙。")
    assert "".join(chunks) == sentence  # pieces fill whole chunks, so nothing overlaps


def test_a_sentence_without_commas_is_cut_hard_as_last_resort() -> None:
    sentence = "甲" * 1100 + "。"
    assert [len(chunk) for chunk in texts(sentence)] == [500, 500, 101]


def test_past_min_chars_chunks_stop_at_paragraph_ends() -> None:
    paragraph = "甲" * 59 + "。" + "乙" * 59 + "。"
    text = "\n".join([paragraph] * 6)
    chunks = chunk_document(make_doc(text))
    assert len(chunks) == 3
    assert all(chunk.end == len(text) or text[chunk.end] == "\n" for chunk in chunks)
    assert chunks[1].text.startswith("乙") and chunks[2].text.startswith("乙")  # one sentence of overlap


def test_chunks_never_cross_a_heading() -> None:
    chunks = chunk_document(make_doc("导语一句。\n小标题\n正文一句。"))
    assert [(chunk.section, chunk.text) for chunk in chunks] == [("", "导语一句。"), ("小标题", "正文一句。")]


def test_numbered_headings_nest_and_replace_their_level() -> None:
    text = "\n".join(
        ["总体要求", "一、指导思想", "（一）基本原则", "正文一。", "（二）工作目标", "正文二。", "二、主要任务", "正文三。"]
    )
    sections = [chunk.section for chunk in chunk_document(make_doc(text))]
    assert sections == [
        "总体要求 / 一、指导思想 / （一）基本原则",
        "总体要求 / 一、指导思想 / （二）工作目标",
        "总体要求 / 二、主要任务",
    ]


def test_stacked_plain_headings_form_one_path() -> None:
    chunks = chunk_document(make_doc("多元共建聚资源:\n党建走入商圈楼宇、新兴业态\n夜幕降临。\n携手共治聚力量\n正文。"))
    assert [chunk.section for chunk in chunks] == ["多元共建聚资源: / 党建走入商圈楼宇、新兴业态", "携手共治聚力量"]


def test_a_list_of_short_items_is_body_not_headings() -> None:
    text = "主要措施\n1、加强组织领导\n2、完善工作机制\n3、强化督导检查\n各单位要抓好落实。"
    (chunk,) = chunk_document(make_doc(text))
    assert chunk.section == "主要措施"
    assert chunk.text == text.split("\n", 1)[1]


def test_short_lines_after_the_last_sentence_are_body() -> None:
    (chunk,) = chunk_document(make_doc("正文一句。\n2023年6月28日 星期三"))
    assert (chunk.section, chunk.text) == ("", "正文一句。\n2023年6月28日 星期三")


def test_empty_document_has_no_chunks() -> None:
    assert chunk_document(make_doc("")) == []


@pytest.mark.parametrize(("min_chars", "max_chars"), [(0, 500), (600, 500)])
def test_bad_sizes_are_rejected(min_chars: int, max_chars: int) -> None:
    with pytest.raises(ValueError, match="min_chars"):
        chunk_document(make_doc("正文。"), min_chars, max_chars)


def test_doc_id_is_required() -> None:
    with pytest.raises(ValueError, match="doc_id"):
        chunk_document(make_doc("正文。", doc_id=""))
