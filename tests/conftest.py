"""Shared fixtures: the sample corpus indexed once per session, with the real e5 model
(sample_index, for e2e tests) or with HashEmbeddings (fake_index, for fast unit tests; its twin
server_fake_index in a `chroma run` on loopback), and servers on loopback for tests to talk to."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from index.service import Index, open_index  # noqa: E402
from core.settings import DEFAULT_EMBEDDING_MODEL, Settings  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
ARTICLES = REPO / "data" / "articles"
CHROMA = Path(sys.executable).parent / "chroma"
NEW_ARTICLE = """白杨村：“红色代办员”跑出便民加速度
白杨村位于云岭县东部，全村户籍人口2400人。近年来，白杨村党支部组建“红色代办员”队伍，由党员为群众代办社保、医保等事项。
目前，白杨村共有红色代办员17名，今年以来已为群众代办事项580件，群众满意率达到98%。
下一步，白杨村党支部将扩大代办范围，让党建引领基层治理惠及更多群众。
"""


def free_port() -> int:
    """A port nothing listens on now, on loopback: test servers bind 127.0.0.1 only."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_settings(data_dir: Path, **overrides) -> Settings:
    return Settings(data_dir=data_dir, **overrides)


def cli_args(monkeypatch, settings: Settings) -> list[str]:
    """The arguments (and environment) that make `policyqa`, run in process, open the index of ``settings``."""
    monkeypatch.setenv("POLICYQA_COLLECTION", settings.collection)
    if settings.chroma_url:
        monkeypatch.setenv("POLICYQA_CHROMA_URL", settings.chroma_url)
    else:
        monkeypatch.delenv("POLICYQA_CHROMA_URL", raising=False)
    return ["--data-dir", str(settings.data_dir)]


@contextmanager
def chroma_server(path: Path, port: int) -> Iterator[str]:
    """`chroma run` on 127.0.0.1:port over ``path``, until the block ends."""
    log = path.with_suffix(".log").open("a")
    process = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chroma run did not start: {path.with_suffix('.log').read_text()[-2000:]}")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@contextmanager
def live_server(app) -> Iterator[str]:
    """An ASGI app served by uvicorn on a loopback port, in a thread of this process, until the block ends."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory) -> Iterator[str]:
    """One `chroma run` for the session; each test keeps to a collection of its own."""
    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "chroma", free_port()) as url:
        yield url


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


@pytest.fixture
def upload(tmp_path) -> Path:
    """An article the sample corpus does not hold, as a file of its own."""
    path = tmp_path / "incoming" / "白杨村.txt"
    path.parent.mkdir()
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory) -> Index:
    """The sample corpus ingested once with HashEmbeddings: no model, seconds; tests must not change it."""
    from tests.fakes import HashEmbeddings

    settings = make_settings(tmp_path_factory.mktemp("fake-index"))
    with open_index(settings, HashEmbeddings()) as idx:
        idx.first_report = idx.ingest([ARTICLES])
        yield idx


@pytest.fixture(scope="session")
def server_fake_index(tmp_path_factory, chroma_url) -> Index:
    """fake_index in the session's Chroma server, from a data dir of its own; tests must not change it."""
    from tests.fakes import HashEmbeddings

    settings = make_settings(tmp_path_factory.mktemp("server-fake-index"), chroma_url=chroma_url)
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
