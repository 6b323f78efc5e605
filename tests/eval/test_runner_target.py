import json

from core.settings import Settings
from eval.runner import target_for


def docs_file(tmp_path, text: str):
    path = tmp_path / "set.docs.jsonl"
    path.write_text(json.dumps({"doc_id": "d1", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def test_a_docs_file_gets_a_collection_named_by_its_content_in_the_eval_cache(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", eval_cache_dir=tmp_path / "cache")
    docs = docs_file(tmp_path, "正文")
    target = target_for(settings, docs)
    (stored,) = target.paths
    assert target.settings.data_dir == tmp_path / "cache" and stored.is_relative_to(tmp_path / "cache")
    assert stored.read_bytes() == docs.read_bytes() and stored.suffix == ".jsonl"
    assert target.settings.collection.startswith("bench_")
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(docs.read_bytes())
    # The same documents from another file are the same stored file: the catalog sees no new file.
    assert target_for(settings, copy).settings.collection == target.settings.collection
    assert target_for(settings, copy).paths == target.paths
    assert target_for(settings, docs).settings.collection == target.settings.collection
    assert target_for(settings, docs_file(tmp_path, "另一正文")).settings.collection != target.settings.collection
    rechunked = settings.model_copy(update={"chunk_max_chars": 300})
    assert target_for(rechunked, docs).settings.collection != target.settings.collection


def test_without_an_eval_cache_collections_live_in_the_data_dir(tmp_path):
    target = target_for(Settings(data_dir=tmp_path / "data"), docs_file(tmp_path, "正文"))
    assert target.settings.data_dir == tmp_path / "data"


def test_no_docs_means_the_users_own_index_filled_only_when_empty(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", eval_cache_dir=tmp_path / "cache")
    target = target_for(settings, None)
    assert target.settings == settings and target.only_if_empty


def test_a_folder_of_documents_is_copied_whole(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("正文", encoding="utf-8")
    (stored,) = target_for(Settings(data_dir=tmp_path / "data"), folder).paths
    assert stored.is_dir() and (stored / "a.txt").read_text(encoding="utf-8") == "正文"
