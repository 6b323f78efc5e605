"""The k best chunks of a BM25 query over segments, without scoring every posting (MaxScore, vectorised).

A chunk's score is a sum over the query's terms of weight * tf / (tf + k1 * norm), each summand under
its term's weight (idf times the term's repeats in the query). So:
1. the rarest terms (short posting lists) are scored for every chunk they hold, and the k chunks
   best on them are scored in full: the k-th of those full scores is a floor for the answer;
2. the commonest terms (的, 年, 是: most of a Chinese query's postings) whose weights sum to at most
   a share of that floor are set aside, and every other term is scored for every chunk it holds;
3. a chunk can reach the floor only if that partial score plus the set-aside weights does: those
   few are scored in full, each term looked up by binary search in its posting list.
Every full score is computed as scoring every posting computes it: the same float64 operations,
summed over the terms in the same (key) order, rounded to float32. So scores and ties are bit for
bit those of a full pass, however a chunk was reached.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.segments import Segment

K1, B = 1.5, 0.75  # bm25s's defaults, which the fitted answerability model has seen
MARGIN = 1e-6  # relative slack in every bound: float64 sums and the float32 cast move a score by far less
FIRST_SHARE = 1 / 32  # step 1 reads at most this share of the query's postings (at least one term)
SET_ASIDE = 0.5  # step 2 sets aside common terms whose weights sum to at most this share of the floor
FEW_POSTINGS = 100_000  # below this many (about 20k chunks), scoring them all costs less than the steps


@dataclass(frozen=True)
class Part:
    """One segment as a query sees it."""

    segment: Segment
    held: np.ndarray  # positions in the query's terms of the terms this segment holds, ascending
    starts: np.ndarray  # where those terms' postings start in the segment
    ends: np.ndarray  # and end
    eligible: np.ndarray  # per slot: live, allowed and not excluded


def best(parts: list[Part], weights: np.ndarray, average: float, k: int) -> list[tuple[float, str]]:
    """(negated score, chunk id) of the ``k`` best chunks with a positive score, and of any tied with the
    k-th or found on the way: sorting and cutting at ``k`` gives the answer."""
    postings = np.zeros(len(weights), np.int64)
    for p in parts:
        postings[p.held] += p.ends - p.starts
    rare_first = np.argsort(-weights, kind="stable")
    reach = np.cumsum(postings[rare_first])
    if reach[-1] < FEW_POSTINGS:
        return _all_scored(parts, weights, average, k)
    first = max(1, int(np.searchsorted(reach, reach[-1] * FIRST_SHARE, side="right")))
    scored = np.zeros(len(weights), bool)
    scored[rare_first[:first]] = True
    partial = [_summed(p, scored, weights, average) for p in parts]
    floor = _floor(parts, partial, weights, average, k)
    ceilings = np.cumsum(weights[rare_first[::-1]])[: len(weights) - first]  # the commonest terms, one more at a time
    aside = int(np.searchsorted(ceilings, SET_ASIDE * floor, side="right"))
    if not aside:
        return _all_scored(parts, weights, average, k)
    more = ~scored
    more[rare_first[::-1][:aside]] = False
    if more.any():
        partial = [s + _summed(p, more, weights, average) for p, s in zip(parts, partial)]
    reachable = floor * (1 - MARGIN) - ceilings[aside - 1]
    survivors = [np.flatnonzero(p.eligible & (s >= reachable)) for p, s in zip(parts, partial)]
    found = []
    for p, slots in zip(parts, survivors):
        scores = _exact(p, slots, weights, average)
        best_of_part = top_slots(scores, k)
        found += _hits(p, slots[best_of_part], scores[best_of_part])
    return found


def _floor(parts: list[Part], partial: list[np.ndarray], weights: np.ndarray, average: float, k: int) -> float:
    """The k-th best full score among the k eligible chunks with the best partial scores (and any tied
    with them); 0 when fewer than k chunks have a partial score."""
    leaders = []
    for p, s in zip(parts, partial):
        slots = np.flatnonzero(p.eligible & (s > 0))
        leaders.append(slots[np.argpartition(s[slots], len(slots) - k)[len(slots) - k :]] if len(slots) > k else slots)
    values = np.concatenate([s[slots] for s, slots in zip(partial, leaders)])
    if len(values) < k:
        return 0.0
    cut = np.partition(values, len(values) - k)[len(values) - k]
    full = [_exact(p, slots[s[slots] >= cut], weights, average) for p, s, slots in zip(parts, partial, leaders)]
    scores = np.concatenate(full)
    return float(np.partition(scores, len(scores) - k)[len(scores) - k])


def _all_scored(parts: list[Part], weights: np.ndarray, average: float, k: int) -> list[tuple[float, str]]:
    every = np.ones(len(weights), bool)
    found = []
    for p in parts:
        scores = _summed(p, every, weights, average).astype(np.float32)
        scores[~p.eligible] = 0
        slots = top_slots(scores, k)
        found += _hits(p, slots, scores[slots])
    return found


def _hits(part: Part, slots: np.ndarray, scores: np.ndarray) -> list[tuple[float, str]]:
    """(negated score, id) of these slots with a positive score (one per slot)."""
    return [(-float(v), part.segment.ids[i].decode()) for i, v in zip(slots.tolist(), scores.tolist()) if v > 0]


def _summed(part: Part, terms: np.ndarray, weights: np.ndarray, average: float) -> np.ndarray:
    """Each slot's sum over the postings of these terms (a mask over the query's terms), in term order."""
    chosen = terms[part.held]
    starts, ends = part.starts[chosen], part.ends[chosen]
    docs, tfs = part.segment.gather(starts, ends)
    term_weights = np.repeat(weights[part.held[chosen]], ends - starts)
    summands = _summands(term_weights, tfs, part.segment.lengths[docs], average)
    return np.bincount(docs, weights=summands, minlength=len(part.eligible))


def _exact(part: Part, slots: np.ndarray, weights: np.ndarray, average: float) -> np.ndarray:
    """The float32 scores of these slots, summed over every term in term order as ``_summed`` sums them."""
    if not len(slots):
        return np.zeros(0, np.float32)
    terms, owners, tfs = part.segment.find(part.starts, part.ends, slots)
    summands = _summands(weights[part.held[terms]], tfs, part.segment.lengths[slots[owners]], average)
    return np.bincount(owners, weights=summands, minlength=len(slots)).astype(np.float32)


def _summands(term_weights: np.ndarray, tfs: np.ndarray, lengths: np.ndarray, average: float) -> np.ndarray:
    """idf * tf / (tf + k1 * (1 - b + b * length / average)) per posting, in float64."""
    tf = tfs.astype(np.float64)
    summands = term_weights * tf
    norms = lengths * (K1 * B / average)  # in place from here: fewer temporaries of this size
    tf += K1 * (1 - B)
    norms += tf
    summands /= norms
    return summands


def top_slots(scores: np.ndarray, k: int) -> np.ndarray:
    """Slots of the ``k`` best positive scores, and of any tied with the k-th."""
    found = np.flatnonzero(scores > 0)
    if len(found) > k:
        kth = np.partition(scores[found], len(found) - k)[len(found) - k]
        found = found[scores[found] >= kth]
    return found
