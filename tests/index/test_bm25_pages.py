"""A serving process holds no more of the memory-mapped BM25 segments than one search reads: the
pages a search maps in are let go after it (the page cache keeps them), and answers do not change."""

from __future__ import annotations

from pathlib import Path

from bench.smaps import mappings
from index.bm25 import Bm25Index


def _resident_kib(folder: Path) -> int:
    """This process's resident KiB of the files under ``folder``."""
    return sum(rss for path, rss, _ in mappings() if path.startswith(str(folder.resolve())))


def test_released_pages_leave_the_process_and_searches_find_the_same(tmp_path):
    texts = {f"c{i:04d}": f"东城街道第{i}期工作简报：投入资金{i * 37}万元，新建服务站{i % 7}个。" for i in range(3000)}
    Bm25Index().updated((), texts, tmp_path).save(tmp_path, "v1")
    bm25 = Bm25Index.load(tmp_path)
    found = bm25.search("东城街道投入资金", 10)
    assert found and _resident_kib(tmp_path) > 0
    bm25.release_pages()
    assert _resident_kib(tmp_path) == 0
    assert bm25.search("东城街道投入资金", 10) == found


def test_a_store_search_keeps_no_bm25_pages(fake_index):
    store = fake_index.store
    first = store.search_bm25("东城街道", 5)
    assert first and _resident_kib(fake_index.settings.bm25_dir) == 0
    assert store.search_bm25("东城街道", 5) == first
