"""Pages through cleaning: each chunk finds its pages and the OCR confidence of its lines."""

from __future__ import annotations

from pathlib import Path

from index.chunking import chunk_document
from index.documents import build_documents
from index.pages import ocr_summary, page_metadata, provenance
from index.types import Page, PageLine, Provenance, SourceText


def ocr_page(number: int, *lines: tuple[str, float]) -> Page:
    return Page(number, tuple(PageLine(text, confidence) for text, confidence in lines), ocr=True)


PAGES = (
    ocr_page(1, ("关于加强城中村治理工作的通知", 0.99), ("一、各镇街要完成出租屋登记工作,登记率不低于95%。", 0.98)),
    ocr_page(2, ("二、东华村户籍人口3200人。", 0.97), ("三、专项资金1200万元由市财政安排。", 0.62)),
)


def test_lines_are_found_again_after_cleaning_rewrote_their_punctuation():
    body = "关于加强城中村治理工作的通知\n一、各镇街要完成出租屋登记工作，登记率不低于95%。\n二、东华村户籍人口3200人。\n三、专项资金1200万元由市财政安排。"
    meta = page_metadata(body, PAGES)
    second = body.index("二、")
    assert meta["page_starts"] == [[0, 1], [second, 2]]
    starts = [body[start:end] for start, end, _ in meta["ocr_lines"]]
    assert starts[1] == "一、各镇街要完成出租屋登记工作，登记率不低于95%。"  # to its last letter or digit and the marks closing it
    assert [c for *_, c in meta["ocr_lines"]] == [0.99, 0.98, 0.97, 0.62]


def test_a_chunk_names_its_pages_its_mean_confidence_and_its_doubtful_lines():
    body = "甲页的句子。\n乙页的句子。看不清的句子。"
    meta = {"page_starts": [[0, 1], [7, 2]], "ocr_lines": [[0, 6, 1.0], [7, 13, 0.9], [13, 20, 0.5]]}
    assert provenance(meta, body[7:], 7, 0.8) == Provenance(2, 2, round((6 * 0.9 + 7 * 0.5) / 13, 3), ("看不清的句子。",))
    across = provenance(meta, body, 0, 0.8)
    assert (across.page, across.last_page, across.pages) == (1, 2, "1-2")
    assert provenance({"page_starts": [[0, 3]]}, "文字层。", 0, 0.8) == Provenance(3, 3, None, ())
    assert provenance({}, body, 0, 0.8) is None


def test_ocr_summary_counts_doubtful_lines_and_is_none_for_a_text_layer():
    assert ocr_summary({"ocr_lines": [[0, 10, 1.0], [10, 20, 0.5]]}, 0.9) == {"confidence": 0.75, "doubtful_lines": 1}
    assert ocr_summary({"page_starts": [[0, 1]], "ocr_lines": []}, 0.9) is None


def test_built_documents_carry_page_metadata_to_their_chunks():
    text = "\n".join(page.text for page in PAGES)
    (doc,), _ = build_documents(SourceText(Path("scan.pdf"), text, "pdf", pages=PAGES), "scan")
    assert [page for _, page in doc.metadata["page_starts"]] == [1, 2]
    chunks = chunk_document(doc, 10, 40)
    found = [provenance(doc.metadata, c.text, c.start, 0.9) for c in chunks]
    assert found[0].page == 1 and found[-1].page == 2
    assert found[-1].doubtful == ("三、专项资金1200万元由市财政安排。",)


def test_a_part_of_a_chunk_names_only_the_pages_it_is_on():
    body = "甲页的句子。\n乙页的句子。看不清的句子。"
    found = provenance({"page_starts": [[0, 1], [7, 3]]}, body, 0, 0.8)
    assert found.breaks == ((7, 3),)
    assert [found.narrowed(*span).pages for span in ((7, 13), (0, 6), (0, 13))] == ["3", "1", "1-3"]
    assert found.narrowed(7, 13).breaks == ()
