"""OCR of scans made here (tests/scans.py) with the real RapidOCR models: character accuracy on
clean and noisy renders, furniture dropped, official metadata read, which PDF pages are OCR'd.

About a second of CPU per page: the scans are few and made once per module, and the tests that
run the models are marked e2e.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fpdf import FPDF

from core.settings import Settings
from index.documents import build_documents
from index.loaders import load_file
from index.ocr.reader import PageReader
from tests.scans import NOTICE, char_accuracy, cjk_font, render, write_pdf


@pytest.fixture(scope="module")
def font() -> Path:
    found = cjk_font()
    if found is None:
        message = "no CJK font (fc-list :lang=zh is empty): `make test` installs fonts-wqy-microhei"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def reader(tmp_path_factory) -> PageReader:
    return PageReader(Settings(data_dir=tmp_path_factory.mktemp("ocr")))


@pytest.fixture(scope="module")
def noisy_pdf(font, reader, tmp_path_factory):
    """The two-page notice at 150 dpi, turned 1 degree, noisy, as an image-only PDF, loaded with OCR."""
    path = write_pdf([render(page, font, 150, rotation=1.0, noise=25) for page in NOTICE], tmp_path_factory.mktemp("pdf") / "notice.pdf", 150)
    heard = []
    reader.on_page = lambda done, total: heard.append((done, total))
    try:
        (source,) = load_file(path, reader)
    finally:
        reader.on_page = None
    return source, heard


@pytest.mark.e2e
def test_a_clean_photo_reads_at_least_98_percent_of_characters(font, reader, tmp_path):
    path = tmp_path / "notice.png"
    render(NOTICE[0], font, 200, rotation=0.5).save(path)
    (source,) = load_file(path, reader)
    assert char_accuracy(source.text, NOTICE[0].text) >= 0.98
    assert [page.number for page in source.pages] == [1] and source.pages[0].ocr


@pytest.mark.e2e
def test_a_noisy_image_only_pdf_reads_at_least_95_percent_on_every_page(noisy_pdf):
    source, heard = noisy_pdf
    assert [page.number for page in source.pages] == [1, 2]
    for page, truth in zip(source.pages, NOTICE):
        assert page.ocr and char_accuracy(page.text, truth.text) >= 0.95
    assert "— 1 —" not in source.text and "— 2 —" not in source.text
    assert heard == [(1, 2), (2, 2)]


@pytest.mark.e2e
def test_the_notice_gives_its_number_issuer_title_and_date(noisy_pdf):
    source, _ = noisy_pdf
    (doc,), _ = build_documents(source, "notice")
    meta = doc.metadata
    assert (meta["doc_number"], meta["issuer"], meta["title"], meta["date"]) == (
        "东府办〔2023〕12号", "东莞市人民政府办公室", "关于加强城中村治理工作的通知", "2023-03-15"
    )
    assert meta["source"] == "东莞市人民政府办公室"
    assert [page for _, page in meta["page_starts"]] == [1, 2]


class RecordingReader:
    """Stands in for PageReader: records which PDF pages it was asked to OCR and reads each as one line."""

    def __init__(self) -> None:
        self.settings = Settings()
        self.asked: list[int] = []

    def pdf_pages(self, data: bytes, numbers):
        from index.types import Page, PageLine

        self.asked += numbers
        return [Page(n, (PageLine(f"第{n}页扫描文字。", 0.9),), ocr=True) for n in numbers]


def test_only_pdf_pages_without_a_usable_text_layer_are_ocrd(tmp_path):
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for line in ("A text layer long enough to be read as it is.", "", "Ã©Ã¨Ã¢Ã®Ã´Ã»Ã§Ã«Ã¯Ã¼Ã¿Ã±Ã¦Ã¸Ã¥Ã"):
        pdf.add_page()
        if line:
            pdf.cell(text=line)
    path = tmp_path / "mixed.pdf"
    pdf.output(str(path))
    recording = RecordingReader()
    (source,) = load_file(path, recording)
    assert recording.asked == [2, 3]  # a blank page and a garbled one
    assert source.text.split("\n") == ["A text layer long enough to be read as it is.", "第2页扫描文字。", "第3页扫描文字。"]
    assert [page.ocr for page in source.pages] == [False, True, True]
