"""Unanswerable questions by removal: a benchmark question asked with its gold documents, and
every near-copy of them, left out of the search (``SearchFilter.exclude_doc_ids``, no re-indexing).

Only questions whose gold answer then occurs in no remaining document are kept: the topic is
still in the library, the fact is not, and the right outcome is a refusal. The answer-absent
check is the ``contains`` one (eval.metrics.text.normalise, then a substring test), so a
bare-number gold answer such as "200" also counts as present inside "2000" or "1200": such a
question is dropped, never kept wrongly, which makes the set smaller rather than wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.benchmarks import read_jsonl
from eval.metrics.text import normalise
from eval.questions import Question
from index.service import Index


@dataclass(frozen=True)
class LibraryText:
    """A searchable text of the set (a whole document, or a stored chunk) and what removes it."""

    doc_id: str
    story_id: str  # the article it is a near-copy of, or its own doc_id
    text: str


def removal_questions(questions: Sequence[Question], library: Iterable[LibraryText]) -> list[Question]:
    """The answerable questions with gold documents whose gold answers occur in no text left
    once the gold documents and their copies are removed, in question order."""
    texts = [(t.doc_id, t.story_id, normalise(t.text)) for t in library]
    kept = []
    for question in questions:
        if not (question.answerable and question.doc_ids):
            continue
        gold = set(question.doc_ids)
        answers = [a for a in map(normalise, question.answers) if a]
        if not answers:
            continue
        remaining = (text for doc_id, story_id, text in texts if doc_id not in gold and story_id not in gold)
        if not any(a in text for text in remaining for a in answers):
            kept.append(question)
    return kept


def library_texts(idx: Index, paths: Sequence[Path]) -> list[LibraryText]:
    """What the search can return: the documents of a JSON Lines file (title and text) that
    have stored chunks, each with its story id from the store; otherwise the stored chunks."""
    stories: dict[str, str] = {}
    chunks = []
    for chunk in idx.store.chunks():
        stories[chunk.doc_id] = chunk.story_id
        chunks.append(LibraryText(chunk.doc_id, chunk.story_id, f"{chunk.title}\n{chunk.text}"))
    if len(paths) == 1 and paths[0].is_file() and paths[0].suffix == ".jsonl":
        return [
            LibraryText(doc["doc_id"], stories[doc["doc_id"]], f"{doc.get('title', '')}\n{doc['text']}")
            for doc in read_jsonl(paths[0])
            if doc.get("doc_id") in stories  # an exact duplicate has no chunks: the search never returns it
        ]
    return chunks
