"""Near-duplicate articles (one story reposted by several sites) by MinHash (datasketch) and LSH (index/lsh.py).

A copy keeps its own doc_id but points at one canonical article, so retrieval can
collapse copies and an answer does not cite the same text three times.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

import numpy as np
from datasketch import MinHash

from index.catalog import Catalog
from index.lsh import NUM_PERM
from index.text.normalise import compact

_SCHEME = "affine32"  # stored values must be read back with the scheme that made them
_SHINGLE = 5  # 5-character shingles: short enough for reworded leads, long enough to ignore shared phrases
# datasketch draws a MinHash's permutations (seed 1) anew for each one, a quarter of a millisecond: drawn once here
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, scheme=_SCHEME).permutations


def signature(search_text: str) -> np.ndarray:
    """MinHash values of a (simplified) article's character shingles."""
    text = compact(search_text)
    shingles = {text[i : i + _SHINGLE] for i in range(max(1, len(text) - _SHINGLE + 1))}
    # datasketch's own hash (sha1_hash32: SHA-1's first 4 bytes, little-endian), read in one numpy
    # pass instead of unpacked shingle by shingle; the MinHash takes the values as they are.
    digests = b"".join([hashlib.sha1(s.encode("utf-8")).digest()[:4] for s in shingles])
    mh = MinHash(num_perm=NUM_PERM, scheme=_SCHEME, permutations=_PERMUTATIONS, hashfunc=int)
    mh.update_batch(np.frombuffer(digests, dtype="<u4").tolist())
    return mh.hashvalues.astype(np.uint64)  # one dtype on disk, whatever the scheme uses in memory


class NearDuplicates:
    """Finds, for a new article, the canonical article it copies, if any: among the stored articles
    by the catalog's band keys, and among the articles of the file being read (the catalog takes
    them with the whole file), which stand in for any stored versions of themselves."""

    def __init__(self, catalog: Catalog, threshold: float) -> None:
        self._catalog = catalog
        self._banding = catalog.banding
        self._threshold = threshold
        self._pending: dict[str, tuple[str, np.ndarray]] = {}  # doc_id -> (canonical, values)
        self._buckets: defaultdict[tuple[int, int], set[str]] = defaultdict(set)  # band key -> pending doc_ids

    def add(self, doc_id: str, canonical: str, values: np.ndarray) -> None:
        if doc_id in self._pending:
            for key in self._banding.keys(self._pending[doc_id][1]):
                self._buckets[key].discard(doc_id)
        self._pending[doc_id] = (canonical, values)
        for key in self._banding.keys(values):
            self._buckets[key].add(doc_id)

    def candidates(self, values: np.ndarray) -> dict[str, tuple[str, np.ndarray]]:
        """doc_id -> (canonical, values) of the articles sharing a band with ``values``: what
        MinHashLSH.query would return over all of them."""
        keys = self._banding.keys(values)
        stored = self._catalog.sharing_keys(keys)
        found = {doc_id: stored[doc_id] for doc_id in stored.keys() - self._pending.keys()}
        found |= {doc_id: self._pending[doc_id] for key in keys for doc_id in self._buckets.get(key, ())}
        return {doc_id: seen for doc_id, seen in found.items() if self._banding.share_a_band(values, seen[1])}

    def canonical_for(self, doc_id: str, values: np.ndarray) -> str | None:
        """The canonical doc_id of the most similar other article above the threshold."""
        mh = _minhash(values)
        scored = [
            (mh.jaccard(_minhash(other_values)), other, canonical)
            for other, (canonical, other_values) in self.candidates(values).items()
            if other != doc_id and canonical != doc_id
        ]
        scored = [s for s in scored if s[0] >= self._threshold]
        return max(scored)[2] if scored else None


def _minhash(values: np.ndarray) -> MinHash:
    return MinHash(hashvalues=values, permutations=_PERMUTATIONS, scheme=_SCHEME)
