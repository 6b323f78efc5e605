"""Character uni+bigram BM25 beside Chroma (local Chroma has no sparse index).

Tokens are taken from the OpenCC-simplified text: every CJK character, every run of
Latin letters or digits (so ``1867`` stays one token), and every pair of neighbouring
tokens. Measured on the seeds, this beats word segmentation for short policy questions.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from index.text.chars import HAN

_VERSION_FILE = "version.txt"
_LOAD_TRIES = 3
TOKEN = re.compile(rf"[{HAN}]|[A-Za-z]+|\d+(?:\.\d+)?%?")


def tokenize(text: str) -> list[str]:
    """Unigrams and bigrams of a simplified text, lower-cased, punctuation dropped."""
    units = TOKEN.findall(text.lower())
    return units + [a + b for a, b in zip(units, units[1:])]


@dataclass
class Bm25Index:
    """A bm25s index plus the chunk ids its rows stand for, and the version of the collection
    it was built from ("" before versions were recorded)."""

    ids: list[str]
    model: bm25s.BM25 | None
    version: str = ""

    @classmethod
    def build(cls, ids: list[str], texts: list[str], version: str = "") -> Bm25Index:
        if not ids:
            return cls([], None, version)
        model = bm25s.BM25()
        model.index([tokenize(t) or [""] for t in texts], show_progress=False)
        return cls(list(ids), model, version)

    def search(
        self, query: str, k: int, allowed: set[str] | None = None, excluded: frozenset[str] = frozenset()
    ) -> list[tuple[str, float]]:
        """Best ``k`` (chunk id, score) pairs with a positive score, optionally only among
        ``allowed`` ids, never among ``excluded`` ones."""
        tokens = tokenize(query)
        if self.model is None or not tokens:
            return []
        scores = self.model.get_scores(tokens)
        if allowed is not None:
            scores = np.where([i in allowed for i in self.ids], scores, 0.0)
        if excluded:
            scores = np.where([i in excluded for i in self.ids], 0.0, scores)
        top = np.argsort(-scores)[:k]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def save(self, folder: Path) -> None:
        """Write beside the old index, then swap, so a crash never leaves ids and scores out of step."""
        staging = folder.with_name(folder.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        (staging / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
        (staging / _VERSION_FILE).write_text(self.version, encoding="utf-8")
        if self.model is not None:
            self.model.save(str(staging), show_progress=False)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)

    @classmethod
    def load(cls, folder: Path) -> Bm25Index:
        """The index saved in ``folder``; an empty one of no version when there is none.

        Another process's save may swap the folder while it is read, leaving files of two
        versions, or none: such a read is tried again, and after a few tries counts as none
        (the store then rebuilds BM25 from the collection).
        """
        for _ in range(_LOAD_TRIES):
            try:
                before = _saved_version(folder)
                loaded = cls._read(folder)
                if loaded.version == before == _saved_version(folder):
                    return loaded
            except FileNotFoundError:  # the swap removed a file between two reads
                continue
        return cls([], None)

    @classmethod
    def _read(cls, folder: Path) -> Bm25Index:
        ids_file = folder / "ids.json"
        if not ids_file.exists():
            return cls([], None)
        ids = json.loads(ids_file.read_text(encoding="utf-8"))
        # Memory-mapped: a cold start reads only the pages a search touches, and processes on one
        # machine share them. A rebuild swaps the folder; a mapped old copy stays valid until dropped.
        model = bm25s.BM25.load(str(folder), mmap=True) if ids else None
        return cls(ids, model, _saved_version(folder))


def _saved_version(folder: Path) -> str:
    try:
        return (folder / _VERSION_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
