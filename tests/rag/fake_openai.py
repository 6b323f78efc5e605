"""A scripted OpenAI-compatible chat server on loopback, standard library only.

Only the far end of the wire is fake: tests drive the real langchain-openai client over
real HTTP, so request shape, SSE parsing, retries and errors are the client's own.

    with FakeOpenAI(replies=["答案。[1]"]) as fake:
        settings = Settings(openai_base_url=fake.base_url)
        ...
        fake.requests[0]["messages"]  # what the client sent
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

COMPLETIONS_PATH = "/v1/chat/completions"


class FakeOpenAI:
    """Answers ``POST /v1/chat/completions`` with ``replies`` in order, one per request.

    ``status`` other than 200 makes every request fail with an OpenAI-style error body;
    streamed replies are cut into SSE chunks of ``chunk_chars`` characters.
    """

    def __init__(self, replies: Iterable[str] = (), *, status: int = 200, chunk_chars: int = 4) -> None:
        self._replies = deque(replies)
        self.status = status
        self.chunk_chars = chunk_chars
        self.requests: list[dict[str, Any]] = []  # JSON bodies received, in order
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        # A short poll keeps shutdown, and so every test, from waiting half a second.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _take(self, body: dict[str, Any]) -> str | None:
        """Record ``body`` and hand out the next reply (None once the script runs out)."""
        with self._lock:
            self.requests.append(body)
            return self._replies.popleft() if self._replies else None


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != COMPLETIONS_PATH:
                self._send_json(404, _error(f"no route {self.path}"))
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            reply = fake._take(body)
            if fake.status != 200:
                self._send_json(fake.status, _error("scripted failure"))
            elif reply is None:
                # Loud, so a test that sends more requests than it scripted fails.
                self._send_json(400, _error("no scripted reply left"))
            elif body.get("stream"):
                self._send_stream(_chunks(body["model"], reply, fake.chunk_chars))
            else:
                self._send_json(200, _completion(body["model"], reply))

        def _send_json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_stream(self, chunks: Iterator[dict[str, Any]]) -> None:
            # HTTP/1.0 without Content-Length: the body ends when the connection closes.
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for chunk in chunks:
                self._send_event(json.dumps(chunk, ensure_ascii=False))
            self._send_event("[DONE]")

        def _send_event(self, data: str) -> None:
            self.wfile.write(f"data: {data}\n\n".encode())
            self.wfile.flush()

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: pytest output stays readable."""

    return Handler


def _completion(model: str, reply: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _chunks(model: str, reply: str, size: int) -> Iterator[dict[str, Any]]:
    pieces = [reply[i : i + size] for i in range(0, len(reply), size)]
    deltas = [{"role": "assistant", "content": ""}] + [{"content": piece} for piece in pieces] + [{}]
    for i, delta in enumerate(deltas):
        finish = "stop" if i == len(deltas) - 1 else None
        yield {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "fake_error", "param": None, "code": None}}
