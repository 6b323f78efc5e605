"""/v1/chat/completions: the openai client against a live uvicorn, streaming and not."""

from __future__ import annotations

import pytest
from openai import AuthenticationError, OpenAI, UnprocessableEntityError

from tests.api.conftest import TOKEN

QUESTION = "东华村户籍人口有多少？"


@pytest.fixture
def openai_client(live_url) -> OpenAI:
    return OpenAI(base_url=f"{live_url}/v1", api_key=TOKEN, max_retries=0)


def test_a_completion_is_the_cited_answer_with_its_citations(openai_client, backend):
    reply = openai_client.chat.completions.create(model="policyqa", messages=[{"role": "user", "content": QUESTION}])
    expected = backend.chain.ask(QUESTION)
    assert reply.choices[0].message.content == expected.answer and reply.choices[0].finish_reason == "stop"
    citations = reply.model_extra["citations"]
    assert [c["chunk_id"] for c in citations] == [c.chunk_id for c in expected.citations]
    assert "1867人" in citations[0]["quote"] and reply.model_extra["refused"] is False


def test_a_stream_carries_the_same_answer_and_ends_with_the_citations(openai_client, backend):
    messages = [
        {"role": "system", "content": "你是助手"},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": "1867人"},
        {"role": "user", "content": [{"type": "text", "text": "那外来人员呢？"}]},
    ]
    chunks = list(openai_client.chat.completions.create(model="policyqa", messages=messages, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == backend.chain.ask("那外来人员呢？", history=[QUESTION]).answer and "8500人" in text
    assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].model_extra["citations"]


def test_models_are_listed_and_bad_requests_refused(openai_client, live_url):
    assert [m.id for m in openai_client.models.list()] == ["policyqa"]
    with pytest.raises(UnprocessableEntityError):
        openai_client.chat.completions.create(model="policyqa", messages=[{"role": "assistant", "content": "hi"}])
    anonymous = OpenAI(base_url=f"{live_url}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(AuthenticationError):
        anonymous.chat.completions.create(model="policyqa", messages=[{"role": "user", "content": QUESTION}])
