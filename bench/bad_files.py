"""Cost of bad input files: peak RSS and seconds of one ingest per case, each in a fresh process.

Writes bench/runs/bad_files.json and bench/runs/bad_files.md. Usage:
    .venv/bin/python bench/bad_files.py [--slice-mb 5]

Chunks are embedded with the tests' hash embedding, so the numbers are those of reading,
cleaning, chunking and storing, not of the model. ``raw_chunks`` is what chunking the file's
text without the cleaner's repeated-run rule and the pipeline's repeated-passage drop gives:
the passages that would have been embedded before them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "runs"

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from index.service import open_index
from core.settings import Settings
from tests.fakes import HashEmbeddings
path, data = Path(sys.argv[1]), Path(sys.argv[2])
started = time.perf_counter()
with open_index(Settings(data_dir=data), HashEmbeddings()) as idx:
    report = idx.ingest([path])
    chunks = idx.store.count()
print(json.dumps({
    "seconds": round(time.perf_counter() - started, 2),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "chunks": chunks,
    "verdict": "failed" if report.failed else "repaired" if report.repaired else "ok",
    "reason": (report.failed or report.repaired or [{"reason": ""}])[0]["reason"][:120],
}))
"""


def run_case(path: Path, env: dict[str, str] | None = None) -> dict:
    with tempfile.TemporaryDirectory() as data:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), data],
            capture_output=True, text=True, check=True, cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", **(env or {})},
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def raw_chunks(path: Path) -> int:
    from langchain_core.documents import Document

    from index.chunking import chunk_document

    text = path.read_text(encoding="utf-8")
    return len(chunk_document(Document(page_content=text, metadata={"doc_id": "raw"})))


def main() -> None:
    sys.path.insert(0, str(REPO))
    from tests.data.bad import generate

    parser = argparse.ArgumentParser()
    parser.add_argument("--slice-mb", type=float, default=1, help="size of the big file that is read (default 1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        huge = generate.huge_text(folder / "huge_50mb.txt", 50)
        piece = generate.huge_text(folder / f"huge_{args.slice_mb:g}mb.txt", args.slice_mb)
        line = generate.one_line(folder / generate.ONE_LINE)
        liar = generate.lying_zip(folder / generate.LYING_ZIP)
        sample = REPO / "data" / "articles" / "000_3f0149dc5789c7e7.txt"
        cases = [
            ("one sample article (baseline)", sample, None),
            ("50 MB text, default limit", huge, None),
            (f"{args.slice_mb:g} MB text (under the limit)", piece, None),
            ("1 MB line of 党建", line, None),
            ("DOCX whose zip claims 1.5 kB for a 300 MB document", liar, None),
        ]
        rows = []
        for name, path, env in cases:
            row = {"case": name, "file_mb": round(path.stat().st_size / 1e6, 1), **run_case(path, env)}
            if path == line:
                row["raw_chunks"] = raw_chunks(path)
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    result = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), "rows": rows}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bad_files.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"# Bad input files ({result['date']}, {result['cpus']} CPUs, hash embedding)",
        "",
        "| case | file MB | verdict | seconds | peak RSS MB | chunks stored | chunks without the repeat rules |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['case']} | {r['file_mb']} | {r['verdict']} | {r['seconds']} | {r['peak_rss_mb']} | {r['chunks']} "
        f"| {r.get('raw_chunks', '')} |"
        for r in rows
    ]
    (OUT / "bad_files.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
