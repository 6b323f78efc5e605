"""Load test on loopback: concurrent clients asking seed questions, half through the Gradio UI's
API (gradio_client), half through POST /api/ask; against one app process, then against two app
processes sharing one Chroma server. Bounded: a fixed number of clients for a fixed time.

Writes bench/runs/<out>.json and .md. Usage (POLICYQA_* settings pass on to the app processes):
    .venv/bin/python bench/load.py [--clients 20] [--seconds 60] [--work DIR] [--setups one,two] [--out load]
The sample corpus is ingested with the configured embedding model into DIR/<embedding backend> (kept
for reruns: an index is asked with the backend it was built with).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from gradio_client import Client

from bench.run import write_run
from core.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "eval" / "datasets" / "seeds.jsonl"
ARTICLES = REPO / "data" / "articles"
CHROMA = Path(sys.executable).parent / "chroma"
START_TIMEOUT_S = 300


@dataclass
class Tally:
    """What the clients of one kind saw: seconds per answer, and the errors."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float | None, error: str | None = None) -> None:
        with self.lock:
            if error is None:
                self.latencies.append(seconds)
            else:
                self.errors.append(error)

    def summary(self, seconds: float) -> dict:
        lat = sorted(self.latencies)
        return {
            "answers": len(lat),
            "errors": len(self.errors),
            "error_examples": sorted(set(self.errors))[:3],
            "answers_per_s": round(len(lat) / seconds, 2),
            "p50_s": round(statistics.median(lat), 2) if lat else None,
            "p95_s": round(lat[math.ceil(0.95 * len(lat)) - 1], 2) if lat else None,  # nearest rank
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:4]} exited:\n{log.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=5).close()
            return
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT_S} s")


@contextlib.contextmanager
def running(args: list[str], url: str, log: Path, env: dict) -> Iterator[str]:
    """A server process on loopback until the block ends."""
    with log.open("w") as out:
        process = subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def policyqa(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "policyqa.cli", "--data-dir", str(data_dir), *args]


def app(data_dir: Path, env: dict, log: Path) -> contextlib.AbstractContextManager[str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    return running(policyqa(data_dir, "serve", "--port", str(port)), url + "/", log, env)


def ask_gradio(url: str) -> Callable[[str], None]:
    client = Client(url, verbose=False)

    def ask(question: str) -> None:
        chat, *_ = client.predict(question, [], [], "", "", api_name="/ask")
        if not chat or chat[-1]["role"] != "assistant":
            raise ValueError("no answer in the chat")

    return ask


def ask_api(url: str) -> Callable[[str], None]:
    client = httpx.Client(base_url=url, timeout=120)

    def ask(question: str) -> None:
        response = client.post("/api/ask", json={"question": question})
        response.raise_for_status()
        if "answer" not in response.json():
            raise ValueError("no answer in the reply")

    return ask


def client_loop(make: Callable[[str], Callable[[str], None]], url: str, deadline: float, seed: int, tally: Tally) -> None:
    questions = [json.loads(line)["question"] for line in SEEDS.open(encoding="utf-8")]
    rng = random.Random(seed)
    ask = make(url)
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            ask(rng.choice(questions))
        except Exception as err:  # every failure counts as an error of the load test
            tally.add(None, f"{type(err).__name__}: {str(err)[:120]}")
        else:
            tally.add(time.perf_counter() - started)


def load(urls: list[str], clients: int, seconds: float) -> dict:
    """``clients`` clients for ``seconds``: even-numbered through gradio_client, odd through /api/ask,
    spread over ``urls`` in turn."""
    tallies = {"gradio_client": Tally(), "api_ask": Tally()}
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for i in range(clients):
            kind, make = ("gradio_client", ask_gradio) if i % 2 == 0 else ("api_ask", ask_api)
            pool.submit(client_loop, make, urls[i % len(urls)], deadline, i, tallies[kind])
    elapsed = time.perf_counter() - started  # the last answers finish after the deadline
    both = Tally(tallies["gradio_client"].latencies + tallies["api_ask"].latencies,
                 tallies["gradio_client"].errors + tallies["api_ask"].errors)  # fmt: skip
    return {"seconds": round(elapsed, 1), "all": both.summary(elapsed),
            **{kind: t.summary(elapsed) for kind, t in tallies.items()}}  # fmt: skip


def one_process(work: Path, env: dict, clients: int, seconds: float) -> dict:
    data_dir = work / "embedded"
    subprocess.run(policyqa(data_dir, "ingest", str(ARTICLES), "--if-empty"), cwd=REPO, env=env, check=True)
    with app(data_dir, env, work / "app-embedded.log") as url:
        return load([url], clients, seconds)


def two_processes(work: Path, env: dict, clients: int, seconds: float) -> dict:
    port = _free_port()
    chroma_url = f"http://127.0.0.1:{port}"
    chroma = [str(CHROMA), "run", "--path", str(work / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)]
    shared = {**env, "POLICYQA_CHROMA_URL": chroma_url}
    data_dir = work / "server"
    with running(chroma, f"{chroma_url}/api/v2/heartbeat", work / "chroma.log", env):
        subprocess.run(policyqa(data_dir, "ingest", str(ARTICLES), "--if-empty"), cwd=REPO, env=shared, check=True)
        with app(data_dir, shared, work / "app-1.log") as first, app(data_dir, shared, work / "app-2.log") as second:
            return load([first, second], clients, seconds)


SETUPS = {
    "one": ("one process, embedded Chroma", one_process),
    "two": ("two processes, one Chroma server", two_processes),
}


def to_markdown(result: dict) -> str:
    lines = [
        f"Load test on loopback ({result['date']}, {result['cpus']} CPUs shared with other work): "
        f"{result['clients']} clients for {result['seconds']} s asking seed questions, even-numbered through "
        f"gradio_client (`/ask`), odd through `POST /api/ask`; sample corpus, {result['embedding_backend']} "
        f"embeddings, extractive backend, answer_workers {result['answer_workers']} per process.",
        "",
        "| setup | clients | answers | errors | answers/s | p50 s | p95 s |",
        "|---|---|---|---|---|---|---|",
    ]
    for setup, run in result["setups"].items():
        for kind in ("all", "gradio_client", "api_ask"):
            r = run[kind]
            lines.append(f"| {setup} | {kind} | {r['answers']} | {r['errors']} | {r['answers_per_s']} | {r['p50_s']} | {r['p95_s']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--work", type=Path, default=Path("/tmp/policyqa-load"))
    parser.add_argument("--setups", type=lambda t: t.split(","), default=list(SETUPS), help="default: one,two")
    parser.add_argument("--out", default="load", help="name of the result files (default: load)")
    args = parser.parse_args()
    settings = Settings()
    work = args.work / settings.embedding_backend
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    env.pop("POLICYQA_CHROMA_URL", None)
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "clients": args.clients,
        "seconds": args.seconds,
        "embedding_backend": settings.embedding_backend,
        "answer_workers": settings.answer_workers,
        "setups": {
            SETUPS[name][0]: SETUPS[name][1](work, env, args.clients, args.seconds) for name in args.setups
        },
    }
    write_run(args.out, result, to_markdown(result))


if __name__ == "__main__":
    main()
