"""The HTTP API beside the UI: ask, the library, study packs, admin changes; wiring only.

Routes call the process's one ``Backend`` (the same index and chain the Gradio UI uses) from
FastAPI's thread pool; errors from below become HTTP statuses here and nowhere else.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from core.errors import BackendUnreachable, EmptyIndexError, IndexBusy, PolicyQAError, StoreUnreachable
from index.search import SearchFilter
from policyqa import openai_compat
from rag.study import to_markdown
from webui.backend import Backend, safe_name
from webui.library import is_admin

_bearer = HTTPBearer(auto_error=False)
_ISO_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"  # what SearchFilter reads: yyyy, yyyy-mm or yyyy-mm-dd


class Filters(BaseModel):
    """Metadata limits of a question; empty fields do not filter."""

    doc_ids: list[str] = []
    sources: list[str] = []
    places: list[str] = []
    date_from: str | None = Field(None, pattern=_ISO_DATE, examples=["2023-01"])
    date_to: str | None = Field(None, pattern=_ISO_DATE, examples=["2024-12-31"])

    def to_search_filter(self) -> SearchFilter | None:
        chosen = SearchFilter(
            doc_ids=tuple(self.doc_ids),
            sources=tuple(self.sources),
            places=tuple(self.places),
            date_from=self.date_from,
            date_to=self.date_to,
        )
        return None if chosen.is_empty() else chosen


class AskRequest(BaseModel):
    question: str = Field(min_length=1)
    history: list[str] = Field([], description="Earlier questions of the conversation, oldest first.")
    filters: Filters = Filters()
    k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve (default: the configured top_k).")


class StudyRequest(BaseModel):
    topic: str = ""
    doc_ids: list[str] = []


def _backend(request: Request) -> Backend:
    return request.app.state.backend


def _token(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """With POLICYQA_API_TOKEN set, every API call must carry it as ``Authorization: Bearer``."""
    expected = _backend(request).settings.api_token
    if expected and not is_admin(expected, credentials.credentials if credentials else ""):  # a constant-time match
        raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})


def _admin(request: Request, x_admin_password: Annotated[str | None, Header()] = None) -> None:
    """Changes of the library need the admin password, as in the UI: ``X-Admin-Password``,
    percent-encoded UTF-8 (HTTP headers carry ASCII only, and a password may be Chinese)."""
    if not is_admin(_backend(request).settings.admin_password, unquote(x_admin_password or "")):
        raise HTTPException(403, "wrong admin password (or none is configured: the library is read-only)")


def _non_empty(backend: Annotated[Backend, Depends(_backend)]) -> Backend:
    if backend.is_empty():
        raise EmptyIndexError("the library holds no articles yet")
    return backend


api_router = APIRouter(prefix="/api", dependencies=[Depends(_token)], tags=["policyqa"])


@api_router.post("/ask")
def ask(body: AskRequest, backend: Annotated[Backend, Depends(_non_empty)]) -> dict:
    """A cited answer: the same JSON as `policyqa ask --json`."""
    return backend.ask(body.question, body.history, body.filters.to_search_filter(), body.k).to_dict()


@api_router.get("/articles")
def articles(backend: Annotated[Backend, Depends(_backend)]) -> list[dict]:
    """Every article's metadata (no text), by doc_id."""
    return backend.articles()


@api_router.get("/articles/{doc_id}")
def article(doc_id: str, backend: Annotated[Backend, Depends(_backend)]) -> dict:
    """One article: its metadata and its cleaned text."""
    doc = backend.article(doc_id)
    if doc is None:
        raise HTTPException(404, f"no article {doc_id}")
    return {**doc.metadata, "text": doc.page_content}


@api_router.post("/study")
def study(body: StudyRequest, backend: Annotated[Backend, Depends(_non_empty)]) -> dict:
    """A study pack on a topic and/or articles: its parts, and the same pack as Markdown."""
    if not body.topic.strip() and not body.doc_ids:
        raise HTTPException(422, "give a topic, or doc_ids")
    pack = backend.study_pack(body.topic, body.doc_ids)
    return {**asdict(pack), "markdown": to_markdown(pack, backend.settings.prompts_dir)}


@api_router.post("/articles", dependencies=[Depends(_admin)])
def upload(files: list[UploadFile], backend: Annotated[Backend, Depends(_backend)]) -> list[dict]:
    """Ingest uploaded article files; a file of the same name is replaced. One ingest report per file."""
    reports = []
    with tempfile.TemporaryDirectory(prefix="policyqa-upload-") as folder:
        for file in files:
            path = Path(folder) / safe_name(file.filename or "")  # never a path the client chose
            with path.open("wb") as kept:
                shutil.copyfileobj(file.file, kept)  # in blocks: Starlette spooled a big upload to disk
            reports.append(backend.ingest_upload(path).to_dict())
    return reports


@api_router.delete("/articles/{doc_id}", dependencies=[Depends(_admin)])
def remove(doc_id: str, backend: Annotated[Backend, Depends(_backend)]) -> dict:
    """Remove the file holding an article, with every article of that file."""
    removed = backend.remove_document(doc_id)
    if not removed:
        raise HTTPException(404, f"no article {doc_id}")
    return {"removed": removed}


chat_router = APIRouter(prefix="/v1", dependencies=[Depends(_token)], tags=["openai"])


@chat_router.post("/chat/completions")
def chat_completions(body: openai_compat.ChatRequest, backend: Annotated[Backend, Depends(_non_empty)]):
    """OpenAI-compatible chat: the last user message is the question, earlier ones its history."""
    try:
        question, history = body.question_and_history()
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
    answer = backend.ask(question, history)
    if body.stream:
        return StreamingResponse(openai_compat.completion_stream(answer, body.model), media_type="text/event-stream")
    return openai_compat.completion(answer, body.model)


@chat_router.get("/models")
def models() -> dict:
    return openai_compat.models()


_STATUS = {EmptyIndexError: 409, IndexBusy: 409, BackendUnreachable: 503, StoreUnreachable: 503}


def _policyqa_error(_: Request, err: Exception) -> JSONResponse:
    status = next((code for kind, code in _STATUS.items() if isinstance(err, kind)), 500)
    return JSONResponse({"detail": str(err)}, status_code=status)


def build_api(backend: Backend) -> FastAPI:
    """The API over one backend; the Gradio UI is mounted on it at "/" by app.py."""
    api = FastAPI(title="PolicyQA", summary="Cited answers over Chinese policy articles.", version="1")
    api.state.backend = backend
    api.add_exception_handler(PolicyQAError, _policyqa_error)
    api.include_router(api_router)
    api.include_router(chat_router)
    return api
