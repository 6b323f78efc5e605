"""Character uni+bigram BM25 beside Chroma (local Chroma has no sparse index).

Tokens are taken from the OpenCC-simplified text: every CJK character, every run of
Latin letters or digits (so ``1867`` stays one token), and every pair of neighbouring
tokens. Measured on the seeds, this beats word segmentation for short policy questions.

Scores are bm25s's defaults, to float32 rounding: its Lucene variant, k1 1.5, b 0.75, idf
log(1 + (N - df + 0.5) / (df + 0.5)), a query token counted as often as it is repeated, an empty
chunk one token long. rag/answerability.py fits on the raw scores, so they must not move.
Written here, not with a library: bm25s precomputes every score over the whole corpus and cannot
add a chunk; tantivy can, but fixes k1 at 1.2 and quantises lengths, so its scores differ.
Instead each change appends a segment of term frequencies (index/segments.py), deletions are
tombstones, segments merge when too many pile up, and N, df and the average length are counted
at query time over the live chunks, for the query's terms only. A search then scores only the
postings that can change its top k (index/bm25_topk.py), with the same arithmetic as scoring all.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.bm25_topk import Part, best
from index.segments import Segment, collect, id_keys, release, term_keys, write_atomically
from index.text.chars import HAN

TOKEN = re.compile(rf"[{HAN}]|[A-Za-z]+|\d+(?:\.\d+)?%?")
TIER_BITS = 3  # segments of one tier (floor(log8(live chunks))) merge once 8 of them pile up
BATCH = 8192  # chunks per segment built: bounds the vocabulary held while building
_MANIFEST = "segments.json"  # what the saved index is: its version and segments
_FORMAT = 2  # 2: each term's postings in slot order; 1 is read, and rewritten in order at the next save


def tokenize(text: str) -> list[str]:
    """Unigrams and bigrams of a simplified text, lower-cased, punctuation dropped."""
    units = TOKEN.findall(text.lower())
    return units + [a + b for a, b in zip(units, units[1:])]


@dataclass(frozen=True)
class Bm25Index:
    """Segments of chunks, searched as one index, and the version of the collection they were
    saved for ("" when never saved)."""

    segments: tuple[Segment, ...] = ()
    version: str = ""

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> Bm25Index:
        return cls().updated((), dict(zip(ids, texts)))

    def updated(self, removed: Iterable[str], added: Mapping[str, str], folder: Path | None = None) -> Bm25Index:
        """This index without ``removed`` and with ``added`` (id -> text), which replace any earlier
        text of those ids. New and merged segments go to ``folder`` at once when one is given
        (memory stays bounded); the index is named there only by ``save``."""
        keys = id_keys({*removed, *added})
        segments = [s.without(keys) for s in self.segments]
        items = list(added.items())
        for i in range(0, len(items), BATCH):
            built = Segment.build([(cid, tokenize(text) or [""]) for cid, text in items[i : i + BATCH]])
            segments.append(built.store(folder) if folder else built)
        return Bm25Index(tuple(_merged(segments, folder)), self.version)

    def ids(self) -> list[str]:
        return [cid.decode() for s in self.segments for cid in s.ids[s.live]]

    def search(
        self, query: str, k: int, allowed: set[str] | None = None, excluded: frozenset[str] = frozenset()
    ) -> list[tuple[str, float]]:
        """Best ``k`` (chunk id, score) pairs with a positive score, optionally only among
        ``allowed`` ids, never among ``excluded`` ones; ties go to the smaller id."""
        tokens = tokenize(query)
        live = [s for s in self.segments if s.live_count]
        if not tokens or not live or k < 1:
            return []
        keys, repeats = np.unique(term_keys(tokens), return_counts=True)
        limits = [id_keys(allowed) if allowed is not None else None, id_keys(excluded)]
        parts = [Part(s, *s.spans(keys), _eligible(s, *limits)) for s in live]
        df = np.zeros(len(keys), np.int64)
        for p in parts:
            df[p.held] += p.segment.live_df(p.starts, p.ends)
        n = sum(s.live_count for s in live)
        average = sum(s.live_length for s in live) / n
        weights = repeats * np.log(1 + (n - df + 0.5) / (df + 0.5))
        return [(cid, -negated) for negated, cid in sorted(best(parts, weights, average, k))[:k]]

    def release_pages(self) -> None:
        """Let go of the memory-mapped pages searches read in (index.segments.release)."""
        release(self.segments)

    def save(self, folder: Path, version: str) -> Bm25Index:
        """Write what is not written yet, then name it all in one atomic swap of the manifest: a
        kill at any moment leaves the old index or the new one. Returns it memory-mapped."""
        folder.mkdir(parents=True, exist_ok=True)
        segments = tuple(s.in_order().store(folder) for s in self.segments)
        manifest = {"format": _FORMAT, "version": version, "segments": [[s.name, s.dead_file] for s in segments]}
        write_atomically(folder / _MANIFEST, json.dumps(manifest))
        collect(folder, {_MANIFEST, *(name for s in segments for name in s.files())})
        return Bm25Index(segments, version)

    @classmethod
    def load(cls, folder: Path) -> Bm25Index:
        """The index saved in ``folder``; an empty one of no version when there is none (also
        where the old single-bm25s format lies: it is rebuilt, and its files go at the next save)."""
        for _ in range(3):
            manifest = _manifest(folder)
            if manifest is None:
                break
            try:
                ordered = manifest["format"] == _FORMAT
                segments = tuple(Segment.read(folder, *names, ordered=ordered) for names in manifest["segments"])
                return cls(segments, manifest["version"])
            except FileNotFoundError:  # a writer saved again and collected those files: read its manifest
                continue
        return cls()

    @staticmethod
    def saved_version(folder: Path) -> str:
        manifest = _manifest(folder)
        return manifest["version"] if manifest else ""


def _manifest(folder: Path) -> dict | None:
    try:
        manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return manifest if manifest.get("format") in (1, _FORMAT) else None


def _eligible(segment: Segment, allowed: np.ndarray | None, excluded: np.ndarray) -> np.ndarray:
    """Per slot: live, among ``allowed`` ids when given, not among ``excluded`` ones."""
    if allowed is None and not len(excluded):
        return segment.live
    if allowed is None:
        kept = segment.live.copy()
    else:
        kept = np.zeros(len(segment.ids), bool)
        kept[segment.slots(allowed)] = True
    kept[segment.slots(excluded)] = False
    return kept


def _merged(segments: list[Segment], folder: Path | None) -> list[Segment]:
    """Merge segments of one tier once 8 pile up, and a mostly deleted one on its own: a search
    visits few segments, and a chunk is rewritten about log8(chunks) times over its life."""
    segments = [s for s in segments if s.live_count]
    while group := _to_merge(segments):
        merged = Segment.merge(group)
        segments = [s for s in segments if all(s is not g for g in group)] + [merged.store(folder) if folder else merged]
    return segments


def _to_merge(segments: list[Segment]) -> list[Segment]:
    tiers: dict[int, list[Segment]] = defaultdict(list)
    for s in segments:
        tiers[(s.live_count.bit_length() - 1) // TIER_BITS].append(s)
    full = [group for group in tiers.values() if len(group) >= 1 << TIER_BITS]
    return full[0] if full else next(([s] for s in segments if 2 * len(s.dead) > len(s.ids)), [])
