"""A scanned notice ingested beside sample articles with the real models, then asked about a
fact that only its second page holds: the answer cites it with that page."""

from __future__ import annotations

import shutil

import pytest

from index.service import open_index
from policyqa.factory import build_chain, build_retriever
from tests.conftest import ARTICLES, make_settings
from tests.index.test_ocr import font  # noqa: F401  (the fixture)
from tests.scans import NOTICE, render, write_pdf

pytestmark = pytest.mark.e2e


def test_a_question_on_a_scanned_pdf_is_answered_with_its_page(font, tmp_path):  # noqa: F811
    folder = tmp_path / "files"
    folder.mkdir()
    for sample in sorted(ARTICLES.glob("*.txt"))[:2]:
        shutil.copy(sample, folder)
    write_pdf([render(page, font, 200, rotation=0.7, noise=15) for page in NOTICE], folder / "scan.pdf")
    settings = make_settings(tmp_path / "index")
    pages_heard = []
    with open_index(settings) as idx:
        report = idx.ingest([folder], on_page=lambda done, total: pages_heard.append(done))
        assert not report.failed and report.files == 3 and pages_heard == [1, 2]
        (scan,) = [a for a in idx.articles() if a["path"].endswith("scan.pdf")]
        assert scan["doc_number"] == "东府办〔2023〕12号" and scan["ocr"]["confidence"] > 0.9
        chain = build_chain(settings, build_retriever(settings, idx.store))
        answer = chain.ask("横沥镇农村生活污水处理设施改造专项资金是多少？")
    assert not answer.refused and "3600万元" in answer.answer
    cited = [c for c in answer.citations if c.doc_id == scan["doc_id"]]
    assert cited and "3600万元" in cited[0].quote
    assert cited[0].provenance.page == 2 and cited[0].provenance.ocr_confidence > 0.9
