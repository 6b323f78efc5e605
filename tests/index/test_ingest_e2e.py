"""Ingest of the real sample corpus with the real embedding model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from index.service import open_index
from tests.conftest import ARTICLES, make_settings

pytestmark = pytest.mark.e2e

FORBIDDEN = ("国产精品", "在线中文字幕", "(dāng)", "扫一扫", "新浪微博", "ICP")
SENTENCE_END = tuple("。！？；!?;…”’」』）)】》")


def test_sample_corpus_gives_at_least_seven_documents(sample_index):
    report = sample_index.first_report
    assert report.files == 5 and not report.failed
    assert report.documents >= 7
    assert report.chunks_embedded == report.chunks > 0
    assert report.cleaning, "each cleaning rule that fired is counted"


def test_export_holds_no_spam_or_boilerplate(sample_index):
    for row in sample_index.export_rows():
        assert not any(bad in row["text"] or bad in row["title"] for bad in FORBIDDEN), row


def test_donation_station_is_its_own_document(sample_index):
    rows = sample_index.export_rows()
    donation = {r["doc_id"] for r in rows if "市捐赠站站长" in r["text"]}
    donghua = {r["doc_id"] for r in rows if "全村户籍人口1867人" in r["text"]}
    assert donation and donghua and not donation & donghua
    titles = {r["title"] for r in rows if r["doc_id"] in donation}
    assert all("东华村" not in t for t in titles)


def test_every_chunk_ends_at_a_sentence_or_paragraph_end(sample_index):
    articles = {d.metadata["doc_id"]: d.page_content for d in sample_index.documents()}
    for chunk in sample_index.store.chunks():
        article = articles[chunk.doc_id]
        assert article[chunk.start : chunk.end] == chunk.text
        paragraph_end = chunk.end == len(article) or article[chunk.end] == "\n"
        assert paragraph_end or chunk.text.endswith(SENTENCE_END), chunk.text[-30:]


def test_chunk_counts_match_the_stored_chunks_of_each_article(sample_index):
    assert sample_index.store.chunk_counts() == Counter(c.doc_id for c in sample_index.store.chunks())


def test_reingesting_unchanged_files_embeds_nothing_and_changes_nothing(sample_index):
    before = sample_index.export_rows()
    report = sample_index.ingest([ARTICLES])
    assert report.chunks_embedded == 0 and report.files_unchanged == 5
    assert report.documents == sample_index.first_report.documents
    assert sample_index.export_rows() == before


def test_changed_file_replaces_its_chunks_and_prune_drops_gone_files(tmp_path, articles_copy):
    with open_index(make_settings(tmp_path / "data")) as idx:
        idx.ingest([articles_copy])
        target = articles_copy / "003_2a15d0c01b2107ed.txt"
        target.write_text(target.read_text(encoding="utf-8").replace("425个", "426个"), encoding="utf-8")
        changed = idx.ingest([articles_copy])
        assert changed.files_unchanged == 4 and 0 < changed.chunks_embedded < changed.chunks + 1
        texts = " ".join(r["text"] for r in idx.export_rows())
        assert "426个" in texts and "425个" not in texts

        (articles_copy / "004_1c323a8c0c746609.txt").unlink()
        pruned = idx.ingest([articles_copy], prune=True)
        assert pruned.pruned_files == 1
        assert not [r for r in idx.export_rows() if r["doc_id"].startswith("004_")]


def test_a_bad_file_is_reported_and_the_rest_of_the_batch_goes_on(tmp_path, articles_copy):
    with open_index(make_settings(tmp_path / "data")) as idx:
        idx.ingest([articles_copy])
        stored = idx.store.count()
        (articles_copy / "broken.jsonl").write_text('{"doc_id": "x", "text": "好"}\nnot json\n', encoding="utf-8")
        (articles_copy / "empty.txt").write_text("", encoding="utf-8")
        (articles_copy / "005_new.txt").write_text("东华村召开村民代表大会。会议表决通过了村规民约修订稿。", encoding="utf-8")
        report = idx.ingest([articles_copy])
    assert [f["path"] for f in report.failed] == [str(articles_copy / "empty.txt")]
    assert [f["path"] for f in report.repaired] == [str(articles_copy / "broken.jsonl")]
    assert "broken.jsonl" in report.repaired[0]["reason"] and "line 2" in report.repaired[0]["reason"]
    assert report.files_unchanged == 5 and report.chunks_embedded >= 1
    with open_index(make_settings(tmp_path / "data")) as idx:
        assert idx.store.count() == stored + report.chunks_embedded


def test_a_reposted_article_is_linked_to_its_canonical_copy(tmp_path, articles_copy):
    original = (articles_copy / "003_2a15d0c01b2107ed.txt").read_text(encoding="utf-8")
    (articles_copy / "repost.txt").write_text("转载自南方日报\n" + original, encoding="utf-8")
    with open_index(make_settings(tmp_path / "data")) as idx:
        report = idx.ingest([articles_copy])
        copies = {d.metadata["doc_id"]: d.metadata["canonical_doc_id"] for d in idx.documents()}
    assert report.duplicates == 1
    assert copies["repost"] == "003_2a15d0c01b2107ed"  # files are read in name order
    assert copies["003_2a15d0c01b2107ed"] is None


def test_json_lines_documents_keep_their_ids(tmp_path):
    docs = tmp_path / "docs.jsonl"
    rows = [
        {"doc_id": "ncp-1", "title": "复工复产政策", "text": "企业复工复产须提前报备。报备材料包括防疫方案。", "source": "市政府"},
        {"doc_id": "ncp-2", "title": "租金减免", "text": "中小企业可减免三个月租金。", "source": "市政府", "date": "2020-02-10"},
    ]
    docs.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    with open_index(make_settings(tmp_path / "data")) as idx:
        idx.ingest([docs])
        exported = idx.export_rows()
    assert {r["doc_id"] for r in exported} == {"ncp-1", "ncp-2"}
    assert {r["date"] for r in exported if r["doc_id"] == "ncp-2"} == {"2020-02-10"}


def test_cli_ingest_reports_json_and_export_writes_every_chunk(tmp_path):
    env = {**os.environ, "POLICYQA_DATA_DIR": str(tmp_path / "data")}
    cli = [sys.executable, "-m", "policyqa.cli"]
    done = subprocess.run([*cli, "ingest", str(ARTICLES), "--json"], env=env, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    assert report["files"] == 5 and report["documents"] >= 7
    subprocess.run([*cli, "export", str(tmp_path / "out.jsonl")], env=env, check=True, capture_output=True)
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == report["chunks"]
    assert set(json.loads(lines[0])) == {"chunk_id", "doc_id", "title", "date", "source", "path", "text"}


def test_same_named_files_in_two_folders_get_their_own_lasting_ids(tmp_path):
    first, second = tmp_path / "a" / "report.txt", tmp_path / "b" / "report.txt"
    first.parent.mkdir()
    second.parent.mkdir()
    first.write_text("东华村召开村民代表大会。会议表决通过了村规民约修订稿。", encoding="utf-8")
    second.write_text("市捐赠站开展主题党日活动。退休党员集中学习党章。", encoding="utf-8")
    with open_index(make_settings(tmp_path / "data")) as idx:
        idx.ingest([tmp_path / "a", tmp_path / "b"])
        ids = {d.metadata["path"]: d.metadata["doc_id"] for d in idx.documents()}
        second.write_text("市捐赠站开展主题党日活动。在职党员重温入党誓词。", encoding="utf-8")
        idx.ingest([tmp_path / "a", tmp_path / "b"])
        after = {d.metadata["path"]: d.metadata["doc_id"] for d in idx.documents()}
        texts = " ".join(r["text"] for r in idx.export_rows())
    assert ids[str(first)] == "report", "a stem no other file has stays the id"
    assert ids[str(second)].startswith("report-") and after == ids
    assert "村规民约" in texts and "入党誓词" in texts and "集中学习" not in texts


STORY = (
    "东华村位于增城区新塘镇中心，区位优势较好、交通便利，是个典型的城郊融合的城中村。"
    "全村总面积约1.5平方公里，由4个经济合作社组成。截至2023年1月，全村户籍人口1867人，外来人员约8500人。"
)


def _stories(idx) -> tuple[dict[str, str | None], dict[str, str]]:
    """Each article's canonical in the catalog, and the story id its stored chunks carry."""
    catalog = {d.metadata["doc_id"]: d.metadata["canonical_doc_id"] for d in idx.documents()}
    return catalog, {c.doc_id: c.story_id for c in idx.store.chunks()}


def test_removing_a_canonical_article_promotes_its_first_remaining_copy(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in (("a.txt", STORY), ("b.txt", "转载：" + STORY), ("c.txt", STORY + "（来源：某网）")):
        (folder / name).write_text(text, encoding="utf-8")
    with open_index(make_settings(tmp_path / "data")) as idx:
        idx.ingest([folder])
        assert _stories(idx) == ({"a": None, "b": "a", "c": "a"}, {"a": "a", "b": "a", "c": "a"})
        kept = {c.chunk_id for c in idx.store.chunks() if c.doc_id != "a"}

        idx.remove_file(str(folder / "a.txt"))
        assert _stories(idx) == ({"b": None, "c": "b"}, {"b": "b", "c": "b"})
        assert {c.chunk_id for c in idx.store.chunks()} == kept == set(idx.store.bm25_ids())

        (folder / "a.txt").unlink()  # else the folder's next ingest would bring it back
        (folder / "b.txt").unlink()
        idx.ingest([folder], prune=True)
        assert _stories(idx) == ({"c": None}, {"c": "c"})
        assert idx.stats()["near_copies"] == 0


def test_a_canonical_article_that_a_changed_file_no_longer_has_hands_over_to_its_copy(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "x.txt").write_text(STORY, encoding="utf-8")
    (folder / "y.txt").write_text("转载：" + STORY, encoding="utf-8")
    with open_index(make_settings(tmp_path / "data")) as idx:
        idx.ingest([folder])
        two_articles = (ARTICLES / "002_258a9ff317ac8ce5.txt").read_text(encoding="utf-8")
        (folder / "x.txt").write_text(two_articles, encoding="utf-8")  # x becomes x#1 and x#2
        (folder / "z.txt").write_text(STORY + "（来源：某网）", encoding="utf-8")
        idx.ingest([folder])
        catalog, chunks = _stories(idx)
    assert "x" not in catalog and {catalog["x#1"], catalog["x#2"]} == {None}
    assert (catalog["y"], catalog["z"]) == (None, "y"), "a copy read later in the same run finds the new canonical"
    assert (chunks["y"], chunks["z"]) == ("y", "y")


def test_a_changed_file_refreshes_what_its_unchanged_passages_say_about_their_article(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    other = "".join(f"第{n}期党员培训班于{n}月开班，共有{30 + n}名学员参加了学习讨论。" for n in range(1, 9))
    (folder / "a.txt").write_text(STORY, encoding="utf-8")
    (folder / "c.txt").write_text(STORY + "\n\n" + other, encoding="utf-8")
    with open_index(make_settings(tmp_path / "data", chunk_min_chars=40, chunk_max_chars=80)) as idx:
        idx.ingest([folder])
        before = {c.chunk_id for c in idx.store.chunks() if c.doc_id == "c"}
        (folder / "c.txt").write_text(STORY + "\n\n（来源：某网）", encoding="utf-8")  # now a copy of a
        idx.ingest([folder])
        catalog, _ = _stories(idx)
        chunks = [c for c in idx.store.chunks() if c.doc_id == "c"]
    assert catalog["c"] == "a"
    assert before & {c.chunk_id for c in chunks}, "some passages of c kept their text and place"
    assert {c.story_id for c in chunks} == {"a"}


def test_a_retitled_article_is_searched_under_its_new_title(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    body = STORY + "\n\n" + "".join(f"第{n}期党员培训班于{n}月开班，共有{30 + n}名学员参加了学习讨论。" for n in range(1, 9))
    (folder / "a.txt").write_text("东华村党建工作综述\n\n" + body, encoding="utf-8")
    with open_index(make_settings(tmp_path / "data")) as idx:
        idx.ingest([folder])
        (folder / "a.txt").write_text("东华村基层治理综述\n\n" + body, encoding="utf-8")  # same length, new words
        idx.ingest([folder])
        chunks = list(idx.store.chunks())
        embedded = idx.store.embedded_texts([c.chunk_id for c in chunks])
    assert {c.title for c in chunks} == {"东华村基层治理综述"}
    assert len(embedded) == len(chunks) > 0
    assert all(text.startswith("东华村基层治理综述") for text in embedded.values()), "embedded and BM25 text"
