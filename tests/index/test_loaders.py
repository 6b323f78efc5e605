"""Loading every supported format, and every encoding, from files made in tmp_path.

PDF loading is tested with ASCII text only: the machine has no CJK TrueType font
(``fc-list :lang=zh`` is empty), and fpdf2 needs one to write Chinese.
"""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from PIL import Image

from core.settings import Settings
from index.loaders import LoadError, check_size, iter_files, load_file
from index.ocr.reader import PageReader

ARTICLES = Path(__file__).resolve().parents[2] / "data" / "articles"
SAMPLES = sorted(ARTICLES.glob("*.txt"))
TRADITIONAL = SAMPLES[1]  # 001 is in traditional script
SIMPLIFIED = [path for path in SAMPLES if path != TRADITIONAL]


def _encodable(text: str, encoding: str) -> str:
    """``text`` without the characters ``encoding`` cannot represent."""
    return text.encode(encoding, errors="ignore").decode(encoding)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _load_one(path: Path):
    (source,) = load_file(path)
    return source


def test_samples_are_what_the_encoding_tests_assume() -> None:
    assert len(SAMPLES) == 5
    assert "黨建" in TRADITIONAL.read_text(encoding="utf-8")
    assert all("党建" in path.read_text(encoding="utf-8") for path in SIMPLIFIED)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.name[:3])
def test_utf8_txt_loads_exactly(sample: Path) -> None:
    source = _load_one(sample)
    assert source.text == sample.read_text(encoding="utf-8")
    assert source.encoding == "utf-8"
    assert source.path == sample
    assert source.doc_id is None and source.title is None


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.name[:3])
@pytest.mark.parametrize(
    ("codec", "bom", "expected"),
    [
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("utf-16-le", b"\xff\xfe", "utf-16-le"),
        ("utf-16-be", b"\xfe\xff", "utf-16-be"),
    ],
)
def test_bom_encodings_round_trip(tmp_path: Path, sample: Path, codec: str, bom: bytes, expected: str) -> None:
    text = sample.read_text(encoding="utf-8")
    source = _load_one(_write(tmp_path / "a.txt", bom + text.encode(codec)))
    assert source.text == text
    assert source.encoding == expected


@pytest.mark.parametrize("sample", SIMPLIFIED, ids=lambda path: path.name[:3])
def test_gbk_simplified_articles_round_trip(tmp_path: Path, sample: Path) -> None:
    text = _encodable(sample.read_text(encoding="utf-8"), "gbk")
    source = _load_one(_write(tmp_path / "a.txt", text.encode("gbk")))
    assert source.text == text
    assert source.encoding == "gb18030"


def test_big5_traditional_article_round_trips(tmp_path: Path) -> None:
    text = _encodable(TRADITIONAL.read_text(encoding="utf-8"), "big5")
    assert len(text) > 4000  # only a handful of characters were stripped
    source = _load_one(_write(tmp_path / "a.txt", text.encode("big5")))
    assert source.text == text
    assert source.encoding == "big5"


def test_traditional_article_in_gbk_is_not_mistaken_for_big5(tmp_path: Path) -> None:
    text = _encodable(TRADITIONAL.read_text(encoding="utf-8"), "gbk")
    source = _load_one(_write(tmp_path / "a.txt", text.encode("gbk")))
    assert source.text == text
    assert source.encoding == "gb18030"


def test_gb18030_four_byte_characters_round_trip(tmp_path: Path) -> None:
    text = SAMPLES[3].read_text(encoding="utf-8")
    assert "•" in text  # not in GBK: GB18030 writes it in four bytes
    source = _load_one(_write(tmp_path / "a.txt", text.encode("gb18030")))
    assert source.text == text
    assert source.encoding == "gb18030"


@pytest.mark.parametrize(("text", "codec"), [("东城街道", "gbk"), ("東城街道", "big5"), ("党建引领基层治理", "gbk")])
def test_short_strings_pick_the_right_codec(tmp_path: Path, text: str, codec: str) -> None:
    assert _load_one(_write(tmp_path / "a.txt", text.encode(codec))).text == text


def test_crlf_newlines_become_lf(tmp_path: Path) -> None:
    source = _load_one(_write(tmp_path / "a.txt", "第一段。\r\n第二段。\r第三段。".encode()))
    assert source.text == "第一段。\n第二段。\n第三段。"


def test_markdown_loads_as_text(tmp_path: Path) -> None:
    text = "# 东城街道\n\n党建引领基层治理。\n"
    source = _load_one(_write(tmp_path / "a.md", text.encode()))
    assert source.text == text


def test_html_keeps_readable_paragraphs_and_title(tmp_path: Path) -> None:
    html = """<!doctype html><html><head><title>东城街道：党建引领</title>
    <style>p { color: red }</style><script>var x = "脚本";</script></head>
    <body><header>网站首页 导航</header><nav><a href="/">首页</a></nav>
    <h1>东城街道：党建引领</h1>
    <p>东城街道将党建引领与社区治理
    深度融合，<b>全面</b>实施“三三三”模式。</p>
    <div>第二段<br>换行后的文字。<!-- 注释 --></div>
    <table><tr><td>单位</td><td>人数</td></tr></table>
    <footer>版权所有</footer></body></html>"""
    source = _load_one(_write(tmp_path / "a.html", html.encode()))
    assert source.title == "东城街道：党建引领"
    assert source.text.split("\n") == [
        "东城街道：党建引领",
        "东城街道将党建引领与社区治理 深度融合，全面实施“三三三”模式。",
        "第二段",
        "换行后的文字。",
        "单位",
        "人数",
    ]


def test_html_title_falls_back_to_h1_and_encoding_is_detected(tmp_path: Path) -> None:
    html = "<html><body><h1>黨建引領</h1><p>東城街道。</p></body></html>"
    source = _load_one(_write(tmp_path / "a.htm", html.encode("big5")))
    assert source.title == "黨建引領"
    assert source.text == "黨建引領\n東城街道。"
    assert source.encoding == "big5"


def test_pdf_pages_are_joined_by_newlines(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.set_title("Policy notice")
    pdf.set_font("helvetica", size=12)
    for line in ("First page text.", "Second page text."):
        pdf.add_page()
        pdf.cell(text=line)
    path = tmp_path / "a.pdf"
    pdf.output(str(path))
    source = _load_one(path)
    assert source.text.split("\n") == ["First page text.", "Second page text."]
    assert source.title == "Policy notice"
    assert source.encoding == "pdf"


def test_docx_paragraphs_are_joined_by_newlines(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "东城街道"
    for paragraph in ("东城街道：党建引领", "全面实施“三三三”模式。"):
        document.add_paragraph(paragraph)
    path = tmp_path / "a.docx"
    document.save(str(path))
    source = _load_one(path)
    assert source.text == "东城街道：党建引领\n全面实施“三三三”模式。"
    assert source.title == "东城街道"
    assert source.encoding == "docx"


def test_a_docx_whose_xml_is_broken_is_reported_as_invalid(tmp_path: Path) -> None:
    whole = tmp_path / "whole.docx"
    docx.Document().save(str(whole))
    path = tmp_path / "broken.docx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            target.writestr(item, content[: len(content) // 2] if item.filename == "word/document.xml" else content)
    with pytest.raises(LoadError, match="broken.docx: not a valid DOCX file"):  # lxml's error is no ValueError
        load_file(path)


def test_jsonl_gives_one_source_per_record(tmp_path: Path) -> None:
    records = [
        {"doc_id": "ncp-1", "title": "通知", "text": "各有关单位：为做好防控工作。", "source": "gov", "date": "2020-02-04"},
        {"doc_id": "ncp-2", "title": "行动", "text": "农业农村部开展宣传。", "source": "gov"},
    ]
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    path = _write(tmp_path / "docs.jsonl", ("\n".join(lines[:1] + [""] + lines[1:]) + "\n").encode("gbk"))
    first, second = load_file(path)
    assert first.doc_id == "ncp-1" and first.title == "通知" and first.source == "gov"
    assert first.text == "各有关单位：为做好防控工作。" and first.date == "2020-02-04"
    assert (second.doc_id, second.date) == ("ncp-2", None)
    assert first.path == path and first.encoding == "gb18030"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("a.xls", b"anything", "unsupported file type .xls"),
        ("README", b"anything", "unsupported file type (no extension)"),
        ("a.txt", b"", "empty file"),
        ("a.txt", b" \n\t\n", "empty file"),
        ("a.txt", random.Random(7).randbytes(4096), "cannot decode: not UTF-8, GB18030, Big5 or UTF-16"),
        ("a.txt", b"ELF\x00\x01\x02 text", "binary data (3 control bytes such as NUL), not text"),
        ("a.jsonl", b'{"doc_id": \n', "line 1: invalid JSON"),
        ("a.jsonl", b'\n\n{"doc_id": "a", "title": "t"}\n', "line 3: missing field 'text'"),
        ("a.jsonl", b'["doc_id", "text"]\n', "line 1: not a JSON object"),
        ("a.jsonl", b'{"doc_id": "a", "text": "  "}\n', "line 1: field 'text' must be a non-empty string"),
        ("a.jsonl", b'{"doc_id": "a", "text": "x", "date": 2020}\n', "line 1: field 'date' must be a string"),
        ("a.pdf", b"%PDF-1.4 not really", "not a readable PDF"),
        ("a.docx", b"PK\x03\x04 not really a zip", "not a valid DOCX file"),
        ("a.docx", b"plain text", "content is text or unknown, not the zip a .docx file holds"),
        ("a.pdf", b"\xff\xd8\xff\xe0 JFIF", "content is JPEG image, not the PDF a .pdf file holds"),
        ("a.txt", b"%PDF-1.4 a renamed PDF", "content is PDF, not text"),
        ("a.html", b"\x89PNG\r\n\x1a\n", "content is PNG image, not text"),
        ("a.md", b"\x7fELF\x02\x01", "content is program, not text"),
        ("a.png", "东华村".encode(), "content is text or unknown, not the JPEG image or PNG image or TIFF image a .png"),
        ("a.tif", b"GIF89a", "content is GIF image, not the JPEG image or PNG image or TIFF image a .tif file holds"),
        ("a.jpg", b"MZ\x90\x00\x03", "content is program, not the JPEG image"),
        ("a.html", b"<html><script>x()</script></html>", "no readable text in HTML"),
    ],
)
def test_bad_files_raise_load_error_with_one_line_reason(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = _write(tmp_path / name, data)
    with pytest.raises(LoadError) as raised:
        load_file(path)
    message = str(raised.value)
    assert message.startswith(f"{name}: {reason}")
    assert "\n" not in message
    assert raised.value.path == path


def test_jsonl_keeps_its_good_records_and_notes_each_bad_line(tmp_path: Path) -> None:
    lines = ['{"doc_id": "a", "text": "x"}', '{"doc_id": ', '{"doc_id": "a", "text": "y"}', '{"doc_id": "b", "text": "z"}']
    first, second = load_file(_write(tmp_path / "a.jsonl", "\n".join(lines).encode()))
    assert (first.doc_id, second.doc_id) == ("a", "b")
    assert first.notes == ("2 bad line(s) skipped (line 2: invalid JSON; line 3: duplicate doc_id 'a')",)


def test_stray_nul_bytes_are_removed_and_noted(tmp_path: Path) -> None:
    text = SIMPLIFIED[0].read_text(encoding="utf-8")
    data = text.encode().replace(b"\n", b"\n\x00", 3)  # where a damaged copy pads a block
    source = _load_one(_write(tmp_path / "a.txt", data))
    assert source.text == text
    assert source.notes == ("3 stray control bytes (NUL) removed",)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_detected(tmp_path: Path, codec: str) -> None:
    text = SIMPLIFIED[0].read_text(encoding="utf-8")
    source = _load_one(_write(tmp_path / "a.txt", text.encode(codec)))
    assert (source.text, source.encoding) == (text, codec)


@pytest.mark.parametrize("name", ["scan.png", "scan.jpg", "scan.jpeg", "scan.tif", "scan.TIFF"])
@pytest.mark.parametrize("kind", ["PNG", "JPEG", "TIFF"])
def test_an_image_of_any_supported_kind_passes_the_content_check_under_any_image_name(tmp_path, name, kind):
    path = tmp_path / name
    Image.new("L", (40, 20), 255).save(path, format=kind)  # phones save a PNG as .jpg and the like
    with pytest.raises(LoadError, match="can only be read by OCR"):  # past the content check
        load_file(path)


def test_an_image_declaring_gigapixels_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    Image.new("1", (20_000, 20_000)).save(path)  # 400 M pixels in a few kB
    reader = PageReader(Settings(data_dir=tmp_path))
    with pytest.raises(LoadError, match="bomb.png: refused: Image size .* could be decompression bomb"):
        load_file(path, reader)
    assert reader._engine._engine is None  # OCR never started


def test_scans_have_their_own_size_limit(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, max_file_mb=0.001, max_scan_mb=0.002)
    text, scan = _write(tmp_path / "a.txt", b"x" * 1500), _write(tmp_path / "a.tif", b"x" * 1500)
    with pytest.raises(LoadError, match="a.txt: too large: 0.0 MB, over the 0.001 MB limit"):
        check_size(text, settings)
    check_size(scan, settings)
    with pytest.raises(LoadError, match="over the 0.002 MB limit"):
        check_size(_write(tmp_path / "b.pdf", b"x" * 2500), settings)


def test_stray_control_bytes_in_a_pdf_text_layer_are_removed_and_noted(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.cell(text="First page text.")
    pdf.set_compression(False)
    path = tmp_path / "a.pdf"
    pdf.output(str(path))
    data = path.read_bytes().replace(b"(First page", b"(First\\000 page", 1)
    source = _load_one(_write(path, data))
    assert source.text == "First page text."
    assert source.notes == ("1 stray control bytes (NUL) removed",)


def test_missing_file_raises_load_error(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="a.txt: cannot read"):
        load_file(tmp_path / "a.txt")


def test_iter_files_expands_folders_sorted_and_skips_hidden(tmp_path: Path) -> None:
    for name in ("b/z.txt", "b/a.HTML", "a.jsonl", "c/d/e.docx", "notes.xls", ".hidden.txt", ".git/x.txt", "b/.cache/y.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    explicit = tmp_path / "notes.xls"
    found = iter_files([tmp_path / "b", tmp_path, explicit])
    relative = [path.relative_to(tmp_path).as_posix() for path in found]
    assert relative == ["a.jsonl", "b/a.HTML", "b/z.txt", "c/d/e.docx", "notes.xls"]
