"""Study packs: extractive on given chunks and on the real sample index, and the LLM path
against the fake OpenAI server."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

import docx
import pytest

from core.settings import Settings
from rag.llm import build_chat_model
from index.search import SearchFilter
from policyqa.factory import build_retriever
from rag.study import BLANK, KeyFigure, StudyPack, build_study_pack
from rag.types import RetrievedChunk, Retriever
from tests.rag.conftest import as_hits, make_chunk
from tests.rag.fake_openai import FakeOpenAI

CENSUS = "截至2023年1月,全村户籍人口1867人,外来人员约8500人。"
MEMBERS = "村内在册党员118人(含回村报到的流动党员),村民代表46人。"
GRID = "东华村共设置了7个综合网格,配备了7名专职网格员,另有兼职网格员逾30人。"
MODEL = "初步探索形成“强基治理、精准治理、平安治理、智慧治理、长效治理”的东华村“五治”工作模式。"
PAIRING = "结对以来,形成“村(社)点单、单位接单”互助模式,协力推进城中村治理工作。"
DONGHUA = "002_258a9ff317ac8ce5#1"


class _NoLibrary:
    """A ChunkSource for packs on a topic, which never read whole articles."""

    def chunks_of(self, doc_ids: list[str]) -> list:
        raise AssertionError("a topic pack must not read whole articles")


NO_LIBRARY = _NoLibrary()


@dataclass
class FixedRetriever:
    """A rag.types.Retriever giving the same hits for every topic."""

    hits: list[RetrievedChunk]
    settings: Settings

    def pack(self, topic: str, **options) -> StudyPack:
        return build_study_pack(topic, self, NO_LIBRARY, self.settings.prompts_dir, **options)

    def retrieve(self, question: str, search_filter: SearchFilter | None = None, k: int | None = None):
        return self.hits[:k]


@pytest.fixture
def donghua() -> FixedRetriever:
    chunks = [
        make_chunk(f"{CENSUS}{MEMBERS}{GRID}", doc_id="donghua", title="东华村背景资料", date="2023-06-01"),
        make_chunk(f"{MODEL}{PAIRING}", doc_id="donghua", title="东华村背景资料", date="2023-06-01"),
    ]
    return FixedRetriever(as_hits(chunks), Settings())


def assert_sound(pack: StudyPack) -> None:
    """What every pack promises, whatever it is about."""
    assert [c.n for c in pack.sources] == list(range(1, len(pack.sources) + 1))
    for point in pack.key_points:
        assert point.text in pack.sources[point.n - 1].text
    for figure in pack.figures:
        assert figure.number in pack.sources[figure.n - 1].text
        assert figure.what
    assert 5 <= len(pack.discussion) <= 10
    assert len(set(pack.discussion)) == len(pack.discussion)
    for item in pack.quiz:
        assert item.answer in item.sentence
        assert item.sentence in pack.sources[item.n - 1].text
        assert item.sentence.replace(item.answer, BLANK, 1) in item.stem
        if item.kind == "choice":
            assert item.options.count(item.answer) == 1
            assert len(set(item.options)) == len(item.options) >= 3
        else:
            assert item.kind == "blank" and not item.options


# --- on given chunks ---------------------------------------------------------------------


def test_figures_say_what_they_count(donghua):
    pack = donghua.pack("东华村")

    assert_sound(pack)
    assert KeyFigure("1867人", "全村户籍人口", 1) in pack.figures
    assert KeyFigure("8500人", "外来人员", 1) in pack.figures
    assert KeyFigure("7个", "综合网格", 1) in pack.figures
    assert "2023" not in {f.number for f in pack.figures}  # a date is not a figure


def test_quiz_blanks_numbers_and_phrases_and_offers_only_source_values(donghua):
    pack = donghua.pack("东华村")
    written = "".join(hit.chunk.text for hit in donghua.hits)

    assert {item.kind for item in pack.quiz} == {"choice", "blank"}
    assert {"五治", "1867"} <= {item.answer for item in pack.quiz}
    assert len({item.answer for item in pack.quiz}) == len(pack.quiz)  # nothing asked twice
    for item in pack.quiz:
        assert all(option in written for option in item.options)  # never invented


def test_choice_options_are_of_the_answers_kind(donghua):
    pack = donghua.pack("东华村")
    choices = [i for i in pack.quiz if i.kind == "choice"]

    assert choices
    for item in choices:
        if item.answer.isdigit():
            assert all(option.isdigit() for option in item.options)
        else:
            assert not any(option.isdigit() for option in item.options)


def test_the_same_sources_give_the_same_pack(donghua):
    assert donghua.pack("东华村") == donghua.pack("东华村")


def test_sources_quote_the_sentences_the_pack_uses(donghua):
    pack = donghua.pack("东华村")
    used = {p.text for p in pack.key_points} | {q.sentence for q in pack.quiz}

    quoted = {line for c in pack.sources for line in c.quote.splitlines()}
    assert used and used <= quoted


def test_quiz_stems_come_from_the_configured_prompts_folder(donghua, edited_prompts):
    settings = edited_prompts("study_quiz_choice", "选一选：{sentence}")
    pack = FixedRetriever(donghua.hits, settings).pack("东华村")

    choices = [item for item in pack.quiz if item.kind == "choice"]
    assert choices and all(item.stem.startswith("选一选：") for item in choices)


def test_nothing_retrieved_gives_an_empty_pack():
    pack = FixedRetriever([], Settings()).pack("深圳")

    assert not (pack.sources or pack.key_points or pack.figures or pack.quiz)


# --- the LLM writes the discussion -------------------------------------------------------

QUESTIONS = [
    "1. 东华村“五治”工作模式对本单位有什么启发？",
    "2、如何借鉴“村(社)点单、单位接单”互助模式？",
    "- 网格化治理怎样更好服务外来人员？",
    "如何发挥党员在城中村治理中的作用？",
    "结合实际，谈谈强基治理的做法。",
    "东华村“六治”模式有何特点？",  # a phrase the sources do not have
    "东华村9000名外来人员如何管理？",  # a number the sources do not have
]


def llm_for(fake: FakeOpenAI):
    return build_chat_model(Settings(openai_base_url=fake.base_url, openai_model="fake-qwen"), streaming=False)


def test_llm_questions_replace_the_templates_when_grounded(donghua):
    with FakeOpenAI(replies=["\n".join(QUESTIONS)]) as fake:
        pack = donghua.pack("城中村治理", llm=llm_for(fake))

    assert pack.discussion == [
        "东华村“五治”工作模式对本单位有什么启发？",
        "如何借鉴“村(社)点单、单位接单”互助模式？",
        "网格化治理怎样更好服务外来人员？",
        "如何发挥党员在城中村治理中的作用？",
        "结合实际，谈谈强基治理的做法。",
    ]
    sent = {m["role"]: m["content"] for m in fake.requests[0]["messages"]}
    assert "城中村治理" in sent["user"] and CENSUS in sent["user"]
    assert "{" not in sent["system"]


def test_llm_failure_keeps_the_extractive_questions(donghua):
    extractive = donghua.pack("城中村治理")
    with FakeOpenAI(status=500) as fake:
        pack = donghua.pack("城中村治理", llm=llm_for(fake))

    assert pack.discussion == extractive.discussion
    assert [w.split(":")[0] for w in pack.warnings] == ["llm_failed"]


def test_too_few_sound_llm_questions_keep_the_extractive_ones(donghua):
    extractive = donghua.pack("城中村治理")
    with FakeOpenAI(replies=["\n".join(QUESTIONS[:2] + QUESTIONS[-2:])]) as fake:
        pack = donghua.pack("城中村治理", llm=llm_for(fake))

    assert pack.discussion == extractive.discussion
    assert pack.warnings == ["llm_discussion_too_few:2"]


# --- on the real sample index ------------------------------------------------------------


@pytest.fixture(scope="module")
def retriever(sample_index) -> Retriever:
    return build_retriever(sample_index.settings, sample_index.store)


@pytest.mark.e2e
@pytest.mark.parametrize("topic", ["城中村治理", "基层党建"])
def test_topic_pack_is_sound_and_complete(retriever, sample_index, topic):
    pack = build_study_pack(topic, retriever, sample_index.store, sample_index.settings.prompts_dir)

    assert_sound(pack)
    assert pack.topic == topic
    assert len(pack.key_points) >= 3 and len(pack.figures) >= 3
    assert len(pack.quiz) >= 4 and {item.kind for item in pack.quiz} == {"choice", "blank"}
    assert len({c.doc_id for c in pack.sources}) >= 2  # the pack spans articles
    stored = [chunk.text for chunk in sample_index.store.chunks()]
    for item in pack.quiz:
        assert all(any(option in text for text in stored) for option in item.options)


@pytest.mark.e2e
def test_articles_only_pack_covers_just_those_articles(retriever, sample_index):
    pack = build_study_pack("", retriever, sample_index.store, sample_index.settings.prompts_dir, doc_ids=[DONGHUA])

    assert_sound(pack)
    assert {c.doc_id for c in pack.sources} == {DONGHUA}
    assert pack.topic == "增城区新塘镇东华村：党建引领城中村治理发展新格局"
    assert len(pack.key_points) >= 3 and pack.figures
    assert len(pack.quiz) >= 4 and {item.kind for item in pack.quiz} == {"choice", "blank"}


@pytest.mark.e2e
def test_topic_within_articles_stays_in_them(retriever, sample_index):
    pack = build_study_pack("网格化治理", retriever, sample_index.store, sample_index.settings.prompts_dir, doc_ids=[DONGHUA])

    assert_sound(pack)
    assert {c.doc_id for c in pack.sources} == {DONGHUA}


@pytest.mark.e2e
def test_cli_writes_a_docx_study_pack(sample_index, tmp_path):
    out = tmp_path / "pack.docx"
    env = {**os.environ, "POLICYQA_DATA_DIR": str(sample_index.settings.data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "policyqa.cli", "study", "城中村治理", "--out", str(out)],
        env=env, capture_output=True, text=True, check=True,
    )

    assert "quiz items" in done.stdout
    assert docx.Document(str(out)).paragraphs[0].text == "城中村治理学习资料"
