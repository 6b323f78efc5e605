"""Near-duplicate articles (one story reposted by several sites) by MinHash LSH (datasketch).

A copy keeps its own doc_id but points at one canonical article, so retrieval can
collapse copies and an answer does not cite the same text three times.
"""

from __future__ import annotations

import numpy as np
from datasketch import MinHash, MinHashLSH

from index.text.normalise import compact

NUM_PERM = 128
_SCHEME = "affine32"  # stored values must be read back with the scheme that made them
_SHINGLE = 5  # 5-character shingles: short enough for reworded leads, long enough to ignore shared phrases


def signature(search_text: str) -> np.ndarray:
    """MinHash values of a (simplified) article's character shingles."""
    text = compact(search_text)
    shingles = {text[i : i + _SHINGLE] for i in range(max(1, len(text) - _SHINGLE + 1))}
    mh = MinHash(num_perm=NUM_PERM, scheme=_SCHEME)
    mh.update_batch([s.encode("utf-8") for s in shingles])
    return mh.hashvalues.astype(np.uint64)  # one dtype on disk, whatever the scheme uses in memory


class NearDuplicates:
    """Finds, for a new article, the canonical article it copies, if any."""

    def __init__(self, known: dict[str, tuple[str, np.ndarray]], threshold: float) -> None:
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._canonical: dict[str, str] = {}
        self._threshold = threshold
        self._sigs: dict[str, MinHash] = {}
        for doc_id, (canonical, values) in known.items():
            self.add(doc_id, canonical, values)

    def add(self, doc_id: str, canonical: str, values: np.ndarray) -> None:
        if doc_id in self._canonical:
            self._lsh.remove(doc_id)
        mh = MinHash(num_perm=NUM_PERM, hashvalues=values, scheme=_SCHEME)
        self._lsh.insert(doc_id, mh)
        self._canonical[doc_id] = canonical
        self._sigs[doc_id] = mh

    def forget(self, gone: list[str], stories: dict[str, str]) -> None:
        """Drop removed articles, and take the new canonical of copies that pointed at them."""
        for doc_id in gone:
            if self._canonical.pop(doc_id, None) is not None:
                self._lsh.remove(doc_id)
                del self._sigs[doc_id]
        self._canonical.update(stories)

    def canonical_for(self, doc_id: str, values: np.ndarray) -> str | None:
        """The canonical doc_id of the most similar other article above the threshold."""
        mh = MinHash(num_perm=NUM_PERM, hashvalues=values, scheme=_SCHEME)
        scored = [
            (mh.jaccard(self._sigs[other]), other)
            for other in self._lsh.query(mh)
            if other != doc_id and self._canonical[other] != doc_id
        ]
        scored = [s for s in scored if s[0] >= self._threshold]
        return self._canonical[max(scored)[1]] if scored else None
