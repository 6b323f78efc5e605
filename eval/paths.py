"""Where evaluation reads and writes by default, relative to the repository."""

from __future__ import annotations

from core.settings import REPO_ROOT

SAMPLE_ARTICLES = REPO_ROOT / "data" / "articles"
SEEDS = REPO_ROOT / "eval" / "datasets" / "seeds.jsonl"
# Benchmarks live beside the checkout and are read in place (their licences keep them out of the repo).
SHARED_BENCHMARKS = REPO_ROOT.parent / "shared" / "benchmarks"
RUNS_DIR = REPO_ROOT / "eval" / "runs"
THRESHOLDS = REPO_ROOT / "eval" / "thresholds.toml"
