"""The scale benchmark's Markdown: one row per backend and part, then the issue's targets, met or missed."""

from __future__ import annotations

# Issue 12's targets: (part, what, limit, unit, how to read it from a result)
TARGETS = (
    ("all", "ingesting every article", 3600, "s", lambda r: r["corpus_ingest"]["seconds"]),
    ("100k", "warm ask p50", 150, "ms", lambda r: r["serve"]["total_ms"]["p50"]),
    ("100k", "adding one article", 5, "s", lambda r: r["add_one"]["seconds"]),
    ("500k", "warm ask p50", 300, "ms", lambda r: r["serve"]["total_ms"]["p50"]),
    ("500k", "serving RSS, peak", 2048, "MiB", lambda r: r["serve"]["rss_mib"]["peak"]),
)
HEADER = (
    "| backend | part | chunks | this part's ingest: chunks, chunks/s | disk MiB: Chroma / BM25 / catalog | "
    "serving VmRSS MiB: warm / steady / peak | steady RSS MiB: anonymous / file-backed | add one article s | "
    "retrieve p50 / p95 ms | answer p50 / p95 ms | total p50 / p95 ms | answered / relevant cited | load avg (asking) |"
    "\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def to_markdown(results: list[dict]) -> str:
    ordered = sorted(results, key=lambda r: (r["backend"], r["copies"], r["serve"]["chunks"]))
    lines = [HEADER, *map(_row, ordered), ""]
    lines += [_target(r, *t) for t in TARGETS for r in ordered if r["part"] == t[0]]
    lines += ["", "500k: copies of the real chunks under new ids with their stored vectors (no re-embedding), for latency "
              "and memory only; its ingest column is the copying. Load average of the shared 2-core machine before "
              "and after each step is in the JSON (`load_before`, `load_after`)."]  # fmt: skip
    return "\n".join(lines) + "\n"


def _row(r: dict) -> str:
    grow, disk, serve = r["grow"], r["disk"], r["serve"]
    rss = serve["rss_mib"]
    add = f"{r['add_one']['seconds']}" if "add_one" in r else "—"
    part = f"{r['part']} (copies)" if r["copies"] else r["part"]
    cells = [
        r["backend"] + (" (fake embedding)" if r["fake_embedding"] else ""),
        part,
        f"{serve['chunks']:,}",
        f"{grow['chunks_added']:,}, {grow['chunks_per_s']}",
        f"{disk['chroma_mib']} / {disk['bm25_mib']} / {disk['catalog_mib']}",
        f"{_vmrss(rss['warm']):.0f} / {_vmrss(rss['steady']):.0f} / {rss['peak']:.0f}",
        f"{rss['steady']['anon']:.0f} / {rss['steady']['file']:.0f}" if isinstance(rss["steady"], dict) else "—",
        add,
        *(f"{serve[k]['p50']} / {serve[k]['p95']}" for k in ("retrieve_ms", "answer_ms", "total_ms")),
        f"{serve['answered']:.0%} / {serve['relevant_cited']:.0%}",
        f"{serve['load_before']}",
    ]
    return "| " + " | ".join(cells) + " |"


def _vmrss(step: dict | float) -> float:
    """A step's VmRSS: runs before RssAnon and RssFile were recorded hold the number alone."""
    return step["now"] if isinstance(step, dict) else step


def _target(result: dict, part: str, what: str, limit: float, unit: str, read) -> str:
    value = read(result)
    verdict = "met" if value <= limit else f"missed by {value - limit:.1f} {unit} ({value / limit:.2f}x)"
    made = "copied" if result["copies"] else "real"
    return f"- {result['backend']}, {what} at {part} ({result['serve']['chunks']:,} chunks, {made}): {value} {unit}, " \
           f"target ≤ {limit} {unit}: {verdict}"  # fmt: skip
