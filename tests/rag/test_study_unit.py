"""Study packs on the hash-embedded sample index: whole articles read back in order, topics kept
within the chosen articles."""

from __future__ import annotations

import pytest

from index.search import SearchFilter
from policyqa.factory import build_retriever
from rag.retrieve import HybridRetriever
from rag.study import build_study_pack
from tests.rag.test_study import NO_LIBRARY, assert_sound

DONGHUA = "002_258a9ff317ac8ce5#1"
DONATION = "002_258a9ff317ac8ce5#2"
DONGQU = "003_2a15d0c01b2107ed"


class _NoRetriever:
    """A Retriever for packs on whole articles, which never search."""

    def retrieve(self, question: str, search_filter: SearchFilter | None = None, k: int | None = None) -> list:
        raise AssertionError("a pack on whole articles must not search")


@pytest.fixture(scope="module")
def retriever(fake_index) -> HybridRetriever:
    return build_retriever(fake_index.settings, fake_index.store)


def test_a_pack_on_one_whole_article_uses_only_it_in_reading_order(fake_index):
    pack = build_study_pack("", _NoRetriever(), fake_index.store, fake_index.settings.prompts_dir, doc_ids=[DONGHUA])

    assert_sound(pack)
    assert pack.sources and {c.doc_id for c in pack.sources} == {DONGHUA}
    starts = [c.start for c in pack.sources]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    stored = {c.chunk_id: c.text for c in fake_index.store.chunks_of([DONGHUA])}
    assert all(stored[c.chunk_id] == c.text for c in pack.sources)
    assert pack.topic == "增城区新塘镇东华村：党建引领城中村治理发展新格局"
    assert len(pack.key_points) >= 3 and pack.figures and pack.quiz


def test_a_pack_on_two_articles_numbers_them_in_the_order_chosen(fake_index):
    chosen = [DONATION, DONGHUA]
    pack = build_study_pack("", _NoRetriever(), fake_index.store, fake_index.settings.prompts_dir, doc_ids=chosen)

    assert_sound(pack)
    doc_ids = [c.doc_id for c in pack.sources]
    assert list(dict.fromkeys(doc_ids)) == chosen  # each article one run of numbers, as chosen
    for doc_id in chosen:
        starts = [c.start for c in pack.sources if c.doc_id == doc_id]
        assert starts == sorted(starts)


@pytest.mark.parametrize("topic", ["基层党建", "网格化治理"])
def test_a_topic_pack_within_articles_stays_in_them(fake_index, retriever, topic):
    prompts = fake_index.settings.prompts_dir
    everywhere = build_study_pack(topic, retriever, NO_LIBRARY, prompts)
    assert {c.doc_id for c in everywhere.sources} - {DONGHUA, DONATION}, "the limit must change something"

    pack = build_study_pack(topic, retriever, NO_LIBRARY, prompts, doc_ids=[DONGHUA, DONATION])
    assert_sound(pack)
    assert pack.sources and {c.doc_id for c in pack.sources} <= {DONGHUA, DONATION}
    assert pack.topic == topic


def test_a_topic_pack_on_articles_without_it_is_empty(fake_index, retriever):
    pack = build_study_pack("深圳市南山区", retriever, NO_LIBRARY, fake_index.settings.prompts_dir, doc_ids=["no-such-doc"])
    assert not pack.sources and not pack.key_points and not pack.quiz
