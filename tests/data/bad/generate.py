"""Writes the bad input files too big, too slow or too odd to commit beside the small ones here.

    python tests/data/bad/generate.py OUT_FOLDER [--huge-mb 50]

Tests call ``generate`` into a temporary folder; bench/bad_files.py reads the 50 MB file.
"""

from __future__ import annotations

import argparse
import io
import struct
import zipfile
from pathlib import Path

import docx

ARTICLES = Path(__file__).resolve().parents[3] / "data" / "articles"
# Quotes, shell characters, a backslash path and spaces: every one of them must stay a name.
HOSTILE_NAME = """..\\..\\etc 'quoted' "double" $(touch pwned); rm -rf ~ & | * ? <x>.txt"""
HUGE = "huge.txt"
ONE_LINE = "one_line_1mb.txt"
ZIP_BOMB = "zip_bomb.docx"
LYING_ZIP = "lying_zip.docx"
_BOMB_UNPACKED = 300 * 1024 * 1024
_BLOCK = b" " * (1024 * 1024)
_LIAR = "word/document.xml"


def huge_text(path: Path, megabytes: float) -> Path:
    """Sample paragraphs, each numbered so none repeats another, until the file has ``megabytes``."""
    paragraphs = [p for a in sorted(ARTICLES.glob("*.txt")) for p in a.read_text(encoding="utf-8").split("\n") if p]
    target, written, n = int(megabytes * 1e6), 0, 0
    with path.open("w", encoding="utf-8") as out:
        while written < target:
            line = f"第{n}段：{paragraphs[n % len(paragraphs)]}\n"
            out.write(line)
            written += len(line.encode())
            n += 1
    return path


def one_line(path: Path) -> Path:
    """One 1 MB line of 党建 and nothing else: no punctuation, no line break."""
    path.write_text("党建" * (1_000_000 // 6), encoding="utf-8")
    return path


def zip_bomb(path: Path) -> Path:
    """A DOCX-shaped zip of a few hundred kB whose document inflates to 300 MB of spaces."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(_BOMB_UNPACKED // len(_BLOCK)):
                member.write(_BLOCK)
    return path


def lying_zip(path: Path) -> Path:
    """A real DOCX whose document inflates to 300 MB, while its zip headers claim a few kB.

    The claimed size passes any check of declared sizes, and the CRC recorded is that of the
    claimed bytes, so nothing but the XML cut short gives the lie away.
    """
    template = io.BytesIO()
    docx.Document().save(template)
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename != _LIAR:
                target.writestr(item, content)
                continue
            body, end = content.rsplit(b"</w:document>", 1)
            with target.open(_LIAR, "w") as member:  # padded between elements: valid XML until cut
                member.write(body)
                for _ in range(_BOMB_UNPACKED // len(_BLOCK)):
                    member.write(_BLOCK)
                member.write(b"</w:document>" + end)
    _claim_size(path, _LIAR, len(body))
    return path


def _claim_size(path: Path, name: str, size: int) -> None:
    """Rewrite a member's uncompressed size and CRC, in its local header and in the central directory."""
    data, wanted = bytearray(path.read_bytes()), name.encode()
    with zipfile.ZipFile(path) as archive:
        local, central = archive.getinfo(name).header_offset, archive.start_dir
        claimed = zipfile.crc32(archive.open(name).read(size))  # the liar's CRC matches its claim
    while data[central + 46 : central + 46 + len(wanted)] != wanted:
        central = data.index(b"PK\x01\x02", central + 4)
    for crc_at, size_at in ((local + 14, local + 22), (central + 16, central + 24)):
        struct.pack_into("<I", data, crc_at, claimed)
        struct.pack_into("<I", data, size_at, size)
    path.write_bytes(bytes(data))


def hostile_named(folder: Path) -> Path:
    """A good article under a name made of path and shell characters."""
    path = folder / HOSTILE_NAME
    path.write_text((ARTICLES / "004_1c323a8c0c746609.txt").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def generate(folder: Path, huge_mb: float = 50) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        huge_text(folder / HUGE, huge_mb),
        one_line(folder / ONE_LINE),
        zip_bomb(folder / ZIP_BOMB),
        lying_zip(folder / LYING_ZIP),
        hostile_named(folder),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--huge-mb", type=float, default=50)
    args = parser.parse_args()
    for written in generate(args.out, args.huge_mb):
        print(f"{written.stat().st_size / 1e6:8.1f} MB  {written.name}")
