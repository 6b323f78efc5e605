"""The article library as tables, choices and messages for the UI. Pure functions."""

from __future__ import annotations

import hmac
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from index.clean import MOJIBAKE_DROPPED
from index.pipeline import IngestReport

# An article as its catalog metadata alone: listing the library never needs an article's text.
Article = Mapping[str, Any]

UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".png", ".jpg", ".jpeg", ".tif", ".tiff"]
LIBRARY_HEADERS = ["标题", "日期", "来源", "片段数", "清洗提示", "编号"]

# Warnings written by index/clean.py, by their English prefix.
_WARNING_LABELS = {
    MOJIBAKE_DROPPED: "删除乱码",
}
# Cleaning rule names of the ingest report, for the upload summary.
_RULE_LABELS = {
    "spam": "垃圾广告行",
    "mojibake": "乱码",
    "pinyin": "夹注拼音",
    "site_chrome": "网站导航",
    "share_buttons": "分享按钮",
    "copyright": "版权声明",
    "duplicate_line": "重复行",
}


@dataclass(frozen=True)
class Snapshot:
    """The library as the UI lists it: table rows and the choices of filters and pickers."""

    rows: list[list]
    sources: list[str]
    places: list[str]
    articles: list[tuple[str, str]]


def snapshot(articles: Sequence[Article], chunk_counts: Mapping[str, int]) -> Snapshot:
    return Snapshot(
        library_rows(articles, chunk_counts), sources_of(articles), places_of(articles), article_choices(articles)
    )


def is_admin(expected: str | None, given: str | None) -> bool:
    """True when an admin password is configured and ``given`` matches it."""
    return bool(expected) and hmac.compare_digest((given or "").encode(), expected.encode())


def warning_summary(warnings: Sequence[str]) -> list[str]:
    """Cleaning warnings counted by kind (删除乱码 4 处); a warning of unknown kind as it is."""
    kinds = Counter(w.split(": ", 1)[0] if w.split(": ", 1)[0] in _WARNING_LABELS else w for w in warnings)
    return [f"{_WARNING_LABELS[k]} {n} 处" if k in _WARNING_LABELS else k for k, n in kinds.items()]


def library_rows(articles: Sequence[Article], chunk_counts: Mapping[str, int]) -> list[list]:
    """One row per article, newest first, undated last."""
    rows = []
    for meta in sorted(articles, key=lambda a: a.get("date") or "", reverse=True):
        cleaning = meta.get("cleaning") or {}
        warnings = [f"{_RULE_LABELS[k]} {n} 处" for k, n in cleaning.items() if k in _RULE_LABELS and k != "mojibake"]
        warnings += warning_summary(meta.get("warnings") or [])
        if meta.get("canonical_doc_id"):
            warnings.append(f"与 {meta['canonical_doc_id']} 内容重复")
        if ocr := meta.get("ocr"):
            warnings.append(ocr_note(ocr))
        rows.append([
            meta.get("title") or "（无标题）",
            meta.get("date") or "",
            meta.get("source") or "",
            chunk_counts.get(meta["doc_id"], 0),
            "；".join(warnings),
            meta["doc_id"],
        ])
    return rows


def ocr_note(ocr: Mapping[str, Any]) -> str:
    """How an article read by OCR is flagged in the library: its confidence and doubtful lines."""
    note = f"扫描件，OCR 识别（置信度 {ocr['confidence']:.2f}"
    if ocr["doubtful_lines"]:
        note += f"，{ocr['doubtful_lines']} 行置信度低，请核对原件"
    return note + "）"


def article_choices(articles: Sequence[Article]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for pickers: title and date, so same-titled articles stay apart."""
    choices = []
    for meta in sorted(articles, key=lambda a: a["doc_id"]):
        label = f"{meta.get('title') or '（无标题）'}（{meta.get('date') or meta['doc_id']}）"
        choices.append((label, meta["doc_id"]))
    return choices


def sources_of(articles: Sequence[Article]) -> list[str]:
    return sorted({a["source"] for a in articles if a.get("source")})


def places_of(articles: Sequence[Article]) -> list[str]:
    return sorted({p for a in articles for p in a.get("places") or []})


def ingest_summary(name: str, report: IngestReport) -> str:
    """One Markdown line on what ingesting one file did."""
    if report.failed:
        return f"- {name}：导入失败（{report.failed[0]['reason']}）"
    if report.files_unchanged:
        return f"- {name}：内容未变，无需重新导入"
    text = f"- {name}：{report.documents} 篇文章，{report.chunks} 个片段"
    if report.duplicates:
        text += f"，其中 {report.duplicates} 篇与已有文章重复"
    cleaned = [f"{_RULE_LABELS[k]} {v}" for k, v in report.cleaning.items() if k in _RULE_LABELS]
    if cleaned:
        text += "；清洗：" + "，".join(cleaned)
    if report.repaired:
        text += f"；已修复：{report.repaired[0]['reason']}"
    if report.warnings:
        text += f"；{len(report.warnings)} 条提示"
    return text
