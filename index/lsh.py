"""MinHash LSH band keys that the catalog keeps in SQLite, so a new article finds the stored articles
it may copy without an in-memory index rebuilt from every article's MinHash on each run.

Hand-written because datasketch's MinHashLSH keeps its buckets in memory, Redis or Cassandra, not
SQLite; the split into bands is datasketch's own, so the candidates equal its ``query``'s.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

NUM_PERM = 128  # MinHash values per article


@dataclass(frozen=True)
class Banding:
    """Two signatures are candidates when all the rows of one of their bands are equal."""

    threshold: float

    @cached_property
    def split(self) -> tuple[int, int]:
        """(bands, rows per band), as MinHashLSH picks them for the threshold."""
        from datasketch import MinHashLSH  # with scipy, a second to import: only writers and lookups need it

        lsh = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM)
        return lsh.b, lsh.r

    @property
    def name(self) -> str:
        """What a catalog records of the keys it holds: other bands mean other keys."""
        bands, rows = self.split
        return f"{bands}x{rows}"

    def keys(self, values: np.ndarray) -> list[tuple[int, int]]:
        """(band, key) of each band: an 8-byte digest of its rows, a compact SQLite integer.

        A digest can collide, so candidates found by key are checked with ``share_a_band``.
        """
        return [(band, _digest(values[start:end])) for band, (start, end) in enumerate(self._ranges)]

    def share_a_band(self, a: np.ndarray, b: np.ndarray) -> bool:
        return any(np.array_equal(a[start:end], b[start:end]) for start, end in self._ranges)

    @cached_property
    def _ranges(self) -> list[tuple[int, int]]:
        bands, rows = self.split
        return [(band * rows, (band + 1) * rows) for band in range(bands)]


def _digest(rows: np.ndarray) -> int:
    data = np.ascontiguousarray(rows, dtype=np.uint64).tobytes()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)
