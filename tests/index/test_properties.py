"""Property tests (hypothesis) of cleaning, article splitting and chunking on generated text."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document

from index.articles import split_articles
from index.chunking import chunk_document
from index.clean import _REPEATED_RUN, clean_text
from index.text.sentences import SENTENCE_END

PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Common hanzi, digits and a few letters: the stuff of article sentences.
_WORD_CHARS = "党建引领基层治理社区街道东城村民代表大会会议强调推进工作服务群众发展经济建设年月日人万元百千" + "0123456789ab"
_sentence = st.builds(
    lambda body, end: body + end,
    st.text(alphabet=_WORD_CHARS, min_size=1, max_size=120),
    st.sampled_from("。！？；"),
)
# Paragraphs of whole sentences: every line ends one, so no line is taken for a heading.
_paragraph = st.lists(_sentence, min_size=1, max_size=6).map("".join)
_article = st.lists(_paragraph, min_size=1, max_size=12).map("\n".join)


@PROPERTIES
@given(st.text())
def test_any_unicode_is_cleaned_without_error_and_cleaning_twice_changes_nothing_more(raw: str) -> None:
    once = clean_text(raw).text
    assert clean_text(once).text == once


@PROPERTIES
@given(st.text())
def test_any_unicode_is_split_and_chunked_without_error(raw: str) -> None:
    cleaned = clean_text(raw).text
    for number, article in enumerate(split_articles(cleaned)):
        doc = Document(page_content=article.body, metadata={"doc_id": f"d{number}", "title": article.title})
        for chunk in chunk_document(doc, 20, 60):
            assert chunk.text == article.body[chunk.start : chunk.end]


@PROPERTIES
@given(_article, st.integers(20, 300), st.integers(0, 300))
def test_chunks_map_back_exactly_and_hold_every_sentence_whole(text: str, low: int, extra: int) -> None:
    high = low + extra
    chunks = chunk_document(Document(page_content=text, metadata={"doc_id": "d", "title": ""}), low, high)
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
    for line in text.split("\n"):
        for sentence in re.findall(f".*?{SENTENCE_END.pattern}", line):
            if len(sentence) <= 2 * high:  # only a sentence over twice the maximum may be cut
                assert any(sentence in chunk.text for chunk in chunks), sentence


@PROPERTIES
@given(_article.filter(lambda text: not _REPEATED_RUN.search(text)))  # a run said 20 times is cut to 3 on purpose
def test_cleaning_keeps_every_sentence_of_plain_article_text(text: str) -> None:
    cleaned = clean_text(text).text
    for line in text.split("\n"):
        for sentence in re.findall(f".*?{SENTENCE_END.pattern}", line):
            assert sentence in cleaned
