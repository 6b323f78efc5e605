"""Shared fixtures: the sample corpus indexed once per session, with the real e5 model
(sample_index, for e2e tests) or with HashEmbeddings (fake_index, for fast unit tests)."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index.service import Index, open_index  # noqa: E402
from core.settings import DEFAULT_EMBEDDING_MODEL, Settings  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
ARTICLES = REPO / "data" / "articles"


def free_port() -> int:
    """A port nothing listens on now, on loopback: test servers bind 127.0.0.1 only."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_settings(data_dir: Path, **overrides) -> Settings:
    return Settings(data_dir=data_dir, **overrides)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Index:
    """The sample corpus ingested once; tests must not change it."""
    settings = make_settings(tmp_path_factory.mktemp("sample-index"))
    with open_index(settings) as idx:
        idx.first_report = idx.ingest([ARTICLES])
        yield idx


@pytest.fixture
def articles_copy(tmp_path) -> Path:
    """A private copy of the sample articles that a test may edit."""
    folder = tmp_path / "articles"
    shutil.copytree(ARTICLES, folder, ignore=shutil.ignore_patterns("*.md"))
    return folder


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory) -> Index:
    """The sample corpus ingested once with HashEmbeddings: no model, seconds; tests must not change it."""
    from tests.fakes import HashEmbeddings

    settings = make_settings(tmp_path_factory.mktemp("fake-index"))
    with open_index(settings, HashEmbeddings()) as idx:
        idx.first_report = idx.ingest([ARTICLES])
        yield idx


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    """Where `make install` converted the default model."""
    configured = os.environ.get("POLICYQA_MODEL_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "policyqa" / "models"


# Through build_embeddings, so the prefixes the index adds are part of what is tested; on torch
# fp32, the converted folder as written, which the faster backends are measured against.
@pytest.fixture(scope="session")
def embeddings(cache_dir: Path):
    from index.embedding import build_embeddings

    settings = Settings(
        model_cache_dir=cache_dir,
        embedding_model=DEFAULT_EMBEDDING_MODEL,
        embedding_backend="torch",
        query_prefix="query: ",
        passage_prefix="passage: ",
    )
    return build_embeddings(settings)


@pytest.fixture(autouse=True)
def _no_ambient_eval_cache(monkeypatch):
    """A developer's or CI's own eval cache must not decide where a test's collections go."""
    monkeypatch.delenv("POLICYQA_EVAL_CACHE_DIR", raising=False)
