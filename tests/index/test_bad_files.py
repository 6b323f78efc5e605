"""Every bad input of tests/data/bad/ ingested in one batch with the good sample articles.

Each bad file gets one report line (file, reason, what was kept); the good files are indexed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.service import Index, open_index
from policyqa.cli import main
from tests.conftest import ARTICLES, make_settings
from tests.data.bad import generate
from tests.fakes import HashEmbeddings

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"

# File -> the start of its reason (after "name: "); each added nothing to the index.
FAILED = {
    "empty.txt": "empty file",
    "binary_renamed.txt": "content is PNG image, not text",
    "truncated.pdf": "not a readable PDF",
    "encrypted.pdf": "encrypted PDF (needs a password)",
    "not_a_zip.docx": "content is text or unknown, not the zip a .docx file holds",
    generate.ZIP_BOMB: "refused: would unpack to 315 MB (a zip bomb?)",
    generate.LYING_ZIP: "refused: word/document.xml inflates past the 1535 bytes its zip declares",
    "scripts_only.html": "no readable text in HTML",
    generate.HUGE: "too large: 50.0 MB, over the 8 MB limit",
}
# File -> what its reason says was removed or skipped; the rest of it was indexed.
REPAIRED = {
    "nul_bytes.txt": "4 stray control bytes (NUL) removed",
    "zero_width_and_bidi.txt": "bidi_control 4",
    "one_broken_line.jsonl": "1 bad line(s) skipped (line 2: invalid JSON)",
    generate.ONE_LINE: "repeated_run 1",
}
# Files that are not bad at all, only in an encoding other than UTF-8 or oddly named.
GOOD = {"gbk.txt", "big5.txt", "gb18030.txt", "utf16_no_bom.txt", generate.HOSTILE_NAME}


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> tuple[Index, object, Path]:
    folder = tmp_path_factory.mktemp("bad")
    for path in BAD.iterdir():
        if path.suffix != ".py":
            shutil.copy(path, folder / path.name)
    generate.generate(folder)
    (folder / "sub").mkdir()
    hostile = folder / "sub" / ".." / generate.HOSTILE_NAME  # a path through ../ as well
    with open_index(make_settings(tmp_path_factory.mktemp("data")), HashEmbeddings()) as idx:
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != generate.HOSTILE_NAME)
        report = idx.ingest([ARTICLES, *files, hostile])
        yield idx, report, folder


def _by_name(entries: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {Path(entry["path"]).name: entry for entry in entries}


def test_each_failed_file_has_one_line_with_its_reason_and_kept_nothing(batch) -> None:
    _, report, _ = batch
    failed = _by_name(report.failed)
    assert len(failed) == len(report.failed) and set(failed) == set(FAILED)
    for name, entry in failed.items():
        assert entry["reason"].startswith(f"{name}: {FAILED[name]}")
        assert "\n" not in entry["reason"] and entry["kept"] == "nothing"


def test_each_repaired_file_has_one_line_saying_what_was_removed_and_kept(batch) -> None:
    idx, report, _ = batch
    repaired = _by_name(report.repaired)
    assert len(repaired) == len(report.repaired) and set(repaired) == set(REPAIRED)
    for name, entry in repaired.items():
        assert REPAIRED[name] in entry["reason"] and "\n" not in entry["reason"]
        assert entry["kept"].endswith("passages")
    assert repaired["one_broken_line.jsonl"]["kept"] == "2 articles, 2 passages"
    assert {"good-1", "good-2"} <= {a["doc_id"] for a in idx.articles()}


def test_good_files_in_any_encoding_or_name_are_indexed_with_their_text(batch) -> None:
    idx, report, _ = batch
    stored = {Path(a["path"]).name for a in idx.articles()}
    assert GOOD | {p.name for p in ARTICLES.glob("*.txt")} <= stored
    texts: dict[str, str] = {}
    for doc in idx.documents():
        name = Path(doc.metadata["path"]).name
        texts[name] = texts.get(name, "") + doc.page_content
    assert "东城街道" in texts["gbk.txt"] and "黨建" in texts["big5.txt"] and "党建" in texts["utf16_no_bom.txt"]
    assert "\u202e" not in texts["zero_width_and_bidi.txt"] and "\x00" not in texts["nul_bytes.txt"]
    assert report.files == len(GOOD) + len(FAILED) + len(REPAIRED) + 5 and not report.files_unchanged


def test_a_megabyte_of_one_repeated_word_costs_next_to_nothing_in_the_index(batch) -> None:
    idx, _, _ = batch
    doc_ids = [a["doc_id"] for a in idx.articles() if Path(a["path"]).name == generate.ONE_LINE]
    assert len(doc_ids) == 1
    assert len(idx.store.chunk_ids_of(doc_ids)) <= 1
    (document,) = [d for d in idx.documents() if d.metadata["doc_id"] == doc_ids[0]]
    assert len(document.page_content) < 100


def test_strict_fails_on_any_bad_file_and_the_default_only_when_all_fail(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with open_index(make_settings(data), HashEmbeddings()) as idx:
        idx.ingest([ARTICLES])  # so the CLI below embeds nothing and never loads the model
    bad = [BAD / "empty.txt", BAD / "encrypted.pdf"]
    assert main(["--data-dir", str(data), "ingest", str(ARTICLES), *map(str, bad)]) == 0
    assert main(["--data-dir", str(data), "ingest", "--strict", str(ARTICLES), *map(str, bad)]) == 1
    assert main(["--data-dir", str(data), "ingest", *map(str, bad)]) == 1
    assert main(["--data-dir", str(data), "ingest", "--strict", str(ARTICLES)]) == 0
