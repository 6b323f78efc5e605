"""The backend answers at most answer_workers questions at once, whoever asks (UI stream or API)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import make_settings
from tests.fakes import HashEmbeddings
from webui.backend import Backend


class CountingChain:
    """Answers slowly and records how many answers were in progress at once."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def _work(self) -> str:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self.lock:
            self.running -= 1
        return "answer"

    def ask(self, question, **options):
        return self._work()

    def events(self, question, **options):
        yield self._work()


def test_answers_wait_for_a_free_worker(tmp_path):
    backend = Backend(make_settings(tmp_path, answer_workers=2), HashEmbeddings())
    backend.chain = chain = CountingChain()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            asked = [pool.submit(backend.ask, "问") for _ in range(4)]
            asked += [pool.submit(lambda: list(backend.stream("问", [], None))) for _ in range(4)]
            results = [f.result() for f in asked]
    finally:
        backend.close()
    assert results == ["answer"] * 4 + [["answer"]] * 4
    assert chain.most == 2
