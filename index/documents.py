"""file text -> article Documents: clean, split pasted articles apart, attach metadata."""

from __future__ import annotations

from collections import Counter

from langchain_core.documents import Document

from index.articles import split_articles
from index.clean import clean_text
from index.metadata import extract_metadata
from index.pages import page_metadata
from index.types import SourceText


def build_documents(source: SourceText, base_id: str) -> tuple[list[Document], Counter[str]]:
    """The articles in one source text, and how often each cleaning rule fired."""
    cleaned = clean_text(source.text)
    counts = Counter(cleaned.counts)
    if source.doc_id is not None:  # a JSON Lines record is one document with its own id
        return [_record_document(source, cleaned.text, cleaned.warnings, counts)], counts
    articles = split_articles(cleaned.text)
    ids = [base_id] if len(articles) == 1 else [f"{base_id}#{i}" for i in range(1, len(articles) + 1)]
    docs = []
    for doc_id, article in zip(ids, articles):
        meta = extract_metadata(source.text, article)
        official = meta.official
        docs.append(
            Document(
                page_content=article.body,
                metadata={
                    "doc_id": doc_id,
                    "title": official.title or article.title,
                    "date": meta.date,
                    "source": meta.source,
                    "places": list(meta.places),
                    "path": str(source.path),
                    "warnings": list(cleaned.warnings),
                    "cleaning": dict(counts),  # of the whole file: the library shows what was removed
                    **({"doc_number": official.number} if official.number else {}),
                    **({"issuer": official.issuer} if official.issuer else {}),
                    **page_metadata(article.body, source.pages),
                },
            )
        )
    return docs, counts


def _record_document(source: SourceText, text: str, warnings: tuple[str, ...], counts: Counter[str]) -> Document:
    title = source.title or text.split("\n", 1)[0][:40]
    return Document(
        page_content=text,
        metadata={
            "doc_id": source.doc_id,
            "title": title,
            "date": source.date,
            "source": source.source,
            "places": [],
            "path": str(source.path),
            "warnings": list(warnings),
            "cleaning": dict(counts),
        },
    )
