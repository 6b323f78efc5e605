"""MinHash signature of an article: index.dedup.signature beside datasketch's default path (a fresh
MinHash per article, shingles hashed one by one), which it must equal bit for bit, in interleaved
rounds on real news articles.

    .venv/bin/python -m bench.signature [--articles 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from datasketch import MinHash

from bench.run import write_run
from index.dedup import NUM_PERM, signature
from index.text.normalise import compact

REPO = Path(__file__).resolve().parent.parent
XWLB = REPO.parent / "shared" / "corpus" / "xwlb" / "docs-00.jsonl"


def datasketch_default(search_text: str) -> np.ndarray:
    """index.dedup.signature as it was before it hashed in one pass: datasketch's defaults throughout."""
    text = compact(search_text)
    shingles = {text[i : i + 5] for i in range(max(1, len(text) - 4))}
    mh = MinHash(num_perm=NUM_PERM, scheme="affine32")
    mh.update_batch([s.encode("utf-8") for s in shingles])
    return mh.hashvalues.astype(np.uint64)


def per_article_ms(make: Callable[[str], np.ndarray], texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        make(text)
    return (time.perf_counter() - started) / len(texts) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with XWLB.open(encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line, _ in zip(lines, range(args.articles))]
    assert all(np.array_equal(signature(t), datasketch_default(t)) for t in texts), "signatures differ"
    candidates = {"datasketch default": datasketch_default, "index.dedup.signature": signature}
    times: dict[str, list[float]] = {name: [] for name in candidates}
    load = os.getloadavg()[0]
    for _ in range(args.rounds):
        for name, make in candidates.items():
            times[name].append(round(per_article_ms(make, texts), 3))
    medians = {name: statistics.median(t) for name, t in times.items()}
    result = {"articles": len(texts), "mean_chars": round(sum(map(len, texts)) / len(texts)), "rounds": args.rounds,
              "ms_per_article": times, "median_ms": medians, "load": round(load, 1),
              "command": "python -m bench.signature " + f"--articles {args.articles} --rounds {args.rounds}"}  # fmt: skip
    rows = [f"| {name} | {medians[name]:.3f} | {medians['datasketch default'] / medians[name]:.2f}x |" for name in candidates]
    markdown = "\n".join([f"MinHash signature of {len(texts)} CCTV news articles (mean {result['mean_chars']} characters), "
                          f"median of {args.rounds} interleaved rounds, load {result['load']}; bit-identical; "
                          f"`{result['command']}`", "", "| path | ms per article | speed |", "|---|---|---|", *rows]) + "\n"  # fmt: skip
    write_run("signature", result, markdown, REPO / "bench" / "results")


if __name__ == "__main__":
    main()
