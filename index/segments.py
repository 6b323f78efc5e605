"""Segments of the BM25 index: the term-frequency postings of a batch of chunks, never changed
once written, plus the slots of the chunks deleted since (tombstones, a file of their own).

Terms are 64-bit keys of the token strings (blake2b): no vocabulary of millions of Python
strings; two of ten million terms share a key with odds of about one in 400,000. A segment's
chunks are sorted by id, so a chunk's slot is a binary search. A stored segment is one file of
arrays, memory-mapped read-only: a process holds only the pages its searches touch.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import IO, BinaryIO

import numpy as np

_ARRAYS = ("ids", "lengths", "terms", "starts", "docs", "tfs")
_NO_SLOTS = np.zeros(0, np.uint32)
_NO_STARTS = np.zeros(0, np.int64)


def term_keys(tokens: Iterable[str]) -> np.ndarray:
    """The uint64 key of each token, the same in every process (``hash()`` is salted per process)."""
    digests = b"".join(hashlib.blake2b(t.encode(), digest_size=8).digest() for t in tokens)
    return np.frombuffer(digests, dtype="<u8")


def id_keys(chunk_ids: Iterable[str]) -> np.ndarray:
    """Chunk ids as a sorted array of UTF-8 bytes, the form a segment stores them in."""
    return np.sort(np.array([i.encode() for i in chunk_ids], dtype=np.bytes_))


@dataclass(frozen=True, eq=False)
class Segment:
    name: str
    ids: np.ndarray  # chunk ids, UTF-8, sorted: the slot of a chunk is its position here
    lengths: np.ndarray  # tokens per chunk, repeats counted (bm25s's document length)
    terms: np.ndarray  # uint64 term keys, sorted
    starts: np.ndarray  # term i's postings are docs[starts[i]:starts[i + 1]], likewise tfs
    docs: np.ndarray  # uint32 slots
    tfs: np.ndarray  # how often the term occurs in that chunk
    dead: np.ndarray = field(default_factory=lambda: _NO_SLOTS)  # sorted slots of deleted chunks
    dead_file: str = ""  # the file holding ``dead``; "" while not saved, or nothing is dead
    stored: bool = False  # the arrays are files in the index folder
    ordered: bool = True  # each term's postings are in slot order (format 1 merged them out of order)

    @classmethod
    def build(cls, chunks: Sequence[tuple[str, list[str]]]) -> Segment:
        """A segment of (chunk id, tokens) pairs with distinct ids."""
        chunks = sorted((cid.encode(), tokens) for cid, tokens in chunks)
        vocabulary: dict[str, int] = {}  # this batch's tokens only, dropped once the keys are made
        term_of, tfs, distinct, lengths = [], [], [], []
        for _, tokens in chunks:
            counts = Counter(tokens)
            term_of += [vocabulary.setdefault(t, len(vocabulary)) for t in counts]
            tfs += counts.values()
            distinct.append(len(counts))
            lengths.append(len(tokens))
        keys, rank = np.unique(term_keys(vocabulary), return_inverse=True)
        posting_rank = rank[np.asarray(term_of, dtype=np.int64)]
        order = np.argsort(posting_rank, kind="stable")  # by term, and by slot within a term
        slots = np.repeat(np.arange(len(chunks), dtype=np.uint32), distinct)
        tf = np.asarray(tfs, dtype=np.int64)
        return cls(
            name=_new_name(),
            ids=np.array([cid for cid, _ in chunks], dtype=np.bytes_),
            lengths=np.asarray(lengths, dtype=np.uint32),
            terms=keys,
            starts=_starts(np.bincount(posting_rank, minlength=len(keys))),
            docs=slots[order],
            tfs=tf[order].astype(np.min_scalar_type(int(tf.max(initial=0)))),
        )

    @classmethod
    def merge(cls, parts: Sequence[Segment]) -> Segment:
        """One segment of the live chunks of ``parts``: postings are moved, never re-tokenised or sorted."""
        ids = np.concatenate([p.ids[p.live] for p in parts])
        order = np.argsort(ids, kind="stable")
        new_slot = np.empty(len(ids), np.uint32)
        new_slot[order] = np.arange(len(ids), dtype=np.uint32)
        terms = np.unique(np.concatenate([p.terms for p in parts]))
        kept = [p.live_postings() for p in parts]
        where = [np.searchsorted(terms, p.terms) for p in parts]
        totals = sum(np.bincount(w, weights=counts, minlength=len(terms)) for w, (_, counts) in zip(where, kept))
        totals = np.asarray(totals, dtype=np.int64)
        present = totals > 0  # a term whose every posting was of deleted chunks goes
        renumber = np.cumsum(present) - 1
        starts = _starts(totals[present])
        filled = np.zeros(int(present.sum()), np.int64)
        docs = np.empty(int(starts[-1]), np.uint32)
        tfs = np.empty(int(starts[-1]), np.result_type(*(p.tfs.dtype for p in parts)))
        offset = 0
        for part, (keep, counts), w in zip(parts, kept, where):
            w, counts = renumber[w[counts > 0]], counts[counts > 0]  # unique targets, so += below adds each
            slot_map = np.zeros(len(part.ids), np.uint32)
            slot_map[part.live] = new_slot[offset : offset + part.live_count]
            offset += part.live_count
            # A term's postings from this part go after those of the parts before it.
            first = starts[w] + filled[w]
            filled[w] += counts
            dest = np.repeat(first - _starts(counts)[:-1], counts) + np.arange(int(counts.sum()))
            docs[dest] = slot_map[part.docs[keep]] if keep is not None else slot_map[part.docs]
            tfs[dest] = part.tfs[keep] if keep is not None else part.tfs
        lengths = np.concatenate([p.lengths[p.live] for p in parts])[order]
        _order_postings(starts, docs, tfs)
        return cls(_new_name(), ids[order], lengths, terms[present], starts, docs, tfs)

    def in_order(self) -> Segment:
        """This segment with each term's postings in slot order: itself when they are, else a new
        segment of the same chunks (a segment of the first format, merged before postings were ordered)."""
        if self.ordered:
            return self
        ascending = self.docs[1:] > self.docs[:-1]
        ascending[self.starts[1:-1] - 1] = True  # where one term's postings end and the next one's begin
        if ascending.all():
            return replace(self, ordered=True)
        docs, tfs = np.array(self.docs), np.array(self.tfs)
        _order_postings(self.starts, docs, tfs)
        return replace(self, name=_new_name(), docs=docs, tfs=tfs, dead_file="", stored=False, ordered=True)

    # --- what is live ------------------------------------------------------------------------

    @cached_property
    def live(self) -> np.ndarray:
        alive = np.ones(len(self.ids), bool)
        alive[self.dead] = False
        return alive

    @cached_property
    def live_count(self) -> int:
        return len(self.ids) - len(self.dead)

    @cached_property
    def live_length(self) -> int:
        return int(self.lengths.sum(dtype=np.int64)) - int(self.lengths[self.dead].sum(dtype=np.int64))

    def live_postings(self) -> tuple[np.ndarray | None, np.ndarray]:
        """Which postings are of live chunks (None: all of them), and how many each term keeps."""
        lengths = np.diff(self.starts)
        if not len(self.dead):
            return None, lengths
        keep = self.live[self.docs]
        return keep, np.add.reduceat(keep, self.starts[:-1], dtype=np.int64) if len(lengths) else lengths

    def slots(self, keys: np.ndarray) -> np.ndarray:
        """Slots of the live chunks among ``keys`` (sorted ids from ``id_keys``)."""
        keys = keys[np.char.str_len(keys) <= self.ids.itemsize].astype(self.ids.dtype)  # longer ones are not here
        if not len(keys) or not len(self.ids):
            return _NO_SLOTS
        at = np.minimum(np.searchsorted(self.ids, keys), len(self.ids) - 1)
        found = at[self.ids[at] == keys]
        return found[self.live[found]].astype(np.uint32)

    def without(self, keys: np.ndarray) -> Segment:
        """This segment with the chunks of these ids deleted."""
        gone = self.slots(keys)
        if not len(gone):
            return self
        return replace(self, dead=np.union1d(self.dead, gone).astype(np.uint32), dead_file="")

    def spans(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Which of these term keys (sorted) the segment holds, as positions in ``keys``, and where
        their postings start and end: views of the mapped arrays, nothing copied."""
        if not len(self.terms):
            return _NO_SLOTS.astype(np.int64), _NO_STARTS, _NO_STARTS
        at = np.minimum(np.searchsorted(self.terms, keys), len(self.terms) - 1)
        held = np.flatnonzero(self.terms[at] == keys)
        return held, self.starts[at[held]], self.starts[at[held] + 1]

    def gather(self, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The slots and term frequencies of these posting spans, one span after another."""
        if not len(starts):
            return _NO_SLOTS, _NO_SLOTS
        docs = np.concatenate([self.docs[a:b] for a, b in zip(starts.tolist(), ends.tolist())])
        return docs, np.concatenate([self.tfs[a:b] for a, b in zip(starts.tolist(), ends.tolist())])

    def find(self, starts: np.ndarray, ends: np.ndarray, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The postings in these spans of these chunks (sorted slots), span by span: each one's span (an
        index into ``starts``), chunk (an index into ``slots``) and term frequency. A few chunks are
        searched for in each span, when the segment is ``ordered``; many are found by reading the spans."""
        if not len(slots) or not len(starts):
            return _NO_STARTS, _NO_STARTS, self.tfs[:0]
        if self.ordered and len(slots) * 16 < (ends - starts).mean():  # a binary search reads about 16 postings
            needles = slots.astype(self.docs.dtype)  # another dtype would make searchsorted convert each span
            docs = self.docs
            at = np.stack([docs[a:b].searchsorted(needles) for a, b in zip(starts.tolist(), ends.tolist())])
            inside = at < (ends - starts)[:, None]
            at = np.minimum(at + starts[:, None], len(docs) - 1)
            spans, owners = np.nonzero(inside & (docs[at] == needles))
            return spans, owners, self.tfs[at[spans, owners]]
        owner = np.full(len(self.ids), -1, np.int64)
        owner[slots] = np.arange(len(slots))
        docs, tfs = self.gather(starts, ends)
        owners = owner[docs]
        found = np.flatnonzero(owners >= 0)
        spans = np.searchsorted(np.cumsum(ends - starts), found, side="right")
        return spans, owners[found], tfs[found]

    def live_df(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """How many live chunks each posting span holds."""
        if not len(self.dead):
            return ends - starts
        return ends - starts - np.bincount(self.find(starts, ends, self.dead)[0], minlength=len(starts))

    # --- files ---------------------------------------------------------------------------------

    def store(self, folder: Path) -> Segment:
        """Write the arrays and the tombstones, where not written yet; return the segment memory-mapped
        from there. A segment file appears under its name only whole; ``save`` makes it durable."""
        folder.mkdir(parents=True, exist_ok=True)
        if not self.stored:
            staging = folder / f"{self.name}.tmp"
            with open(staging, "wb") as handle:
                _write_arrays(handle, {name: getattr(self, name) for name in _ARRAYS})
            staging.rename(folder / self.name)
        dead_file = self.dead_file
        if len(self.dead) and not dead_file:
            dead_file = f"{self.name}.dead-{_new_name()}.npy"
            with open(folder / dead_file, "wb") as handle:
                np.save(handle, self.dead, allow_pickle=False)
                _flush(handle)
        return Segment.read(folder, self.name, dead_file, self.ordered)

    @classmethod
    def read(cls, folder: Path, name: str, dead_file: str, ordered: bool = True) -> Segment:
        dead = np.load(folder / dead_file) if dead_file else _NO_SLOTS
        return cls(name, **_map_arrays(folder / name), dead=dead, dead_file=dead_file, stored=True, ordered=ordered)

    def files(self) -> set[str]:
        return {self.name, self.dead_file} - {""}


def collect(folder: Path, keep: set[str]) -> None:
    """Delete what no saved index names: merged-away segments, old tombstones, a killed write's leftovers,
    the files of the old single-bm25s format. Processes that mapped them keep their pages until they let go."""
    for entry in folder.iterdir():
        if entry.name not in keep:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def write_atomically(path: Path, text: str) -> None:
    """Make the folder's new files durable, then swap ``text`` in as ``path``: readers see the old or
    the new file whole, and after a power cut too it names only files that were written."""
    _sync_folder(path.parent)
    staging = path.with_name(path.name + ".tmp")
    with open(staging, "w", encoding="utf-8") as handle:
        handle.write(text)
        _flush(handle)
    os.replace(staging, path)
    _sync_folder(path.parent)


# One file per segment, so one fsync: a JSON header (each array's dtype, shape and offset) and the
# arrays at 64-byte boundaries, mapped with np.memmap. .npy files would take six files and six fsyncs.
_ALIGN = 64


def _write_arrays(handle: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    layout, offset = {}, 0
    for name, array in arrays.items():
        layout[name] = [array.dtype.str, array.shape[0], offset]
        offset += -(-array.nbytes // _ALIGN) * _ALIGN
    header = json.dumps(layout).encode()
    start = -(-(8 + len(header)) // _ALIGN) * _ALIGN
    handle.write(len(header).to_bytes(8, "little") + header)
    for name, array in arrays.items():
        handle.seek(start + layout[name][2])
        handle.write(np.ascontiguousarray(array).tobytes())
    handle.truncate(start + offset)
    _flush(handle)


def _map_arrays(path: Path) -> dict[str, np.ndarray]:
    with open(path, "rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        layout = json.loads(handle.read(size))
    start = -(-(8 + size) // _ALIGN) * _ALIGN
    return {
        name: np.memmap(path, dtype=dtype, mode="r", offset=start + offset, shape=(length,)).view(np.ndarray)
        if length else np.zeros(0, dtype)
        for name, (dtype, length, offset) in layout.items()
    }  # fmt: skip


def release(segments: Iterable[Segment]) -> None:
    """Unmap the pages searches read in from this process; the kernel's page cache keeps them (shared,
    reclaimable) for the next search. A process then holds no more of the index than one search reads."""
    for segment in segments:
        for name in _ARRAYS:
            base = getattr(segment, name).base
            while isinstance(base, np.ndarray):  # the view of an np.memmap, whose base is the mmap
                base = base.base
            if isinstance(base, mmap.mmap):
                base.madvise(mmap.MADV_DONTNEED)


def _flush(handle: IO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    """Make the renames and new files in ``folder`` survive a power cut, not only a kill."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _starts(counts: np.ndarray) -> np.ndarray:
    starts = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=starts[1:])
    return starts


def _order_postings(starts: np.ndarray, docs: np.ndarray, tfs: np.ndarray, block: int = 1 << 20) -> None:
    """Sort each term's postings by slot, in place, whole terms of about ``block`` postings at a time:
    temporaries stay a few MB however large the segment."""
    edges = np.unique(np.r_[np.searchsorted(starts, np.arange(0, starts[-1], block), side="right") - 1, len(starts) - 1])
    for first, last in zip(edges[:-1].tolist(), edges[1:].tolist()):
        span = slice(int(starts[first]), int(starts[last]))
        term = np.repeat(np.arange(last - first, dtype=np.uint64), np.diff(starts[first : last + 1]))
        order = np.argsort(term << np.uint64(32) | docs[span], kind="stable")
        docs[span], tfs[span] = docs[span][order], tfs[span][order]


def _new_name() -> str:
    return uuid.uuid4().hex[:16]
