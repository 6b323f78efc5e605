from core.settings import Settings
from index.fingerprint import files_fingerprint, ingest_fingerprint


def test_ingest_fingerprint_follows_the_settings_that_shape_stored_chunks(tmp_path):
    base = Settings(data_dir=tmp_path)
    assert ingest_fingerprint(base) == ingest_fingerprint(Settings(data_dir=tmp_path / "elsewhere", top_k=9))
    assert ingest_fingerprint(base) != ingest_fingerprint(Settings(data_dir=tmp_path, chunk_max_chars=300))
    assert ingest_fingerprint(base) != ingest_fingerprint(Settings(data_dir=tmp_path, embedding_model="other"))


def test_files_fingerprint_reads_content_and_names_not_times(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("甲", encoding="utf-8")
    first = files_fingerprint(folder)
    (folder / "a.txt").write_text("甲", encoding="utf-8")
    assert files_fingerprint(folder) == first
    (folder / "a.txt").rename(folder / "b.txt")
    renamed = files_fingerprint(folder)
    assert renamed != first
    (folder / "b.txt").write_text("乙", encoding="utf-8")
    assert files_fingerprint(folder) != renamed
