import sqlite3
from contextlib import closing

import numpy as np
from langchain_core.documents import Document

from index.catalog import Catalog


def _doc(doc_id: str, text: str = "正文。") -> Document:
    return Document(page_content=text, metadata={"doc_id": doc_id, "title": doc_id, "canonical_doc_id": None})


def test_replacing_a_file_swaps_its_documents(tmp_path):
    catalog = Catalog(tmp_path / "c.sqlite", 0.8)
    sig = np.arange(4, dtype=np.uint64)
    catalog.replace_file("/a.txt", "h1", "a", [_doc("a#1"), _doc("a#2")], [sig, sig])
    catalog.replace_file("/a.txt", "h2", "a", [_doc("a")], [sig])
    assert catalog.file_hash("/a.txt") == "h2"
    assert [d.metadata["doc_id"] for d in catalog.documents()] == ["a"]
    assert catalog.minhashes()["a"][0] == "a"
    assert np.array_equal(catalog.minhashes()["a"][1], sig)


def test_removing_a_file_returns_its_doc_ids_and_forgets_it(tmp_path):
    catalog = Catalog(tmp_path / "c.sqlite", 0.8)
    catalog.replace_file("/a.txt", "h", "a", [_doc("a")], [np.zeros(2, dtype=np.uint64)])
    assert catalog.remove_file("/a.txt") == ["a"]
    assert catalog.paths() == [] and catalog.document("a") is None


def test_articles_are_the_documents_metadata_without_their_text(tmp_path):
    catalog = Catalog(tmp_path / "c.sqlite", 0.8)
    sig = np.zeros(2, dtype=np.uint64)
    catalog.replace_file("/b.txt", "h", "b", [_doc("b#2", "二"), _doc("b#1", "一")], [sig, sig])
    catalog.replace_file("/a.txt", "h", "a", [_doc("a", "全文")], [sig])
    assert catalog.articles() == [d.metadata for d in catalog.documents()]
    assert [a["doc_id"] for a in catalog.articles()] == ["a", "b#1", "b#2"]


def test_the_catalog_persists_across_connections(tmp_path):
    Catalog(tmp_path / "c.sqlite", 0.8).replace_file("/a.txt", "h", "a", [_doc("a", "全文")], [np.zeros(2, dtype=np.uint64)])
    assert Catalog(tmp_path / "c.sqlite", 0.8).document("a").page_content == "全文"


def test_a_catalog_from_before_base_ids_names_each_file_after_its_stem(tmp_path):
    with closing(sqlite3.connect(tmp_path / "c.sqlite")) as old, old:
        old.execute("CREATE TABLE files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, doc_ids TEXT NOT NULL)")
        old.execute("INSERT INTO files VALUES ('/x/report.txt', 'h', '[\"report\"]')")
    catalog = Catalog(tmp_path / "c.sqlite", 0.8)
    assert catalog.base_id("/x/report.txt") == "report" and catalog.has_base_id("report")
    catalog.replace_file("/y/other.txt", "h", "other", [_doc("other")], [np.zeros(2, dtype=np.uint64)])
    assert catalog.base_id("/y/other.txt") == "other"


def test_a_restored_catalog_takes_the_files_but_keeps_its_own_identity(tmp_path):
    source, target = Catalog(tmp_path / "source.sqlite", 0.8), Catalog(tmp_path / "target.sqlite", 0.8)
    source.replace_file("/a.txt", "h", "a", [_doc("a")], [np.zeros(2, dtype=np.uint64)])
    theirs, ours = source.identity(), target.identity()
    source.backup_to(tmp_path / "copy.sqlite")
    target.restore_from(tmp_path / "copy.sqlite")
    assert target.paths() == ["/a.txt"]
    assert target.identity() == ours != theirs


def _band_rows(path) -> int:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT COUNT(*) FROM lsh_bands").fetchone()[0]


def test_a_catalog_from_before_band_keys_finds_copies_once_its_minhashes_are_keyed(tmp_path):
    from index.dedup import NearDuplicates, signature

    story = "东华村位于增城区新塘镇中心，区位优势较好、交通便利，是个典型的城郊融合的城中村。全村户籍人口1867人。"
    with closing(sqlite3.connect(tmp_path / "c.sqlite")) as old, old:
        old.execute("CREATE TABLE files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, doc_ids TEXT NOT NULL, base_id TEXT)")
        old.execute("CREATE TABLE documents (doc_id TEXT PRIMARY KEY, path TEXT NOT NULL, text TEXT NOT NULL, "
                    "metadata TEXT NOT NULL, minhash BLOB)")  # fmt: skip
        old.execute("INSERT INTO files VALUES ('/orig.txt', 'h', '[\"orig\"]', 'orig')")
        old.execute("INSERT INTO documents VALUES ('orig', '/orig.txt', ?, '{\"doc_id\": \"orig\"}', ?)",
                    (story, signature(story).tobytes()))  # fmt: skip
    catalog = Catalog(tmp_path / "c.sqlite", 0.8)
    bands, _ = catalog.banding.split
    assert NearDuplicates(catalog, 0.8).canonical_for("repost", signature("转载：" + story)) == "orig"
    assert _band_rows(tmp_path / "c.sqlite") == bands
    wider = Catalog(tmp_path / "c.sqlite", 0.5)  # another threshold splits the signature otherwise: keyed again
    assert NearDuplicates(wider, 0.5).canonical_for("repost", signature("转载：" + story)) == "orig"
    assert _band_rows(tmp_path / "c.sqlite") == wider.banding.split[0] != bands


def test_band_keys_go_and_come_with_their_articles(tmp_path):
    catalog = Catalog(tmp_path / "c.sqlite", 0.8)
    bands, _ = catalog.banding.split
    sig = np.arange(128, dtype=np.uint64)
    catalog.replace_file("/a.txt", "h1", "a", [_doc("a#1"), _doc("a#2")], [sig, sig + 1])
    catalog.replace_file("/b.txt", "h1", "b", [_doc("b")], [sig])
    assert _band_rows(tmp_path / "c.sqlite") == 3 * bands
    catalog.replace_file("/a.txt", "h2", "a", [_doc("a")], [sig + 2])
    assert _band_rows(tmp_path / "c.sqlite") == 2 * bands
    assert set(catalog.sharing_keys(catalog.banding.keys(sig))) == {"b"}
    catalog.remove_file("/b.txt")
    assert catalog.sharing_keys(catalog.banding.keys(sig)) == {}
    assert set(catalog.sharing_keys(catalog.banding.keys(sig + 2))) == {"a"}
    assert _band_rows(tmp_path / "c.sqlite") == bands
