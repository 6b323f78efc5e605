"""Read article files of any supported format into ``SourceText``.

Every failure a user can cause with a bad file is a ``LoadError``, so a batch ingest can
report the file and go on with the rest.
"""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import docx
from bs4 import BeautifulSoup
from charset_normalizer import from_bytes
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdfium2 import PdfiumError

from core.errors import BadInputFile
from core.settings import Settings
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
# decode_text leaves no NUL, so in HTML it can stand for "block break".
_BREAK = "\x00"
_JSONL_OPTIONAL = ("title", "date", "source")
# Control characters other than line breaks and tabs: a few are stray bytes in a text file,
# more than this share of the characters means the file is not text at all.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BINARY_SHARE = 0.01
# What a file's first bytes say it is. A PDF, DOCX or image must be one (a PDF may start after some
# junk); a text file must be none of these, whatever its name says.
_MAGIC = {
    b"%PDF-": "PDF", b"PK\x03\x04": "zip", b"\x89PNG": "PNG image", b"\xff\xd8\xff": "JPEG image",
    b"GIF8": "GIF image", b"II*\x00": "TIFF image", b"MM\x00*": "TIFF image",
    b"\x7fELF": "program", b"MZ\x90\x00": "program", b"\x1f\x8b": "gzip archive",
}
_IMAGE_KINDS = frozenset({"PNG image", "JPEG image", "TIFF image"})
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
# Pillow reads an image by its content, and photos are often saved under another image type's name.
_CONTENT_OF = {".pdf": {"PDF"}, ".docx": {"zip"}, **dict.fromkeys(_IMAGE_SUFFIXES, _IMAGE_KINDS)}
_TEXT_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".jsonl"})
_PDF_JUNK = 1024
# Refused unread: a DOCX is a zip, and a zip bomb inflates a few kB into gigabytes.
_DOCX_MAX_UNPACKED = 256 * 1024 * 1024
_INFLATE_BLOCK = 64 * 1024
# A PDF text layer with more characters than this share outside the common sets is garbled (a
# font without a Unicode map yields rare hanzi, control codes and U+FFFD), and its page is OCR'd.
_MAX_GARBLED = 0.3


class Decoded(NamedTuple):
    text: str
    encoding: str
    notes: tuple[str, ...]  # what was repaired, for the ingest report


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


def check_size(path: Path, settings: Settings) -> None:
    """Refuse a file over its limit (a scan's or a text's) before anything reads it."""
    paged = path.suffix.lower() in _PAGED_LOADERS
    max_bytes = settings.max_scan_bytes if paged else settings.max_file_bytes
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(path, f"cannot read: {exc.strerror or exc}") from exc
    if size > max_bytes:
        raise LoadError(path, f"too large: {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit")


def load_file(path: Path, ocr: PageReader | None = None) -> list[SourceText]:
    """Decode one file: one SourceText, or one per record for JSON Lines.

    Images, and PDF pages without a usable text layer, are read by ``ocr``; without it an
    image is refused and such PDF pages are left out.
    """
    data = read_file(path)
    suffix = path.suffix.lower()
    if suffix in _PAGED_LOADERS:
        return _PAGED_LOADERS[suffix](path, data, ocr)
    return _LOADERS[suffix](path, data)


def read_file(path: Path) -> bytes:
    """The bytes of a file of a supported type, not empty, whose content is what its name says."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(path, f"unsupported file type {suffix or '(no extension)'}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"cannot read: {exc.strerror or exc}") from exc
    if not data.strip():
        raise LoadError(path, "empty file")
    _check_content(path, suffix, data)
    return data


def _check_content(path: Path, suffix: str, data: bytes) -> None:
    """Refuse a file whose first bytes say it is not what its name says (an image named .txt)."""
    sniffed = next((kind for magic, kind in _MAGIC.items() if data.startswith(magic)), None)
    if sniffed is None and b"%PDF-" in data[:_PDF_JUNK]:
        sniffed = "PDF"
    expected = _CONTENT_OF.get(suffix)
    if expected and sniffed not in expected:
        wanted = " or ".join(sorted(expected))
        raise LoadError(path, f"content is {sniffed or 'text or unknown'}, not the {wanted} a {suffix} file holds")
    if suffix in _TEXT_SUFFIXES and sniffed:
        raise LoadError(path, f"content is {sniffed}, not text")


def decode_text(path: Path, data: bytes) -> Decoded:
    """The text of bytes in UTF-8, UTF-16, GB18030/GBK or Big5, and what had to be repaired.

    Newlines are made universal (``\\r\\n`` and ``\\r`` become ``\\n``), as ``open()`` does.
    A few stray control bytes (NUL) are dropped and noted; many mean the file is binary.
    """
    text, encoding = _decode(data)
    if text is None:
        raise LoadError(path, "cannot decode: not UTF-8, GB18030, Big5 or UTF-16")
    text, controls = _CONTROL.subn("", text)
    if controls > _BINARY_SHARE * max(1, len(text)):
        raise LoadError(path, f"binary data ({controls} control bytes such as NUL), not text")
    return Decoded(text.replace("\r\n", "\n").replace("\r", "\n"), encoding, _stray_note(controls))


def _stray_note(controls: int) -> tuple[str, ...]:
    return (f"{controls} stray control bytes (NUL) removed",) if controls else ()


def _decode(data: bytes) -> tuple[str | None, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _try_decode(data[len(bom) :], encoding), encoding
    # UTF-16 without a BOM writes every ASCII character (newlines, digits) with a NUL byte.
    if b"\x00" in data and (match := from_bytes(data, cp_isolation=["utf_16_le", "utf_16_be"]).best()):
        return str(match), match.encoding.replace("_", "-")
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
    text, encoding, notes = decode_text(path, data)
    if not text.strip():
        raise LoadError(path, "empty file")
    return [SourceText(path=path, text=text, encoding=encoding, notes=notes)]


def _load_html(path: Path, data: bytes) -> list[SourceText]:
    markup, encoding, notes = decode_text(path, data)
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
    return [SourceText(path=path, text=text, encoding=encoding, title=title, notes=notes)]


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
        raw = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise LoadError(path, f"not a readable PDF ({exc})") from exc
    # Judged before control bytes go: many of them mark a garbled layer, which OCR reads instead.
    scanned = [n for n, layer in enumerate(raw, 1) if ocr and not _usable_layer(layer, ocr)]
    layers = [(n, *_CONTROL.subn("", layer)) for n, layer in enumerate(raw, 1)]
    pages = [Page(n, tuple(PageLine(line) for line in text.splitlines() if line.strip())) for n, text, _ in layers]
    stray = sum(controls for n, _, controls in layers if n not in scanned)
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
    return [
        SourceText(
            path=path, text=text, encoding="pdf", title=title or None, pages=tuple(pages), notes=_stray_note(stray)
        )
    ]


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
    except Image.DecompressionBombError as exc:  # a few kB declaring gigapixels, as a zip bomb does
        raise LoadError(path, f"refused: {exc}") from exc
    text = "\n".join(page.text for page in pages)
    if not text.strip():
        raise LoadError(path, "no text found in the image by OCR")
    return [SourceText(path=path, text=text, encoding="ocr", pages=tuple(pages))]


def _load_docx(path: Path, data: bytes) -> list[SourceText]:
    try:
        _check_unpacked_size(path, data)
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, zlib.error, etree.XMLSyntaxError, ValueError, KeyError) as exc:
        raise LoadError(path, "not a valid DOCX file") from exc
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    if not text.strip():
        raise LoadError(path, "no text in DOCX")
    title = document.core_properties.title or None
    return [SourceText(path=path, text=text, encoding="docx", title=title)]


def _check_unpacked_size(path: Path, data: bytes) -> None:
    """Refuse a zip whose members would inflate past ``_DOCX_MAX_UNPACKED``, or past the sizes it declares.

    zipfile hands out no more of a member than its declared size, but inflates a whole-member
    read in one call of up to 1 GB: a zip that declares a few kB and inflates to gigabytes
    would take that memory before being cut. So each member is inflated once here, in blocks.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        unpacked = sum(info.file_size for info in members)
        if unpacked > _DOCX_MAX_UNPACKED:
            raise LoadError(path, f"refused: would unpack to {unpacked / 1e6:.0f} MB (a zip bomb?)")
        for info in members:
            if _inflates_past_claim(archive, info):
                raise LoadError(path, f"refused: {info.filename} inflates past the {info.file_size} bytes its zip declares")


def _inflates_past_claim(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    probe = copy.copy(info)
    probe.file_size += 1  # a member that yields one byte more than it declares lied about its size
    probe.CRC = None  # which the recorded CRC cannot vouch for; docx's own read checks it
    with archive.open(probe) as member:
        inflated = 0
        while block := member.read(_INFLATE_BLOCK):
            inflated += len(block)
    return inflated > info.file_size


def _load_jsonl(path: Path, data: bytes) -> list[SourceText]:
    """One SourceText per good record; a bad line is skipped and noted, unless no line is good."""
    content, encoding, notes = decode_text(path, data)
    records: list[SourceText] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append(_jsonl_record(path, line, encoding, seen))
        except ValueError as exc:
            skipped.append(f"line {number}: {exc}")
    if not records:
        raise LoadError(path, skipped[0] if skipped else "empty file")
    if skipped:
        shown = "; ".join(skipped[:3]) + ("; …" if len(skipped) > 3 else "")
        notes += (f"{len(skipped)} bad line(s) skipped ({shown})",)
    return [replace(record, notes=notes) for record in records]


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
    **dict.fromkeys(_IMAGE_SUFFIXES, _load_image),
}

SUPPORTED_SUFFIXES = frozenset(_LOADERS) | frozenset(_PAGED_LOADERS)
