"""What the UI does when someone asks, rates, opens an article, uploads or removes.

Each handler takes component values and returns component values; app.py wires them.
"""

from __future__ import annotations

import contextvars
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import gradio as gr

from core.errors import BadQuestion, PolicyQAError
from index.search import SearchFilter
from rag.question import askable
from rag.study import to_markdown, write_docx
from rag.types import Answer
from webui import library, render
from webui.backend import Backend
from webui.feedback import FeedbackLog
from webui.render import Turn


def search_filter(sources: Sequence[str], places: Sequence[str], date_from: str, date_to: str) -> SearchFilter | None:
    """The chat filters as a SearchFilter; None when nothing is chosen. Dates must be yyyy-mm-dd."""
    dates = []
    for label, text in (("起始日期", date_from), ("截止日期", date_to)):
        text = (text or "").strip()
        try:
            dates.append(date.fromisoformat(text).isoformat() if text else None)
        except ValueError:
            raise ValueError(f"{label}应写成 2024-01-31 这样的格式：{text}") from None
    chosen = SearchFilter(sources=tuple(sources or ()), places=tuple(places or ()), date_from=dates[0], date_to=dates[1])
    return None if chosen.is_empty() else chosen


@contextmanager
def _as_message(action: str) -> Iterator[None]:
    """A failure the user can act on (the LLM endpoint is down, another process is changing the index) as a message."""
    try:
        yield
    except PolicyQAError as err:
        raise gr.Error(f"暂时无法{action}：{err}") from None


def download_dir() -> Path:
    """A fresh folder for files offered for download: their readable names then never collide."""
    return Path(tempfile.mkdtemp(prefix="policyqa-"))


class ChatEvents:
    def __init__(self, backend: Backend, feedback: FeedbackLog) -> None:
        self.backend = backend
        self.feedback = feedback

    def ask(
        self, question: str, turns: list[Turn], sources: list[str], places: list[str], date_from: str, date_to: str
    ) -> Iterator[tuple]:
        """Stream the answer into the chat; outputs: chat, turns, sources panel, question box, export, article."""
        try:
            question = askable(question or "", self.backend.settings.max_question_chars)
        except BadQuestion as err:
            raise gr.Error(str(err)) from None
        if self.backend.is_empty():
            raise gr.Error("文库中还没有文章，请管理员先上传。")
        try:
            limits = search_filter(sources, places, date_from, date_to)
        except ValueError as err:
            raise gr.Error(str(err)) from None
        draft = ""
        yield render.chat_messages(turns, question), turns, gr.skip(), "", gr.skip(), gr.skip()
        answer: Answer | None = None
        with _as_message("回答"):  # e.g. the LLM endpoint is down: a message, not a stack trace
            for event in self.backend.stream(question, [t.question for t in turns], limits):
                if isinstance(event, Answer):
                    answer = event
                else:
                    draft += event
                    yield render.chat_messages(turns, question, draft), turns, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        turns = [*turns, Turn(question, answer)]
        yield render.chat_messages(turns), turns, render.sources_html(turns), "", self._export(turns), ""

    @staticmethod
    def _export(turns: list[Turn]) -> gr.DownloadButton:
        path = download_dir() / "问答记录.md"
        path.write_text(render.conversation_markdown(turns), encoding="utf-8")
        return gr.DownloadButton(value=str(path), interactive=True)

    @staticmethod
    def clear() -> tuple:
        return [], [], render.sources_html([]), gr.DownloadButton(value=None, interactive=False), ""

    def show_article(self, turns: list[Turn], evt: gr.EventData) -> str:
        """The whole article of source ``n`` of turn ``turn`` (sent by the sources panel's button)."""
        turn, n = int(evt.turn), int(evt.n)  # sent by the browser: check before indexing
        shown = turns[turn].answer.shown if 0 <= turn < len(turns) else []
        if not 1 <= n <= len(shown):
            raise gr.Error("找不到这条来源，请重新提问。")
        citation = shown[n - 1]
        doc = self.backend.article(citation.doc_id)
        if doc is None:
            return '<div class="article-missing">这篇文章已从文库中删除。</div>'
        return render.article_html(doc.metadata.get("title") or "", doc.page_content, citation)

    def rate(self, turns: list[Turn], evt: gr.LikeData) -> tuple:
        """Store a thumbs up/down on an answer; outputs: feedback id, the comment box."""
        if not isinstance(evt.liked, bool):  # a rating taken back
            return None, gr.Group(visible=False)
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        feedback_id = self.feedback.record(turns[index // 2].answer, evt.liked)
        gr.Info("已记录评价，可补充意见。")
        return feedback_id, gr.Group(visible=True)

    def comment(self, feedback_id: int | None, text: str) -> tuple:
        """Attach the optional comment to the last rating; outputs: comment text, comment box."""
        if feedback_id is not None and text.strip():
            self.feedback.set_comment(feedback_id, text)
            gr.Info("感谢您的意见。")
        return "", gr.Group(visible=False)


class LibraryEvents:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._lock = threading.Lock()
        self._cached: tuple[int, library.Snapshot] | None = None

    def snapshot(self) -> library.Snapshot:
        """The library as last read; read again only after an upload or removal.

        So a page load neither rereads the index nor waits for an upload running on the index thread.
        """
        with self._lock:
            # Taken before reading: a change landing mid-read leaves this count behind, so the next call rereads.
            changes = self.backend.changes
            if self._cached is None or self._cached[0] != changes:
                self._cached = (changes, library.snapshot(self.backend.articles(), self.backend.chunk_counts()))
            return self._cached[1]

    def views(self) -> tuple:
        """Everything that lists the library: table, source and place filters, two article pickers."""
        snap = self.snapshot()
        return (
            snap.rows,
            gr.Dropdown(choices=snap.sources),
            gr.Dropdown(choices=snap.places),
            gr.Dropdown(choices=snap.articles),
            gr.Dropdown(choices=snap.articles, value=None),
        )

    def _check_admin(self, password: str) -> None:
        if not library.is_admin(self.backend.settings.admin_password, password):
            raise gr.Error("管理员密码不正确。")

    def upload(self, files: list[str] | None, password: str, progress: gr.Progress = gr.Progress()) -> tuple:
        """Ingest uploaded files one by one (the progress bar counts files, and a scan's pages
        as OCR reads them); outputs: status, views."""
        self._check_admin(password)
        if not files:
            raise gr.Error("请先选择要上传的文件。")
        # Gradio finds the bar through context variables, which the index thread must be handed.
        context = contextvars.copy_context()
        lines = []
        for i, file in enumerate(map(Path, files)):
            progress((i, len(files)), desc=f"正在导入 {file.name}", unit="个文件")

            def page_read(done: int, total: int, name: str = file.name) -> None:
                context.run(progress, (done, total), desc=f"正在识别 {name}（扫描件）", unit="页")

            with _as_message("导入"):
                lines.append(library.ingest_summary(file.name, self.backend.ingest_upload(file, page_read)))
        return ("导入完成：\n" + "\n".join(lines), None, *self.views())

    def remove(self, doc_id: str | None, password: str) -> tuple:
        """Remove the chosen article's file from the index; outputs: status, views."""
        self._check_admin(password)
        if not doc_id:
            raise gr.Error("请先选择要删除的文章。")
        with _as_message("删除"):
            removed = self.backend.remove_document(doc_id)
        if not removed:
            raise gr.Error("文库中已没有这篇文章。")
        return (f"已删除 {len(removed)} 篇文章：{'、'.join(removed)}", *self.views())


class StudyEvents:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def make(self, topic: str, doc_ids: list[str] | None) -> tuple:
        """A study pack on a topic and/or articles; outputs: preview, Markdown and DOCX downloads."""
        topic = (topic or "").strip()
        if not topic and not doc_ids:
            raise gr.Error("请填写学习主题，或选择文章。")
        pack = self.backend.study_pack(topic, doc_ids or [])
        if not pack.sources:
            raise gr.Error("文库中没有找到与这个主题相关的内容，请换个说法或选择文章。")
        folder = download_dir()
        prompts_dir = self.backend.settings.prompts_dir
        markdown = to_markdown(pack, prompts_dir)
        md_path = folder / "学习材料.md"
        md_path.write_text(markdown, encoding="utf-8")
        docx_path = write_docx(pack, folder / "学习材料.docx", prompts_dir)
        return (
            markdown,
            gr.DownloadButton(value=str(md_path), interactive=True),
            gr.DownloadButton(value=str(docx_path), interactive=True),
        )
