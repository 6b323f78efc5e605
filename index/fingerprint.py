"""What a stored collection was built from: the ingest code and the settings that shape its
chunks and vectors. A cache of built indexes is keyed by it, so an index built by other code
or another model is never reused as if it were current."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from core.settings import REPO_ROOT, Settings

# Code that turns files into stored chunks and vectors (rag/ and the roof only read them).
_INGEST_CODE = ("index", "models")
INGEST_FIELDS = ("embedding_model", "embedding_backend", "embedding_max_tokens", "passage_prefix", "chunk_min_chars",
                 "chunk_max_chars", "dedup_threshold")


def ingest_fingerprint(settings: Settings) -> str:
    digest = hashlib.sha1()
    for package in _INGEST_CODE:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            digest.update(path.relative_to(REPO_ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    digest.update(json.dumps({field: str(getattr(settings, field)) for field in INGEST_FIELDS}).encode())
    return digest.hexdigest()


def files_fingerprint(path: Path) -> str:
    """The content of a file, or of every file under a folder, with their relative names."""
    digest = hashlib.sha1()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(file.relative_to(path).as_posix().encode() if path.is_dir() else b"")
        digest.update(file.read_bytes())
    return digest.hexdigest()
