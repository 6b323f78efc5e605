"""One `policyqa serve` per test session on the sample corpus, and headless Debian chromium to drive it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ARTICLES, REPO, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
ADMIN_PASSWORD = "test-admin-密码"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
START_TIMEOUT_S = 180


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path
    password: str


def _policyqa(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "policyqa.cli", "--data-dir", str(data_dir), *args]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"policyqa serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"policyqa serve did not answer within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")


@contextmanager
def serving(data_dir: Path, articles: list[Path]) -> Iterator[Server]:
    """`policyqa serve` on a free loopback port over a fresh index of ``articles``, with an admin password."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "POLICYQA_ADMIN_PASSWORD": ADMIN_PASSWORD}
    subprocess.run(_policyqa(data_dir, "ingest", *map(str, articles)), cwd=REPO, env=env, check=True, capture_output=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = data_dir / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            _policyqa(data_dir, "serve", "--port", str(port)), cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_up(url, process, log)
        yield Server(url, data_dir, ADMIN_PASSWORD)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    """The app over a fresh index of data/articles."""
    with serving(tmp_path_factory.mktemp("served-index"), [ARTICLES]) as running:
        yield running


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, server: Server, viewport: dict):
    context = browser.new_context(viewport=viewport, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)  # the first question loads the embedding model
    page.goto(server.url)
    page.get_by_role("tab", name="问答").wait_for()
    return context, page


@pytest.fixture
def page(browser, server):
    context, page = open_page(browser, server, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone(browser, server):
    context, page = open_page(browser, server, PHONE)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
