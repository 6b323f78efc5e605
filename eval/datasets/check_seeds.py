"""Validate eval/datasets/seeds.jsonl: schema, per-type minimums, unique ids/questions, gold spans in source text.

Gold answers carry their unit: a bare number ("118", "1.5") is refused, since containment would
also match it inside another number ("200" in "2000"); write "118人", "1.5平方公里". A percentage
keeps its "%" through the metrics' normalisation, so "95%" carries its unit and is accepted.
Questions of type "unanswerable-hard" name their sub-kind in "kind" (see HARD_KINDS).

Run: .venv/bin/python eval/datasets/check_seeds.py [seeds.jsonl]
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

from opencc import OpenCC

ROOT = Path(__file__).resolve().parents[2]
SEEDS = Path(__file__).with_name("seeds.jsonl")
ARTICLES = ROOT / "data" / "articles"
MINIMUMS = {
    "fact": 35,
    "paraphrase": 15,
    "traditional": 10,
    "pasted": 8,
    "multi": 6,
    "unanswerable": 18,
    "unanswerable-hard": 30,
}
UNANSWERABLE = {"unanswerable", "unanswerable-hard"}
KEYS = {"id", "question", "answers", "answerable", "doc_ids", "type"}
# Sub-kinds of "unanswerable-hard": a fact the articles never give about a place or programme
# they cover; a false premise; the same topic in a place they do not cover; the same words, another fact.
HARD_KINDS = {"missing_fact", "false_premise", "other_place", "off_topic"}
BARE_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_t2s = OpenCC("t2s")


def norm(text: str) -> str:
    return re.sub(r"\s+", "", _t2s.convert(text))


def source_text(doc_id: str) -> str | None:
    path = ARTICLES / (doc_id.split("#", 1)[0] + ".txt")  # 002_…#k: the whole pasted file
    return norm(path.read_text(encoding="utf-8")) if path.is_file() else None


def check(rows: list[dict]) -> list[str]:
    errors = []
    for dup, n in (Counter(r.get("id") for r in rows) + Counter(r.get("question") for r in rows)).items():
        if n > 1:
            errors.append(f"duplicate id or question: {dup}")
    for r in rows:
        rid = r.get("id")
        keys = KEYS | {"kind"} if r.get("type") == "unanswerable-hard" else KEYS
        if set(r) != keys:
            errors.append(f"{rid}: keys {sorted(r)} != {sorted(keys)}")
            continue
        if r["type"] == "unanswerable-hard" and r["kind"] not in HARD_KINDS:
            errors.append(f"{rid}: kind {r['kind']!r} not one of {sorted(HARD_KINDS)}")
        if r["type"] not in MINIMUMS or not isinstance(r["question"], str) or not r["question"].strip():
            errors.append(f"{rid}: bad type or question")
        if not all(isinstance(x, list) for x in (r["answers"], r["doc_ids"])) or not isinstance(r["answerable"], bool):
            errors.append(f"{rid}: answers/doc_ids must be lists, answerable a bool")
            continue
        if r["answerable"] != (r["type"] not in UNANSWERABLE):
            errors.append(f"{rid}: answerable does not match type {r['type']}")
        if not r["answerable"]:
            if r["answers"] or r["doc_ids"]:
                errors.append(f"{rid}: unanswerable question needs empty answers and doc_ids")
            continue
        if not r["answers"] or not r["doc_ids"]:
            errors.append(f"{rid}: answerable question needs answers and doc_ids")
        if r["type"] == "multi" and len(set(r["doc_ids"])) < 2:
            errors.append(f"{rid}: multi question needs two doc_ids")
        texts = []
        for doc_id in r["doc_ids"]:
            text = source_text(doc_id)
            if text is None:
                errors.append(f"{rid}: no article file for {doc_id}")
            else:
                texts.append(text)
        for answer in r["answers"]:
            if not isinstance(answer, str) or not answer.strip():
                errors.append(f"{rid}: empty answer")
            elif BARE_NUMBER.fullmatch(unicodedata.normalize("NFKC", answer).strip()):
                errors.append(f"{rid}: bare number {answer!r}: give the unit from the article (e.g. '118人')")
            elif texts and not any(norm(answer) in t for t in texts):
                errors.append(f"{rid}: answer {answer!r} not found in {r['doc_ids']}")
    counts = Counter(r.get("type") for r in rows)
    for typ, minimum in MINIMUMS.items():
        if counts[typ] < minimum:
            errors.append(f"type {typ}: {counts[typ]} < {minimum}")
    return errors


def main(path: Path = SEEDS) -> int:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    errors = check(rows)
    for error in errors:
        print("ERROR", error)
    counts = Counter(r.get("type") for r in rows)
    print(", ".join(f"{t}={counts[t]}" for t in MINIMUMS), f"total={len(rows)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else SEEDS))
