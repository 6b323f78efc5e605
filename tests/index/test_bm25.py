import json
import os
import random
import signal
import time

import bm25s
import numpy as np
import pytest

import index.bm25
from index.bm25 import Bm25Index, tokenize

# Latin and digit runs beside each other make bigrams that equal unigrams ("ab c" gives "abc"),
# punctuation-only texts have no token at all: bm25s's handling of both must be kept.
ALPHABET = list("东华村户籍人口有多少的是了，。 ") + ["ab", "c", "1", "2.5%", "x "]


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 25)))


def reference_scores(live: dict[str, str], query: str) -> dict[str, float]:
    """What a fresh bm25s build of the live chunks gives, built as the index was before (default BM25())."""
    ids = sorted(live)
    model = bm25s.BM25()
    model.index([tokenize(live[i]) or [""] for i in ids], show_progress=False)
    scores = model.get_scores(tokenize(query))
    return {cid: float(score) for cid, score in zip(ids, scores) if score > 0}


def assert_scores_like_bm25s(index: Bm25Index, live: dict[str, str], rng: random.Random) -> None:
    assert sorted(index.ids()) == sorted(live)
    for _ in range(5):
        query = random_text(rng) or "户籍"
        if not tokenize(query):
            continue
        expected = reference_scores(live, query)
        found = dict(index.search(query, len(live) + 1))
        assert found.keys() == expected.keys()
        assert np.allclose([found[i] for i in expected], list(expected.values()), rtol=1e-5, atol=0)
        top = index.search(query, 3)
        best = sorted(expected.values(), reverse=True)[:3]
        assert np.allclose([score for _, score in top], best, rtol=1e-5, atol=0)
        assert [score for _, score in top] == sorted((score for _, score in top), reverse=True)
        allowed = set(rng.sample(sorted(live), len(live) // 2)) | {"no-such-chunk-with-a-long-id"}
        excluded = frozenset(rng.sample(sorted(live), len(live) // 4))
        kept = {i: s for i, s in expected.items() if i in allowed and i not in excluded}
        assert dict(index.search(query, len(live) + 1, allowed, excluded)).keys() == kept.keys()


@pytest.mark.parametrize("seed", range(4))
def test_adds_and_deletes_score_like_a_fresh_bm25s_build_of_the_live_chunks(tmp_path, monkeypatch, seed):
    """Random corpora changed step by step (new chunks, new text for old ids, deletions; saved and
    loaded, in memory or on disk, segments merged): every score as bm25s gives on what survives."""
    monkeypatch.setattr(index.bm25, "BATCH", 7)  # several segments per build
    rng = random.Random(seed)
    live = {f"c{i}": random_text(rng) for i in range(40)}
    bm25 = Bm25Index.build(list(live), list(live.values()))
    folder = tmp_path / "bm25"
    for step in range(30):
        removed = rng.sample(sorted(live), min(len(live), rng.randint(0, 4)))
        added = {rng.choice([f"n{step}-{j}", *live]): random_text(rng) for j in range(rng.randint(0, 12))}
        live = {i: t for i, t in live.items() if i not in removed} | added
        bm25 = bm25.updated(removed, added, folder if step % 2 else None)
        if step % 5 == 4:
            bm25.save(folder, f"v{step}")
            bm25 = Bm25Index.load(folder)
            assert bm25.version == f"v{step}"
        assert_scores_like_bm25s(bm25, live, rng)
    assert len(bm25.segments) < 20  # merged as they piled up
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp")) == []


def test_a_chunk_deleted_everywhere_leaves_no_trace():
    bm25 = Bm25Index.build(["a", "b"], ["东华村", "户籍"]).updated(["a", "b"], {})
    assert bm25.ids() == [] and bm25.search("东华村", 5) == []
    again = bm25.updated([], {"a": "户籍人口"})
    assert again.search("户籍", 5) == [("a", pytest.approx(reference_scores({"a": "户籍人口"}, "户籍")["a"]))]


def test_tokens_are_characters_number_runs_and_their_bigrams():
    tokens = tokenize("户籍人口1867人，增长42.86%")
    assert {"户", "籍", "户籍", "1867", "1867人", "42.86%"} <= set(tokens)
    assert "，" not in "".join(tokens)


def test_search_ranks_the_matching_chunk_first_and_respects_allowed_ids():
    index = Bm25Index.build(
        ["donghua", "donation", "dongcheng"],
        ["东华村户籍人口1867人", "市捐赠站站长吴木蔚", "东城街道社区党组织书记"],
    )
    assert index.search("东华村户籍人口有多少", 3)[0][0] == "donghua"
    assert index.search("捐赠站站长是谁", 3)[0][0] == "donation"
    assert [cid for cid, _ in index.search("东华村户籍人口", 3, allowed={"dongcheng"})] == ["dongcheng"]


def test_no_match_gives_no_hits():
    index = Bm25Index.build(["a"], ["东华村户籍人口"])
    assert index.search("深圳南山", 5) == []
    assert index.search("？？", 5) == []


def test_saved_index_answers_like_the_original(tmp_path):
    index = Bm25Index.build(["a", "b"], ["东华村户籍人口", "市捐赠站站长"])
    index.save(tmp_path / "bm25", "v1")
    loaded = Bm25Index.load(tmp_path / "bm25")
    assert loaded.version == Bm25Index.saved_version(tmp_path / "bm25") == "v1"
    assert loaded.search("站长", 2) == index.search("站长", 2) != []


def test_missing_folder_loads_as_empty_index(tmp_path):
    assert Bm25Index.load(tmp_path / "nothing").search("东华村", 5) == []


def test_a_folder_of_the_old_bm25s_format_loads_as_no_index_and_is_replaced(tmp_path):
    folder = tmp_path / "bm25"
    old = bm25s.BM25()
    old.index([tokenize("东华村户籍人口")], show_progress=False)
    old.save(str(folder), show_progress=False)  # as index/bm25.py wrote it before segments
    (folder / "ids.json").write_text(json.dumps(["a"]), encoding="utf-8")
    (folder / "version.txt").write_text("v1", encoding="utf-8")
    assert Bm25Index.load(folder).version == Bm25Index.saved_version(folder) == ""
    Bm25Index.build(["b"], ["市捐赠站站长"]).save(folder, "v2")
    loaded = Bm25Index.load(folder)
    assert loaded.ids() == ["b"] and loaded.version == "v2"
    assert not {"ids.json", "version.txt", "params.index.json"} & {p.name for p in folder.iterdir()}


def test_a_save_killed_at_any_moment_leaves_the_old_index_or_the_new_one(tmp_path):
    """A child process saves a run of changes (new segments, tombstones, merges) and is SIGKILLed at
    a random moment: the folder then holds exactly the chunks of one of the versions it saved."""
    rng = random.Random(5)
    first = {f"c{i}": random_text(rng) for i in range(40)}
    live, steps, expected = dict(first), [], {"": set()}
    for number in range(30):
        removed = rng.sample(sorted(live), 2)
        added = {f"n{number}-{j}": random_text(rng) for j in range(3)}
        live = {i: t for i, t in live.items() if i not in removed} | added
        steps.append((removed, added))
        expected[f"v{number}"] = set(live)
    seconds, cut_short = None, 0
    for trial in range(6):
        folder = tmp_path / f"trial-{trial}"
        pid = os.fork()
        if pid == 0:  # the child saves every step, then exits without running the parent's cleanup
            bm25 = Bm25Index.build(list(first), list(first.values()))
            for number, (removed, added) in enumerate(steps):
                bm25 = bm25.updated(removed, added, folder).save(folder, f"v{number}")
            os._exit(0)
        started = time.perf_counter()
        if seconds is not None:  # the first trial runs to its end, to time the others' kills
            time.sleep(random.Random(trial).uniform(0, seconds))
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        seconds = seconds or time.perf_counter() - started
        loaded = Bm25Index.load(folder)
        assert set(loaded.ids()) == expected[loaded.version], trial
        assert trial or loaded.version == "v29"
        cut_short += loaded.version != "v29"
        assert all(score > 0 for _, score in loaded.search("户籍人口", 5))
    assert cut_short >= 3  # most kills landed inside the run
