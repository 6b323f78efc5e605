"""The generation step as an OpenAI-compatible chat model (vLLM, Ollama, llama.cpp, ...).

Both chains are LCEL: ``prompt | model | StrOutputParser()``; the prompts are files in
``prompts/`` and the answer is checked afterwards by ``rag.citations``, not trusted here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import httpx
import openai
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable
from langchain_openai import ChatOpenAI

from core.errors import BackendUnreachable, ConfigError
from core.settings import Settings
from rag.prompts import load_chat_prompt, load_text
from rag.types import RetrievedChunk

# A failing endpoint should surface within seconds, not after the SDK's long default backoff.
MAX_RETRIES = 2
# Local 7B models on CPU may take a while before the first token of a long prompt;
# an endpoint that is not there at all should fail fast.
TIMEOUT = httpx.Timeout(120.0, connect=5.0)
# What the client raises when the endpoint is down or keeps failing after its retries.
UNREACHABLE = (openai.APIConnectionError, openai.APIStatusError)


def format_sources(hits: Sequence[RetrievedChunk]) -> str:
    """The hits as numbered passages ``<资料 编号="n">[n] 《title》（date，source）`` + text ``</资料>``, n from 1.

    The tags tell the model where article text starts and stops; text that spells one is defused.
    """
    return "\n\n".join(
        f'<资料 编号="{n}">\n[{n}] {_inert(_heading(hit))}\n{_inert(hit.chunk.text)}\n</资料>'
        for n, hit in enumerate(hits, start=1)
    )


def _inert(text: str) -> str:
    return _SOURCE_TAG.sub(lambda match: match.group().replace("<", "＜"), text)


_SOURCE_TAG = re.compile(r"</?\s*资料")


def _heading(hit: RetrievedChunk) -> str:
    # Missing fields are left out rather than filled in, so the model cannot quote a guess.
    chunk = hit.chunk
    title = f"《{chunk.title}》" if chunk.title else ""
    meta = "，".join(part for part in (chunk.date, chunk.source) if part)
    return title + (f"（{meta}）" if meta else "")


def unreachable(settings: Settings, err: Exception) -> BackendUnreachable:
    return BackendUnreachable(f"the LLM at {settings.openai_base_url} did not answer: {err}")


def check_endpoint(settings: Settings) -> None:
    """Without a base URL the SDK would silently call api.openai.com: refuse instead."""
    if not settings.openai_base_url:
        raise ConfigError(
            "the openai backend needs an OpenAI-compatible endpoint: "
            "set POLICYQA_OPENAI_BASE_URL (e.g. http://127.0.0.1:8000/v1)"
        )


def build_chat_model(settings: Settings, *, streaming: bool = True) -> ChatOpenAI:
    """The chat model the settings point at; a missing endpoint is a configuration error."""
    check_endpoint(settings)
    return ChatOpenAI(
        model=settings.openai_model,
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key,
        temperature=0,
        streaming=streaming,
        max_retries=MAX_RETRIES,
        timeout=TIMEOUT,
        # Local servers speak chat completions, not the Responses API.
        use_responses_api=False,
    )


def answer_chain(settings: Settings) -> Runnable:
    """``{"question", "sources"}`` -> the cited answer text; ``.stream()`` yields pieces."""
    # The refusal sentence lives in one file because rag.chain looks for it in the answer.
    prompt = load_chat_prompt("answer", settings.prompts_dir).partial(
        refusal=load_text("llm_refusal", settings.prompts_dir)
    )
    return prompt | build_chat_model(settings) | StrOutputParser()


def condense_chain(settings: Settings) -> Runnable:
    """``{"history", "question"}`` -> the follow-up rewritten as a standalone question."""
    prompt = load_chat_prompt("condense", settings.prompts_dir)
    # Only retrieval reads the result, all at once, so there is nothing to stream;
    # the strip drops the newline or spaces models like to end with.
    return prompt | build_chat_model(settings, streaming=False) | StrOutputParser() | str.strip
