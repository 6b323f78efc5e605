"""Where a process's resident memory is, from /proc/self/status and /proc/self/smaps (Linux).

VmRSS is RssAnon + RssFile + RssShmem: file-backed pages (libraries, memory-mapped BM25 segments)
count in it, though the kernel can drop them under pressure and share them between processes.
"""

from __future__ import annotations

import re
from pathlib import Path

_MAPPING = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$")
_PACKAGE = re.compile(r"/site-packages/([^/]+)/")
BIG_ANON_MIB = 32  # anonymous mappings at least this large are listed one by one


def rss_mib() -> dict[str, float]:
    """Resident memory now (VmRSS, and its anonymous and file-backed parts) and at its peak, in MiB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    keys = (("now", "VmRSS"), ("anon", "RssAnon"), ("file", "RssFile"), ("peak", "VmHWM"))
    return {k: round(int(fields[key].split()[0]) / 1024, 1) for k, key in keys}


def smaps_mib(data_dir: Path) -> dict:
    """Resident MiB per kind of mapping (the index's files by part, the model file, libraries by
    package, anonymous memory), each with its anonymous part; and the large anonymous mappings."""
    groups: dict[str, dict[str, float]] = {}
    big: list[float] = []
    for path, rss_kib, anon_kib in mappings():
        group = _group(path, str(data_dir.resolve()))
        totals = groups.setdefault(group, {"rss": 0.0, "anon": 0.0})
        totals["rss"] += rss_kib / 1024
        totals["anon"] += anon_kib / 1024
        if not path and anon_kib / 1024 >= BIG_ANON_MIB:
            big.append(round(anon_kib / 1024, 1))
    ordered = sorted(groups.items(), key=lambda kv: -kv[1]["rss"])
    return {"groups": {g: {k: round(v, 1) for k, v in t.items()} for g, t in ordered if t["rss"] >= 0.5},
            "big_anonymous": sorted(big, reverse=True)}  # fmt: skip


def mappings() -> list[tuple[str, int, int]]:
    """(path or "" for anonymous, Rss KiB, Anonymous KiB) of every mapping."""
    found: list[tuple[str, int, int]] = []
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = _MAPPING.match(line)
        if head:
            found.append((head.group(1).strip(), 0, 0))
        elif line.startswith(("Rss:", "Anonymous:")) and found:
            path, rss, anon = found[-1]
            kib = int(line.split()[1])
            found[-1] = (path, rss + kib, anon) if line.startswith("Rss:") else (path, rss, anon + kib)
    return found


def _group(path: str, data_dir: str) -> str:
    if not path or path.startswith("[anon") or path == "[heap]":
        return "anonymous"
    if path.startswith("["):
        return path  # [stack], [vdso], ...
    if path.startswith(data_dir):
        return "index: " + _index_part(path[len(data_dir) :].lstrip("/"))
    if path.endswith(".onnx") or "/models/" in path:
        return "model files"
    package = _PACKAGE.search(path)
    if package:
        return "lib: " + package.group(1).split(".")[0]
    return "lib: system" if ".so" in path else "other files"


def _index_part(relative: str) -> str:
    if relative.startswith("bm25"):
        return "bm25"
    if relative.startswith("chroma/chroma.sqlite3"):
        return "chroma sqlite"
    if relative.startswith("chroma/"):
        return "chroma hnsw"
    return "catalog" if "manifest" in relative else relative
