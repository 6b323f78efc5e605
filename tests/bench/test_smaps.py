"""bench.smaps: VmRSS split into anonymous and file-backed memory, and the resident MiB per kind of mapping."""

from __future__ import annotations

import mmap

from bench.smaps import rss_mib, smaps_mib


def test_a_mapped_index_file_is_counted_file_backed_under_its_part(tmp_path):
    segment = tmp_path / "bm25" / "policyqa" / "segment"
    segment.parent.mkdir(parents=True)
    segment.write_bytes(b"\1" * (8 << 20))
    before = rss_mib()
    with open(segment, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert sum(mapped[i] for i in range(0, len(mapped), mmap.PAGESIZE)) == len(mapped) // mmap.PAGESIZE
        groups = smaps_mib(tmp_path)["groups"]
        now = rss_mib()
    assert groups["index: bm25"] == {"rss": 8.0, "anon": 0.0}
    assert now["file"] - before["file"] >= 7.9 and now["peak"] >= now["now"]
    assert abs(now["now"] - now["anon"] - now["file"]) < 1  # RssShmem aside
