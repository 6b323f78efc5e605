"""The served app (UI and HTTP API, from the app factory) over a Chroma server: it answers and lists
the library as it does over the embedded store."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from gradio_client import Client

from app import build_server
from policyqa.factory import build_chain, build_retriever
from tests.conftest import live_server
from tests.fakes import HashEmbeddings
from webui import library
from webui.backend import Backend

QUESTION = "东华村户籍人口有多少？"


@pytest.fixture(scope="module")
def served_url(server_fake_index) -> Iterator[str]:
    backend = Backend(server_fake_index.settings, HashEmbeddings())
    try:
        with live_server(build_server(backend)) as url:
            yield url
    finally:
        backend.close()


def test_the_ui_answers_from_the_chroma_server(served_url):
    chat, sources, *_ = Client(served_url, verbose=False).predict(QUESTION, [], [], "", "", api_name="/ask")
    assert "1867人" in chat[-1]["content"][0]["text"] and 'id="src-0-1"' in sources


def test_the_ui_lists_the_library_as_the_embedded_store_would(served_url, fake_index):
    table, *_ = Client(served_url, verbose=False).predict(api_name="/library")
    expected = library.library_rows(fake_index.articles(), fake_index.store.chunk_counts())
    assert len(expected) > 0 and table["data"] == expected


def test_the_api_answers_and_lists_as_over_the_embedded_store(served_url, fake_index):
    embedded = build_chain(fake_index.settings, build_retriever(fake_index.settings, fake_index.store))
    expected = embedded.ask(QUESTION).to_dict()
    with httpx.Client(base_url=served_url, timeout=60) as http:
        served = http.post("/api/ask", json={"question": QUESTION}).json()
        assert "1867人" in served["answer"] and served.pop("timings_ms") and expected.pop("timings_ms")
        assert served == expected
        assert http.get("/api/articles").json() == fake_index.articles()
