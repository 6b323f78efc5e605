"""The LLM chains through the real langchain-openai client against a fake server on loopback."""

from __future__ import annotations

import time
from dataclasses import replace

import openai
import pytest

from core.settings import Settings
from rag.citations import DROPPED, UNSUPPORTED_NUMBER, check_citations
from rag.llm import MAX_RETRIES, answer_chain, build_chat_model, condense_chain, format_sources
from rag.prompts import load_text
from rag.types import RetrievedChunk
from tests.rag.conftest import as_hits, make_chunk
from tests.rag.fake_openai import FakeOpenAI

PROMPTS = Settings().prompts_dir
CENSUS = "截至2023年1月,全村户籍人口1867人,外来人员约8500人。"
MODEL = "初步探索形成“强基治理、精准治理、平安治理、智慧治理、长效治理”的东华村“五治”工作模式。"
QUESTION = "东华村户籍人口有多少？"
REPLY = "截至2023年1月，东华村户籍人口1867人[1]，并形成“五治”工作模式[2]。"


@pytest.fixture
def hits() -> list[RetrievedChunk]:
    return as_hits(
        [
            replace(make_chunk(CENSUS, doc_id="donghua", title="东华村背景资料", date="2023-06-01"), source="增城区新塘镇"),
            make_chunk(MODEL, doc_id="donghua", title="东华村背景资料", date="2023-06-01"),
        ]
    )


def settings_for(fake: FakeOpenAI) -> Settings:
    return Settings(backend="openai", openai_base_url=fake.base_url, openai_model="fake-qwen")


def sent_messages(fake: FakeOpenAI, i: int = 0) -> dict[str, str]:
    """Request ``i``'s messages by role (each chain sends one system and one user message)."""
    return {m["role"]: m["content"] for m in fake.requests[i]["messages"]}


def test_format_sources_numbers_passages_and_leaves_out_missing_fields(hits):
    bare = as_hits([make_chunk("只有正文。")])
    assert format_sources(hits) == (
        f'<资料 编号="1">\n[1] 《东华村背景资料》（2023-06-01，增城区新塘镇）\n{CENSUS}\n</资料>\n\n'
        f'<资料 编号="2">\n[2] 《东华村背景资料》（2023-06-01）\n{MODEL}\n</资料>'
    )
    assert format_sources(bare) == '<资料 编号="1">\n[1] \n只有正文。\n</资料>'


def test_answer_chain_sends_the_rules_the_sources_and_the_question(hits):
    with FakeOpenAI(replies=[REPLY]) as fake:
        answer = answer_chain(settings_for(fake)).invoke({"question": QUESTION, "sources": format_sources(hits)})

    assert answer == REPLY
    body = fake.requests[0]
    assert body["model"] == "fake-qwen"
    assert body["temperature"] == 0
    messages = sent_messages(fake)
    assert "[1]" in messages["system"]
    assert load_text("llm_refusal", PROMPTS) in messages["system"]
    assert "{" not in messages["system"]  # every template variable was filled
    assert format_sources(hits) in messages["user"]
    assert QUESTION in messages["user"]


def test_answer_chain_streams_the_reply_in_pieces(hits):
    with FakeOpenAI(replies=[REPLY], chunk_chars=3) as fake:
        chain = answer_chain(settings_for(fake))
        pieces = list(chain.stream({"question": QUESTION, "sources": format_sources(hits)}))

    assert fake.requests[0]["stream"] is True
    assert len([p for p in pieces if p]) > 1
    assert "".join(pieces) == REPLY


def test_condense_chain_makes_a_follow_up_standalone():
    history = "东莞东城街道有哪些党建做法？"
    with FakeOpenAI(replies=["中山有哪些党建做法？\n"]) as fake:
        standalone = condense_chain(settings_for(fake)).invoke({"history": history, "question": "那中山呢？"})

    assert standalone == "中山有哪些党建做法？"
    assert not fake.requests[0].get("stream")  # the plain JSON route
    messages = sent_messages(fake)
    assert history in messages["user"]
    assert "那中山呢？" in messages["user"]
    assert messages["system"] == load_text("condense.system", PROMPTS)


def test_a_missing_base_url_says_which_variable_to_set():
    settings = Settings(backend="openai", openai_base_url=None)
    with pytest.raises(ValueError, match="POLICYQA_OPENAI_BASE_URL"):
        build_chat_model(settings)
    with pytest.raises(ValueError, match="POLICYQA_OPENAI_BASE_URL"):
        answer_chain(settings)


@pytest.mark.parametrize("stream", [False, True])
def test_a_failing_server_raises_after_a_few_retries(hits, stream):
    chain_input = {"question": QUESTION, "sources": format_sources(hits)}
    started = time.perf_counter()
    with FakeOpenAI(status=500) as fake:
        chain = answer_chain(settings_for(fake))
        with pytest.raises(openai.InternalServerError):
            list(chain.stream(chain_input)) if stream else chain.invoke(chain_input)

    assert len(fake.requests) == 1 + MAX_RETRIES
    assert time.perf_counter() - started < 10


def test_citation_check_catches_a_made_up_source_and_number(hits):
    invented = "东华村户籍人口1867人[1]。外来人员约9000人[5]。"
    with FakeOpenAI(replies=[invented]) as fake:
        text = answer_chain(settings_for(fake)).invoke({"question": QUESTION, "sources": format_sources(hits)})

    checked = check_citations(text, hits)
    assert f"{DROPPED}[5]" in checked.warnings
    assert f"{UNSUPPORTED_NUMBER}9000" in checked.warnings
    assert checked.cited == (1,)
    assert "[5]" not in checked.text
