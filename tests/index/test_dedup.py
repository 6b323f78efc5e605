import json
import os
import random
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from langchain_core.documents import Document

from bench.signature import datasketch_default
from index.catalog import Catalog
from index.dedup import NUM_PERM, NearDuplicates, signature
from tests.conftest import REPO

XWLB = REPO.parent / "shared" / "corpus" / "xwlb"
THRESHOLD = 0.8

STORY = (
    "东华村位于增城区新塘镇中心，区位优势较好、交通便利，是个典型的城郊融合的城中村。"
    "全村总面积约1.5平方公里，由4个经济合作社组成。截至2023年1月，全村户籍人口1867人，外来人员约8500人。"
)
OTHER = "市捐赠站党支部组织开展主题党日活动，通过集中学习、专题党课、座谈交流，让全站退休党员和在职党员共同接受了一次深刻的思想教育。"


def stored(tmp_path: Path, articles: dict[str, tuple[str | None, np.ndarray]]) -> Catalog:
    """A catalog holding ``articles`` (doc_id -> (canonical or None, MinHash values)), one file each."""
    catalog = Catalog(tmp_path / "catalog.sqlite", THRESHOLD)
    for doc_id, (canonical, values) in articles.items():
        doc = Document(page_content="", metadata={"doc_id": doc_id, "canonical_doc_id": canonical})
        catalog.replace_file(f"/{doc_id}", "h", doc_id, [doc], [values])
    return catalog


def test_a_repost_with_extra_lines_links_to_the_canonical_article(tmp_path):
    dupes = NearDuplicates(stored(tmp_path, {"orig": (None, signature(STORY))}), THRESHOLD)
    assert dupes.canonical_for("repost", signature("转载：" + STORY + "（来源：某网）")) == "orig"


def test_an_unrelated_article_and_the_article_itself_are_not_copies(tmp_path):
    dupes = NearDuplicates(stored(tmp_path, {"orig": (None, signature(STORY))}), THRESHOLD)
    assert dupes.canonical_for("other", signature(OTHER)) is None
    assert dupes.canonical_for("orig", signature(STORY)) is None


def test_a_copy_of_a_copy_points_to_the_first_canonical(tmp_path):
    catalog = stored(tmp_path, {"orig": (None, signature(STORY)), "copy": ("orig", signature(STORY + "。"))})
    assert NearDuplicates(catalog, THRESHOLD).canonical_for("third", signature(STORY + "！")) == "orig"


def test_the_articles_of_the_file_being_read_are_found_and_stand_in_for_their_stored_versions(tmp_path):
    dupes = NearDuplicates(stored(tmp_path, {"orig": (None, signature(STORY))}), THRESHOLD)
    dupes.add("orig", "orig", signature(OTHER))  # the file now has other text under this id
    dupes.add("first", "first", signature(STORY + "！"))
    assert dupes.canonical_for("third", signature(STORY + "。")) == "first"
    assert dupes.canonical_for("fourth", signature(OTHER + "。")) == "orig"


def _mutated(rng: random.Random, values: np.ndarray) -> np.ndarray:
    """``values`` with a random number of positions redrawn: from no band changed to every band."""
    out = values.copy()
    for i in rng.sample(range(NUM_PERM), rng.choice([0, 1, 4, 16, 40, 80, NUM_PERM])):
        out[i] = rng.getrandbits(32)
    return out


def _random_signatures(rng: random.Random, originals: int) -> list[np.ndarray]:
    bases = [np.array([rng.getrandbits(32) for _ in range(NUM_PERM)], dtype=np.uint64) for _ in range(originals)]
    return bases + [_mutated(rng, rng.choice(bases)) for _ in range(4 * originals)]


def _news(name: str, articles: int) -> list[str]:
    """The first texts of a CCTV news file of ../shared; on CI a missing corpus fails, elsewhere it skips."""
    if not XWLB.exists():
        message = f"the CCTV news corpus is not at {XWLB}"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    with (XWLB / name).open(encoding="utf-8") as lines:
        return [json.loads(line)["text"] for line, _ in zip(lines, range(articles))]


def _corpus_signatures(rng: random.Random, articles: int) -> list[np.ndarray]:
    """Signatures of real news articles, and of copies of some of them cut or added to."""
    texts = _news("docs-00.jsonl", articles)
    edits = [lambda t: t[: len(t) * 9 // 10], lambda t: "转载：" + t, lambda t: t[len(t) // 3 :], lambda t: t + "。"]
    copies = [rng.choice(edits)(rng.choice(texts)) for _ in range(articles // 2)]
    return [signature(text) for text in texts + copies]


@pytest.mark.parametrize("make", [_random_signatures, _corpus_signatures])
def test_candidates_are_exactly_what_datasketchs_lsh_returns(tmp_path, make):
    rng = random.Random(7)
    signatures = make(rng, 300)
    rng.shuffle(signatures)
    cut, end = len(signatures) * 6 // 10, len(signatures) * 3 // 4
    held, pending, queries = signatures[:cut], signatures[cut:end], signatures[end:]
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    catalog = stored(tmp_path, {f"s{i}": (None, values) for i, values in enumerate(held)})
    dupes = NearDuplicates(catalog, THRESHOLD)
    for i, values in enumerate(held):
        lsh.insert(f"s{i}", _minhash(values))
    for i, values in enumerate(pending):  # half of them new versions of held articles
        doc_id = f"s{i}" if i % 2 else f"p{i}"
        dupes.add(doc_id, doc_id, values)
        if doc_id in lsh.keys:
            lsh.remove(doc_id)
        lsh.insert(doc_id, _minhash(values))
    found = [set(dupes.candidates(values)) for values in queries]
    assert found == [set(lsh.query(_minhash(values))) for values in queries]
    assert sum(map(bool, found)) > len(queries) // 4  # many queries have candidates, some several
    assert max(map(len, found)) > 1


def _minhash(values: np.ndarray) -> MinHash:
    return MinHash(num_perm=NUM_PERM, hashvalues=values, scheme="affine32")


def test_signatures_are_bit_identical_to_datasketchs_own_hashing():
    texts = ["", "短", STORY, OTHER, "Policy 2023年 第1号。" * 40, *_news("docs-01.jsonl", 200)]
    for text in texts:
        assert np.array_equal(signature(text), datasketch_default(text)), text[:20]


def test_bigram_jaccard_is_one_for_a_repeat_and_zero_for_unrelated_text():
    from index.text.similarity import bigram_jaccard

    assert bigram_jaccard(STORY, STORY) == 1.0
    assert bigram_jaccard(STORY, "甲乙丙丁") == 0.0
    assert 0.6 < bigram_jaccard(STORY, "转载：" + STORY) < 1.0
    assert bigram_jaccard("", STORY) == 0.0
