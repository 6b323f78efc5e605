"""Golden tests: clean -> split -> metadata on the five sample files, against reviewed output.

Regenerate after a deliberate change, then read every diff before committing it:

    POLICYQA_UPDATE_GOLDEN=1 .venv/bin/pytest tests/index/test_clean_golden.py
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from index.articles import split_articles
from index.clean import clean_text
from index.metadata import extract_metadata

ARTICLES = Path(__file__).resolve().parents[2] / "data" / "articles"
GOLDEN = Path(__file__).resolve().parent / "golden"
SAMPLES = sorted(ARTICLES.glob("*.txt"))
UPDATE = os.environ.get("POLICYQA_UPDATE_GOLDEN") == "1"


def render(raw: str) -> str:
    """Everything ingest takes from one file, as reviewable text."""
    cleaned = clean_text(raw)
    articles = split_articles(cleaned.text)
    lines = ["# counts: " + " ".join(f"{rule}={n}" for rule, n in cleaned.counts.items())]
    lines += [f"# warning: {warning}" for warning in cleaned.warnings]
    for number, article in enumerate(articles, 1):
        meta = extract_metadata(raw, article)
        lines += [
            f"==== article {number}/{len(articles)} ====",
            f"title: {article.title}",
            f"date: {meta.date}",
            f"source: {meta.source}",
            f"places: {', '.join(meta.places)}",
            f"offset: {article.offset}",
            "----",
            article.body,
        ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.name[:3])
def test_pipeline_matches_golden(sample: Path) -> None:
    actual = render(sample.read_text(encoding="utf-8"))
    golden = GOLDEN / f"{sample.stem}.txt"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}; run with POLICYQA_UPDATE_GOLDEN=1 and review it"
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), f"golden/{golden.name}", "actual", lineterm=""
        )
        pytest.fail("cleaning output changed (POLICYQA_UPDATE_GOLDEN=1 regenerates):\n" + "\n".join(diff))
