"""Read article files of any supported format into ``SourceText``.

Every failure a user can cause with a bad file is a ``LoadError``, so a batch ingest can
report the file and go on with the rest.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import docx
from bs4 import BeautifulSoup
from docx.opc.exceptions import PackageNotFoundError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdfium2 import PdfiumError

from core.errors import BadInputFile
from index.ocr.reader import PageReader
from index.types import Page, PageLine, SourceText


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Chinese punctuation that both GB2312 and Big5 texts use all the time.
_COMMON_PUNCT = frozenset("，。、；：？！“”‘’（）《》【】—…·「」『』％")
# Tags whose text a reader never sees as article body.
_HTML_DROP = ["script", "style", "noscript", "template", "nav", "header", "footer", "title"]
_HTML_BLOCKS = (
    "p div section article main aside li ul ol dl dt dd h1 h2 h3 h4 h5 h6 "
    "table tr td th blockquote pre figure figcaption"
).split()
# decode_text rejects NUL, so in HTML it can stand for "block break".
_BREAK = "\x00"
_JSONL_OPTIONAL = ("title", "date", "source")
# A PDF text layer with more characters than this share outside the common sets is garbled (a
# font without a Unicode map yields rare hanzi, control codes and U+FFFD), and its page is OCR'd.
_MAX_GARBLED = 0.3


class LoadError(BadInputFile):
    """A file that cannot be read as an article; ``str`` is one line: file name and reason."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path.name}: {self.reason}"


def iter_files(paths: list[Path]) -> list[Path]:
    """Expand folders recursively to supported, non-hidden files; sorted, without repeats.

    Paths named explicitly are kept even when unsupported or missing, so that
    ``load_file`` reports them instead of them vanishing silently.
    """
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(
                file
                for file in path.rglob("*")
                if file.is_file()
                and file.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in file.relative_to(path).parts)
            )
        else:
            found.add(path)
    return sorted(found)


def load_file(path: Path, ocr: PageReader | None = None) -> list[SourceText]:
    """Decode one file: one SourceText, or one per record for JSON Lines.

    Images, and PDF pages without a usable text layer, are read by ``ocr``; without it an
    image is refused and such PDF pages are left out.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(path, f"unsupported file type {suffix or '(no extension)'}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read: {exc.strerror or exc}") from exc
    if not data.strip():
        raise LoadError(path, "empty file")
    if suffix in _PAGED_LOADERS:
        return _PAGED_LOADERS[suffix](path, data, ocr)
    return _LOADERS[suffix](path, data)


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Return (text, encoding) for bytes in UTF-8/UTF-16 (with BOM), GB18030/GBK or Big5.

    Newlines are made universal (``\\r\\n`` and ``\\r`` become ``\\n``), as ``open()`` does.
    """
    text, encoding = _decode(data)
    if text is None:
        raise LoadError(path, "cannot decode: not UTF-8, GB18030, Big5 or UTF-16")
    if "\x00" in text:
        raise LoadError(path, "binary data (NUL bytes), not text")
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def _decode(data: bytes) -> tuple[str | None, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _try_decode(data[len(bom) :], encoding), encoding
    if (text := _try_decode(data, "utf-8")) is not None:
        return text, "utf-8"
    # Each of the two decodes most byte strings of the other without error; the wrong one
    # yields rare characters, kana and private-use code points, so keep the more common text.
    # Ties go to GB18030: a short GBK run can read as plausible Big5, and mainland sources dominate.
    candidates = [
        (_rare_share(text), rank, text, encoding)
        for rank, encoding in enumerate(("gb18030", "big5"))
        if (text := _try_decode(data, encoding)) is not None
    ]
    if not candidates:
        return None, ""
    _, _, text, encoding = min(candidates)
    return text, encoding


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _rare_share(text: str) -> float:
    counts = Counter(char for char in text if not char.isspace())
    rare = sum(n for char, n in counts.items() if not _is_common(char))
    return rare / max(1, counts.total())


def _is_common(char: str) -> bool:
    """ASCII, everyday punctuation, or a level-1 (frequent) hanzi of GB2312 or Big5."""
    return (
        char.isascii()
        or char in _COMMON_PUNCT
        or _encodes_within(char, "gb2312", b"\xb0\xa1", b"\xd7\xf9")
        or _encodes_within(char, "big5", b"\xa4\x40", b"\xc6\x7e")
    )


def _encodes_within(char: str, encoding: str, low: bytes, high: bytes) -> bool:
    try:
        code = char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and low <= code <= high


def _load_plain(path: Path, data: bytes) -> list[SourceText]:
    text, encoding = decode_text(path, data)
    if not text.strip():
        raise LoadError(path, "empty file")
    return [SourceText(path=path, text=text, encoding=encoding)]


def _load_html(path: Path, data: bytes) -> list[SourceText]:
    markup, encoding = decode_text(path, data)
    soup = BeautifulSoup(markup, "lxml")
    title = _html_title(soup)
    for tag in soup.find_all(_HTML_DROP):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with(_BREAK)
    for block in soup.find_all(_HTML_BLOCKS):
        block.insert_before(_BREAK)
        block.insert_after(_BREAK)
    # Line wraps in the markup are not paragraph breaks; only block boundaries are.
    flat = re.sub(r"\s+", " ", soup.get_text())
    lines = (line.strip() for line in flat.split(_BREAK))
    text = "\n".join(line for line in lines if line)
    if not text:
        raise LoadError(path, "no readable text in HTML")
    return [SourceText(path=path, text=text, encoding=encoding, title=title)]


def _html_title(soup: BeautifulSoup) -> str | None:
    for tag in (soup.title, soup.h1):
        if tag is not None and (title := " ".join(tag.get_text().split())):
            return title
    return None


def _load_pdf(path: Path, data: bytes, ocr: PageReader | None) -> list[SourceText]:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(path, "encrypted PDF (needs a password)")
        layers = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise LoadError(path, f"not a readable PDF ({exc})") from exc
    pages = [
        Page(n, tuple(PageLine(line) for line in text.splitlines() if line.strip())) for n, text in enumerate(layers, 1)
    ]
    scanned = [page.number for page in pages if ocr and not _usable_layer(layers[page.number - 1], ocr)]
    if scanned:
        try:
            read = {page.number: page for page in ocr.pdf_pages(data, scanned)}
        except PdfiumError as exc:
            raise LoadError(path, f"cannot render PDF pages for OCR ({exc})") from exc
        pages = [read.get(page.number, page) for page in pages]
    text = "\n".join(page.text for page in pages)
    if not text.strip():
        reason = "no text in PDF, not even by OCR" if ocr else "no extractable text in PDF (scanned images?)"
        raise LoadError(path, reason)
    return [SourceText(path=path, text=text, encoding="pdf", title=title or None, pages=tuple(pages))]


def _usable_layer(text: str, ocr: PageReader) -> bool:
    """A text layer with enough characters, not garbled; otherwise the page is OCR'd."""
    chars = [char for char in text if not char.isspace()]
    if len(chars) < max(1, ocr.settings.ocr_min_page_chars):
        return False
    garbled = sum(1 for char in chars if not char.isprintable() or not _is_common(char))
    return garbled / len(chars) <= _MAX_GARBLED


def _load_image(path: Path, data: bytes, ocr: PageReader | None) -> list[SourceText]:
    if ocr is None:
        raise LoadError(path, "an image can only be read by OCR, which is not set up here")
    try:
        pages = ocr.image_pages(data)
    except (OSError, ValueError) as exc:  # Pillow's UnidentifiedImageError is an OSError
        raise LoadError(path, f"not a readable image ({exc})") from exc
    text = "\n".join(page.text for page in pages)
    if not text.strip():
        raise LoadError(path, "no text found in the image by OCR")
    return [SourceText(path=path, text=text, encoding="ocr", pages=tuple(pages))]


def _load_docx(path: Path, data: bytes) -> list[SourceText]:
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, ValueError, KeyError) as exc:
        raise LoadError(path, "not a valid DOCX file") from exc
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    if not text.strip():
        raise LoadError(path, "no text in DOCX")
    title = document.core_properties.title or None
    return [SourceText(path=path, text=text, encoding="docx", title=title)]


def _load_jsonl(path: Path, data: bytes) -> list[SourceText]:
    content, encoding = decode_text(path, data)
    records: list[SourceText] = []
    seen: set[str] = set()
    for number, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append(_jsonl_record(path, line, encoding, seen))
        except ValueError as exc:
            raise LoadError(path, f"line {number}: {exc}") from exc
    if not records:
        raise LoadError(path, "empty file")
    return records


def _jsonl_record(path: Path, line: str, encoding: str, seen: set[str]) -> SourceText:
    """One record; a ValueError's message says what is wrong with the line."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        raise ValueError("invalid JSON") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    for key in ("doc_id", "text"):
        if key not in record:
            raise ValueError(f"missing field '{key}'")
        if not isinstance(record[key], str) or not record[key].strip():
            raise ValueError(f"field '{key}' must be a non-empty string")
    for key in _JSONL_OPTIONAL:
        if not isinstance(record.get(key), str | None):
            raise ValueError(f"field '{key}' must be a string")
    if record["doc_id"] in seen:
        raise ValueError(f"duplicate doc_id '{record['doc_id']}'")
    seen.add(record["doc_id"])
    return SourceText(
        path=path,
        text=record["text"],
        encoding=encoding,
        doc_id=record["doc_id"],
        **{key: record.get(key) for key in _JSONL_OPTIONAL},
    )


_LOADERS: dict[str, Callable[[Path, bytes], list[SourceText]]] = {
    ".txt": _load_plain,
    ".md": _load_plain,
    ".html": _load_html,
    ".htm": _load_html,
    ".docx": _load_docx,
    ".jsonl": _load_jsonl,
}
# Files read page by page, some or all of them by OCR.
_PAGED_LOADERS: dict[str, Callable[[Path, bytes, PageReader | None], list[SourceText]]] = {
    ".pdf": _load_pdf,
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".tif", ".tiff"), _load_image),
}

SUPPORTED_SUFFIXES = frozenset(_LOADERS) | frozenset(_PAGED_LOADERS)
