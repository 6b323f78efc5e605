"""The Gradio UI: cited chat, study packs, the article library. Layout and wiring only.
It is served mounted on the HTTP API's FastAPI app (policyqa/api.py).

Handlers live in webui/events.py, markup in webui/render.py; both call index/ and rag/.
Run with `policyqa serve` (or `python app.py`).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import uvicorn
from fastapi import FastAPI

from core.settings import Settings
from policyqa.api import build_api
from webui import render
from webui.backend import Backend
from webui.events import ChatEvents, LibraryEvents, StudyEvents
from webui.feedback import FeedbackLog
from webui.library import LIBRARY_HEADERS, UPLOAD_TYPES

ASSETS = Path(__file__).resolve().parent / "webui"
TITLE = "PolicyQA 政策问答"

# The sources panel asks the server for the whole article of the source whose button was pressed.
OPEN_ARTICLE_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('.open-article');
  if (button) trigger('open_article', {turn: Number(button.dataset.turn), n: Number(button.dataset.n)});
});
"""
# A freshly shown article scrolls to its highlighted passage.
SCROLL_TO_PASSAGE_JS = """
watch('value', () => {
  element.querySelector('.passage-in-article')?.scrollIntoView({block: 'center', behavior: 'smooth'});
});
"""


def build_app(backend: Backend, feedback: FeedbackLog) -> gr.Blocks:
    chat = ChatEvents(backend, feedback)
    lib = LibraryEvents(backend)
    study = StudyEvents(backend)
    # Choices known at start-up too, not only after the page loads: API clients never load the page.
    snap = lib.snapshot()
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"## {TITLE}\n回答只依据文库中的文章，每句都标明出处；点击 [1] 这样的编号查看原文段落。")
        turns = gr.State([])
        feedback_id = gr.State(None)
        with gr.Tab("问答", id="chat-tab"):
            with gr.Accordion("筛选：来源、地点、日期", open=False):
                with gr.Row():
                    source_filter = gr.Dropdown(snap.sources, label="来源", multiselect=True, min_width=160)
                    place_filter = gr.Dropdown(snap.places, label="地点", multiselect=True, min_width=160)
                    date_from = gr.Textbox(label="起始日期", placeholder="2023-01-01", min_width=140)
                    date_to = gr.Textbox(label="截止日期", placeholder="2024-12-31", min_width=140)
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=320):
                    chatbot = gr.Chatbot(
                        label="对话", elem_id="chat", height=460, buttons=["copy"],
                        placeholder="请就文库中的政策文章提问，例如：东华村户籍人口有多少？",
                    )
                    question = gr.Textbox(
                        show_label=False, placeholder="输入问题，按回车提问", submit_btn="提问", elem_id="question"
                    )
                    with gr.Row():
                        new_chat = gr.Button("新对话", size="sm", min_width=80)
                        export = gr.DownloadButton("导出问答（Markdown）", size="sm", interactive=False, min_width=160)
                    with gr.Group(visible=False) as comment_box:
                        comment = gr.Textbox(label="补充意见（可选）", placeholder="哪里好，哪里不对？")
                        send_comment = gr.Button("提交意见", size="sm")
                with gr.Column(scale=2, min_width=300):
                    gr.Markdown("#### 来源")
                    sources = gr.HTML(render.sources_html([]), elem_id="sources", js_on_load=OPEN_ARTICLE_JS)
                    article = gr.HTML("", elem_id="article-view", js_on_load=SCROLL_TO_PASSAGE_JS)

        with gr.Tab("学习材料", id="study-tab"):
            topic = gr.Textbox(label="学习主题", placeholder="例如：党建引领基层治理")
            study_pick = gr.Dropdown(snap.articles, label="指定文章（可选，可多选）", multiselect=True)
            make_pack = gr.Button("生成学习材料", variant="primary")
            with gr.Row():
                pack_md = gr.DownloadButton("下载 Markdown", interactive=False, min_width=140)
                pack_docx = gr.DownloadButton("下载 Word（DOCX）", interactive=False, min_width=140)
            pack_preview = gr.Markdown(elem_id="study-preview")

        with gr.Tab("文库", id="library-tab"):
            table = gr.Dataframe(snap.rows, headers=LIBRARY_HEADERS, interactive=False, wrap=True, elem_id="library")
            is_admin_set = bool(backend.settings.admin_password)
            gr.Markdown("未设置管理员密码（POLICYQA_ADMIN_PASSWORD），文库为只读。", visible=not is_admin_set)
            with gr.Accordion("管理文库（需管理员密码）", open=False, visible=is_admin_set, elem_id="admin"):
                password = gr.Textbox(label="管理员密码", type="password")
                files = gr.File(
                    label="上传文章（txt、md、html、pdf、docx；扫描件 pdf 与图片 png、jpg、tif 经 OCR 识别）",
                    file_count="multiple", file_types=UPLOAD_TYPES,
                )
                upload = gr.Button("上传并导入", variant="primary")
                remove_pick = gr.Dropdown(snap.articles, value=None, label="要删除的文章（同一文件中的文章一并删除）")
                remove = gr.Button("删除文章", variant="stop")
                admin_status = gr.Markdown(elem_id="admin-status")

        views = [table, source_filter, place_filter, study_pick, remove_pick]
        filters = [source_filter, place_filter, date_from, date_to]
        question.submit(chat.ask, inputs=[question, turns, *filters],
                        outputs=[chatbot, turns, sources, question, export, article], api_name="ask")
        clear_outputs = [chatbot, turns, sources, export, article]
        new_chat.click(chat.clear, outputs=clear_outputs, api_name="new_chat")
        chatbot.clear(chat.clear, outputs=clear_outputs, api_visibility="private")  # the chat's own trash button
        sources.open_article(chat.show_article, inputs=turns, outputs=article, api_visibility="private")
        chatbot.like(chat.rate, inputs=turns, outputs=[feedback_id, comment_box], api_visibility="private")
        send_comment.click(chat.comment, inputs=[feedback_id, comment], outputs=[comment, comment_box],
                           api_visibility="private")
        make_pack.click(study.make, inputs=[topic, study_pick], outputs=[pack_preview, pack_md, pack_docx],
                        api_name="study_pack")
        # Without a configured password these are hidden, and the handlers refuse every password anyway.
        upload.click(lib.upload, inputs=[files, password], outputs=[admin_status, files, *views], api_name="upload")
        remove.click(lib.remove, inputs=[remove_pick, password], outputs=[admin_status, *views], api_name="remove")
        # Quietly: the library shown at start-up is only refreshed, so no spinner needs to cover it.
        demo.load(lib.views, outputs=views, api_name="library", show_progress="hidden")
    return demo


def build_server(backend: Backend) -> FastAPI:
    """The HTTP API (policyqa/api.py) with the UI mounted at "/": one process, one index and chain."""
    demo = build_app(backend, FeedbackLog(backend.settings.data_dir / "feedback.sqlite"))
    return gr.mount_gradio_app(
        build_api(backend),
        demo.queue(default_concurrency_limit=backend.settings.answer_workers),
        path="/",
        css_paths=[ASSETS / "app.css"],
        js=(ASSETS / "app.js").read_text(encoding="utf-8"),
        footer_links=["api"],
        run_history=False,  # questions may be sensitive: keep no copy in the browser
        # Gradio refuses a bigger upload before it is written; the loaders hold each type to its own limit.
        max_file_size=max(backend.settings.max_file_bytes, backend.settings.max_scan_bytes),
    )


def launch(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    backend = Backend(settings)
    try:
        backend.warm_up()
        uvicorn.run(build_server(backend), host=host, port=port)
    finally:
        backend.close()


if __name__ == "__main__":
    launch(Settings())
