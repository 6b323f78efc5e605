"""The exact top-k search (index/bm25_topk.py) against scoring every posting, bit for bit, and the
segment machinery it stands on: postings in slot order, tombstones counted by search or by reading,
the first on-disk format read and rewritten."""

import json
import random
from dataclasses import replace

import numpy as np
import pytest

import index.bm25
import index.bm25_topk
from index.bm25 import Bm25Index, tokenize
from index.bm25_topk import B, K1
from index.segments import Segment, id_keys, term_keys

# A Zipf-like pool of characters: a few in nearly every chunk (as 的 and 是 are), most in few, so the
# rare terms decide the top k and the common ones can be set aside.
POOL = "的是在年和了有人中国发展工作市区县镇村户籍口东华石龙虎门长安塘厦凤岗站捐赠书记街道社会保障医疗教育"


def zipf_text(rng: random.Random) -> str:
    return "".join(POOL[min(int(rng.paretovariate(0.8)) - 1, len(POOL) - 1)] for _ in range(rng.randint(0, 40)))


def changed_index(rng: random.Random, steps: int = 12) -> tuple[Bm25Index, dict[str, str]]:
    """An index of several segments, some merged, some with tombstones, and its live chunks."""
    live = {f"c{i:03d}": zipf_text(rng) for i in range(150)}
    bm25 = Bm25Index.build(list(live), list(live.values()))
    for step in range(steps):
        removed = rng.sample(sorted(live), rng.randint(0, 12))
        added = {rng.choice([f"n{step}-{j}", *live]): zipf_text(rng) for j in range(rng.randint(0, 30))}
        live = {i: t for i, t in live.items() if i not in removed} | added
        bm25 = bm25.updated(removed, added)
    return bm25, live


def every_posting_scored(bm25: Bm25Index, monkeypatch, *args) -> list[tuple[str, float]]:
    with monkeypatch.context() as patch:
        patch.setattr(index.bm25_topk, "FEW_POSTINGS", float("inf"))
        return bm25.search(*args)


def formula_scores(live: dict[str, str], query: str) -> dict[str, np.float32]:
    """Each live chunk's score by the formula, one chunk and one term at a time in plain Python, summed
    in the index's term order (sorted term keys): the float64 operations scoring every posting made."""
    tokens = {cid: tokenize(text) or [""] for cid, text in live.items()}
    keys, repeats = np.unique(term_keys(tokenize(query)), return_counts=True)
    counts = {cid: dict(zip(*(a.tolist() for a in np.unique(term_keys(t), return_counts=True)))) for cid, t in tokens.items()}
    df = np.array([sum(key in c for c in counts.values()) for key in keys.tolist()])
    weights = repeats * np.log(1 + (len(live) - df + 0.5) / (df + 0.5))
    average = sum(len(t) for t in tokens.values()) / len(live)
    scores = {}
    for cid, chunk in counts.items():
        total = 0.0
        for key, weight in zip(keys.tolist(), weights.tolist()):
            if tf := float(chunk.get(key, 0)):
                total += weight * tf / (tf + K1 * (1 - B) + (K1 * B / average) * len(tokens[cid]))
        scores[cid] = np.float32(total)
    return scores


@pytest.fixture
def pruning(monkeypatch):
    """Prune on the small test corpora too, and count the searches that did."""
    monkeypatch.setattr(index.bm25_topk, "FEW_POSTINGS", 0)
    calls = {"pruned": 0, "all": 0}
    scored_all = index.bm25_topk._all_scored

    def counted(*args):
        calls["all"] += 1
        return scored_all(*args)

    monkeypatch.setattr(index.bm25_topk, "_all_scored", counted)
    yield calls


@pytest.mark.parametrize("seed", range(3))
def test_the_top_k_are_those_of_scoring_every_posting_bit_for_bit(monkeypatch, pruning, seed):
    monkeypatch.setattr(index.bm25, "BATCH", 40)
    rng = random.Random(seed)
    bm25, live = changed_index(rng)
    assert len(bm25.segments) > 2 and any(len(s.dead) for s in bm25.segments)
    pruned = 0
    for _ in range(40):
        query = zipf_text(rng)[: rng.randint(1, 16)] + rng.choice(["", "户籍", "东华村", "社会保障"])
        k = rng.choice([1, 3, 10])
        allowed = set(rng.sample(sorted(live), len(live) // 2)) if rng.random() < 0.3 else None
        excluded = frozenset(rng.sample(sorted(live), len(live) // 5)) if rng.random() < 0.3 else frozenset()
        scored_all = pruning["all"]
        found = bm25.search(query, k, allowed, excluded)
        pruned += pruning["all"] == scored_all
        assert found == every_posting_scored(bm25, monkeypatch, query, k, allowed, excluded)
    assert pruned > 20  # most searches went the pruned way


def test_scores_are_the_formula_to_the_bit(pruning):
    rng = random.Random(7)
    bm25, live = changed_index(rng, steps=6)
    for query in ["东华村户籍人口", "的是在年", "社会保障和医疗教育工作", "石龙镇"]:
        expected = formula_scores(live, query)
        found = bm25.search(query, 5)
        assert [score for _, score in found] == sorted((float(s) for s in expected.values() if s > 0), reverse=True)[:5]
        assert all(np.float32(score) == expected[cid] for cid, score in found)
    assert pruning["all"] < 4


def test_one_segment_or_many_give_the_same_answers(monkeypatch, pruning):
    rng = random.Random(3)
    texts = {f"c{i:03d}": zipf_text(rng) for i in range(300)}
    one = Bm25Index.build(list(texts), list(texts.values()))
    monkeypatch.setattr(index.bm25, "BATCH", 17)
    monkeypatch.setattr(index.bm25, "TIER_BITS", 6)  # no merging
    many = Bm25Index.build(list(texts), list(texts.values()))
    assert len(one.segments) == 1 and len(many.segments) > 8
    for query in ["东华村户籍人口", "的是在年", "社会保障和医疗教育工作", "塘厦镇书记", "市区县"]:
        assert one.search(query, 10) == many.search(query, 10) != []


@pytest.mark.parametrize("query", ["", "？？，。", "深圳南山"])
def test_no_term_or_no_term_in_any_chunk_finds_nothing(pruning, query):
    bm25, _ = changed_index(random.Random(1), steps=3)
    assert bm25.search(query, 5) == []


def test_nothing_is_found_when_every_chunk_is_deleted_or_k_is_zero(pruning):
    bm25, live = changed_index(random.Random(2), steps=3)
    assert bm25.search("东华村户籍人口", 0) == []
    gone = bm25.updated(list(live), {})
    assert gone.ids() == [] and gone.search("东华村户籍人口", 5) == []


def test_a_filter_leaving_fewer_than_k_chunks_returns_them_all(pruning):
    bm25, live = changed_index(random.Random(4), steps=3)
    scores = formula_scores(live, "东华村户籍人口")
    allowed = {cid for cid, score in scores.items() if score > 0}
    allowed = set(sorted(allowed)[:3])
    found = bm25.search("东华村户籍人口", 10, allowed)
    assert {cid for cid, _ in found} == allowed


def postings_in_slot_order(segment: Segment) -> bool:
    ascending = segment.docs[1:] > segment.docs[:-1]
    ascending[segment.starts[1:-1] - 1] = True
    return bool(ascending.all())


def test_merged_segments_keep_each_terms_postings_in_slot_order(monkeypatch):
    monkeypatch.setattr(index.bm25, "BATCH", 5)
    rng = random.Random(5)
    # ids interleave across batches, so a merge must reorder postings
    texts = {f"c{rng.randrange(10**6):06d}": zipf_text(rng) for _ in range(200)}
    bm25 = Bm25Index.build(list(texts), list(texts.values()))
    merged = [s for s in bm25.segments if s.live_count > 5]
    assert merged and all(postings_in_slot_order(s) and s.ordered for s in bm25.segments)


@pytest.mark.parametrize("dead", [1, 60])  # searched for in the spans / found by reading them
def test_live_document_frequencies_leave_out_tombstoned_chunks(dead):
    rng = random.Random(dead)
    chunks = [(f"c{i:03d}", tokenize(zipf_text(rng)) or [""]) for i in range(200)]
    segment = Segment.build(chunks).without(id_keys(rng.sample([cid for cid, _ in chunks], dead)))
    keys = np.unique(term_keys(tokenize(POOL)))
    held, starts, ends = segment.spans(keys)
    expected = [int(segment.live[segment.docs[a:b]].sum()) for a, b in zip(starts, ends)]
    assert segment.live_df(starts, ends).tolist() == expected


@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("wanted", [1, 150])  # searched for in the spans / found by reading them
def test_find_gives_each_chunks_postings_by_search_or_by_reading(ordered, wanted):
    rng = random.Random(wanted)
    chunks = [(f"c{i:03d}", tokenize(zipf_text(rng)) or [""]) for i in range(200)]
    segment = replace(Segment.build(chunks), ordered=ordered)
    keys = np.unique(term_keys(tokenize(POOL)))
    _, starts, ends = segment.spans(keys)
    slots = np.sort(np.array(rng.sample(range(200), wanted)))
    spans, owners, tfs = segment.find(starts, ends, slots)
    expected = [(span, owner, int(segment.tfs[a + at]))
                for span, (a, b) in enumerate(zip(starts, ends)) for owner, slot in enumerate(slots)
                for at in np.flatnonzero(segment.docs[a:b] == slot)]  # fmt: skip
    assert list(zip(spans.tolist(), owners.tolist(), tfs.tolist())) == expected


def test_find_searches_one_chunk_in_every_span_without_reading_into_the_next():
    """One chunk at a time (searched for): a chunk past a span's last posting is not taken from the
    span after it."""
    rng = random.Random(8)
    chunks = [(f"c{i:03d}", tokenize(zipf_text(rng)) or [""]) for i in range(200)]
    segment = Segment.build(chunks)
    _, starts, ends = segment.spans(np.unique(term_keys(tokenize(POOL))))
    every = segment.find(starts, ends, np.arange(200))  # read
    for slot in range(200):
        spans, owners, tfs = segment.find(starts, ends, np.array([slot]))
        mine = every[1] == slot
        assert (spans.tolist(), tfs.tolist()) == (every[0][mine].tolist(), every[2][mine].tolist())


def write_first_format(folder, segments: tuple[Segment, ...], version: str) -> None:
    """A folder as the first segment format saved it: its manifest says format 1."""
    stored = [s.store(folder) for s in segments]
    manifest = {"format": 1, "version": version, "segments": [[s.name, s.dead_file] for s in stored]}
    (folder / "segments.json").write_text(json.dumps(manifest), encoding="utf-8")


def shuffled_within_terms(segment: Segment, rng: np.random.Generator) -> Segment:
    """The segment with each term's postings out of slot order, as the first format's merges left them."""
    order = np.concatenate([a + rng.permutation(b - a) for a, b in zip(segment.starts[:-1], segment.starts[1:])])
    return replace(segment, docs=segment.docs[order], tfs=segment.tfs[order])


def test_a_library_of_the_first_format_answers_the_same_and_is_rewritten_in_order(tmp_path, pruning):
    rng = random.Random(6)
    bm25, live = changed_index(rng, steps=4)
    folder = tmp_path / "bm25"
    folder.mkdir()
    first, *rest = bm25.segments
    unordered = shuffled_within_terms(first, np.random.default_rng(0))
    assert not postings_in_slot_order(unordered)
    write_first_format(folder, (unordered, *rest), "v1")
    old = Bm25Index.load(folder)
    assert old.version == "v1" and not any(s.ordered for s in old.segments)
    for query in ["东华村户籍人口", "的是在年", "社会保障和医疗教育工作"]:
        assert old.search(query, 5) == bm25.search(query, 5) != []
    kept = {s.name for s in rest}
    saved = old.save(folder, "v2")
    manifest = json.loads((folder / "segments.json").read_text(encoding="utf-8"))
    assert manifest["format"] == 2
    again = Bm25Index.load(folder)
    assert all(s.ordered and postings_in_slot_order(s) for s in again.segments)
    assert kept <= {s.name for s in again.segments}  # segments already in order are kept as they are
    assert unordered.name not in {s.name for s in again.segments}
    assert sorted(again.ids()) == sorted(live) and saved.version == again.version == "v2"
    for query in ["东华村户籍人口", "的是在年", "社会保障和医疗教育工作"]:
        assert again.search(query, 5) == bm25.search(query, 5)
