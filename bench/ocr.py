"""OCR throughput: pages per second of scanned PDFs, as ingest reads them (render, OCR, layout),
with one onnxruntime thread and with every core, side by side in one run; character accuracy too.

The scans are made here (tests/scans.py): the two-page red-header notice, A4, as image-only PDFs,
clean at 200 and 300 dpi and noisy (turned 1 degree, grey noise, speckles) at 150 dpi.
Writes bench/runs/ocr.json and bench/runs/ocr.md. Usage, from the repository (it reads tests/scans.py):
    .venv/bin/python -m bench.ocr [--pages 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.run import write_run
from core.settings import Settings
from index.ocr.reader import PageReader
from tests.scans import NOTICE, char_accuracy, cjk_font, render, write_pdf

VARIANTS = {  # name: (dpi, rotation in degrees, noise)
    "clean 200 dpi": (200, 0.5, 0.0),
    "clean 300 dpi": (300, 0.5, 0.0),
    "noisy 150 dpi": (150, 1.0, 25.0),
}


def make_pdf(folder: Path, name: str, pages: int) -> tuple[bytes, list[str]]:
    dpi, rotation, noise = VARIANTS[name]
    font = cjk_font()
    if font is None:
        raise SystemExit("no CJK font: install fonts-wqy-microhei (`make browser`)")
    chosen = [NOTICE[i % len(NOTICE)] for i in range(pages)]
    path = write_pdf([render(page, font, dpi, rotation, noise) for page in chosen], folder / f"{name}.pdf", dpi)
    return path.read_bytes(), [page.text for page in chosen]


def measure(data: bytes, truths: list[str], threads: int, dpi: int) -> dict:
    stamps: list[float] = []
    reader = PageReader(Settings(ocr_threads=threads, ocr_dpi=dpi), lambda done, total: stamps.append(time.perf_counter()))
    reader.pdf_pages(data, [1])  # warm: the models load once per ingest
    stamps.clear()
    started, cpu_started = time.perf_counter(), time.process_time()
    pages = reader.pdf_pages(data, list(range(1, len(truths) + 1)))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    per_page = [b - a for a, b in zip([started, *stamps], stamps)]
    accuracy = [char_accuracy(page.text, truth) for page, truth in zip(pages, truths)]
    return {
        "threads": threads or os.cpu_count(),
        "pages": len(pages),
        "seconds": round(seconds, 2),
        "pages_per_s": round(len(pages) / seconds, 3),
        "median_s_per_page": round(statistics.median(per_page), 2),
        "cpu_s_per_page": round(cpu_seconds / len(pages), 2),
        "accuracy_min": round(min(accuracy), 4),
        "accuracy_mean": round(statistics.mean(accuracy), 4),
    }


def to_markdown(result: dict) -> str:
    lines = [
        "| scan | onnxruntime threads | pages | s | pages/s | median s/page | CPU s/page | char accuracy min | mean |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['scan']} | {r['threads']} | {r['pages']} | {r['seconds']} | {r['pages_per_s']} | "
        f"{r['median_s_per_page']} | {r['cpu_s_per_page']} | {r['accuracy_min']} | {r['accuracy_mean']} |"
        for r in result["runs"]
    ]
    lines += ["", f"Render + OCR + layout of image-only A4 PDFs (tests/scans.py); {result['machine']}, load average "
              f"{result['load_before']} before the run (the machine is shared)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--name", default="ocr")
    args = parser.parse_args()
    load_before = round(os.getloadavg()[0], 2)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (dpi, _, _) in VARIANTS.items():
            data, truths = make_pdf(Path(tmp), name, args.pages)
            for threads in (1, 0):  # interleaved, so both see the same load
                runs.append({"scan": name, **measure(data, truths, threads, dpi)})
    result = {"runs": runs, "machine": f"{os.cpu_count()} cores", "load_before": load_before}
    write_run(args.name, result, to_markdown(result))


if __name__ == "__main__":
    main()
