"""The HTTP API over the sample corpus on the hash embedding, in process (TestClient) and live (uvicorn)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app import build_server
from index.service import open_index
from tests.conftest import ARTICLES, live_server, make_settings
from tests.fakes import HashEmbeddings
from webui.backend import Backend

TOKEN = "test-token"
PASSWORD = "test-admin-密码"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="package")
def backend(tmp_path_factory) -> Iterator[Backend]:
    """The sample corpus with an API token and an admin password; tests must leave it as they found it."""
    settings = make_settings(tmp_path_factory.mktemp("api-index"), api_token=TOKEN, admin_password=PASSWORD)
    with open_index(settings, HashEmbeddings()) as idx:
        idx.ingest([ARTICLES])
    opened = Backend(settings, HashEmbeddings())
    yield opened
    opened.close()


@pytest.fixture(scope="package")
def app(backend):
    return build_server(backend)


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(app, headers=AUTH)


@pytest.fixture(scope="package")
def live_url(app) -> Iterator[str]:
    with live_server(app) as url:
        yield url
