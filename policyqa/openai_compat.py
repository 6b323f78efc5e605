"""OpenAI chat-completion shapes around an Answer, so OpenAI clients can use the assistant as a model.

The reply's content is the cited answer text; its citations ride in an extra ``citations`` field
(OpenAI clients keep unknown fields). A stream carries the answer in one piece, sent once it is
checked: the citation check needs the whole draft, and an unchecked draft is never shown.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from typing import Literal

from pydantic import BaseModel, ConfigDict

from rag.types import Answer

MODEL = "policyqa"


class TextPart(BaseModel):
    type: str = "text"
    text: str = ""


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content if part.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """The fields read of an OpenAI chat request; sampling options and the like are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str = MODEL
    messages: list[Message]
    stream: bool = False

    def question_and_history(self) -> tuple[str, list[str]]:
        """The last message's text, which must be the user's, and the user's earlier questions."""
        if not self.messages or self.messages[-1].role != "user" or not self.messages[-1].text().strip():
            raise ValueError("the last message must be a non-empty user message")
        asked = [m.text() for m in self.messages if m.role == "user"]
        return asked[-1], asked[:-1]


def _envelope(kind: str, model: str, completion_id: str) -> dict:
    return {"id": completion_id, "object": kind, "created": int(time.time()), "model": model}


def _citations(answer: Answer) -> list[dict]:
    return [asdict(c) for c in answer.shown]


def completion(answer: Answer, model: str) -> dict:
    """A whole ``chat.completion`` carrying the answer."""
    return {
        **_envelope("chat.completion", model, f"chatcmpl-{uuid.uuid4().hex}"),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": answer.answer}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "citations": _citations(answer),
        "refused": answer.refused,
    }


def completion_stream(answer: Answer, model: str) -> Iterator[str]:
    """Server-sent ``chat.completion.chunk`` events: the role, the answer, the end with citations, [DONE]."""
    head = _envelope("chat.completion.chunk", model, f"chatcmpl-{uuid.uuid4().hex}")

    def event(delta: dict, finish: str | None = None, **extra) -> str:
        chunk = {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": answer.answer})
    yield event({}, "stop", citations=_citations(answer), refused=answer.refused)
    yield "data: [DONE]\n\n"


def models() -> dict:
    """The one model this server offers, for clients that list models first."""
    return {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "policyqa"}]}
