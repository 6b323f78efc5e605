"""Chunks cut from the sample articles, and a small BM25 retriever over them.

Each non-trivial paragraph of a cleaned article (``index.clean.clean_text``, as ingest
cleans it) becomes one chunk, so tests see the text the index holds (traditional script
and all) without depending on the chunker.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.bm25 import Bm25Index
from index.clean import clean_text
from index.text.script import to_simplified
from index.types import Chunk
from core.settings import Settings
from rag.types import RetrievedChunk

ARTICLES = Path(__file__).resolve().parents[2] / "data" / "articles"
MIN_LINE = 20  # shorter lines are headings and bylines


def make_chunk(text: str, doc_id: str = "doc", title: str = "", date: str | None = None) -> Chunk:
    """A chunk of ``text`` alone, with its simplified search text."""
    return Chunk(doc_id, text, to_simplified(text), start=0, end=len(text), title=title, date=date)


def as_hits(chunks: list[Chunk]) -> list[RetrievedChunk]:
    return [RetrievedChunk(chunk, score=1 / rank, ranks={"test": rank}) for rank, chunk in enumerate(chunks, 1)]


@dataclass(frozen=True)
class Sample:
    """One article of a sample file: the cleaned lines from ``first`` to ``last`` (prefixes)."""

    doc_id: str
    file: str
    title: str
    date: str | None
    first: str
    last: str


SAMPLES = (
    Sample("000", "000_3f0149dc5789c7e7.txt", "东莞东城街道：“三三三”模式提升党建引领基层治理质效", "2023-06-28", "东莞东城街道将", "东城街道扎实推进"),
    Sample("001", "001_3e734db6665a666c.txt", "“莞雁學堂”走進東城，聚焦“基層治理”", "2024-12-16", "近日", "橫瀝鎮"),
    Sample("002#1", "002_258a9ff317ac8ce5.txt", "增城区新塘镇东华村：党建引领城中村治理发展新格局", None, "为深入贯彻", "下一步"),
    Sample("002#2", "002_258a9ff317ac8ce5.txt", "", None, "近日，市捐赠站", "在职党员们"),
    Sample("002#3", "002_258a9ff317ac8ce5.txt", "", None, "6月13日", "6月13日"),
    Sample("003", "003_2a15d0c01b2107ed.txt", "", None, "东区街道是中山市", "在党建引领"),
    Sample("004", "004_1c323a8c0c746609.txt", "东莞：基层党组织坚强有力 群众难题应声而解", "2020-09-11", "加强和改进", "三是统筹外宣口径"),
)


def _paragraphs(sample: Sample) -> list[str]:
    lines = clean_text((ARTICLES / sample.file).read_text(encoding="utf-8")).text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(sample.first))
    last = next(i for i, line in enumerate(lines) if i >= first and line.startswith(sample.last))
    return [line for line in lines[first : last + 1] if len(line) >= MIN_LINE]


@pytest.fixture(scope="session")
def corpus() -> list[Chunk]:
    return [
        make_chunk(text, doc_id=s.doc_id, title=s.title, date=s.date) for s in SAMPLES for text in _paragraphs(s)
    ]


@pytest.fixture(scope="session")
def retrieve(corpus: list[Chunk]) -> Callable[..., list[RetrievedChunk]]:
    """Top-k sample chunks for a question, by BM25 on the simplified question like the retriever."""
    index = Bm25Index.build([str(i) for i in range(len(corpus))], [c.search_text for c in corpus])

    def search(question: str, k: int = 5) -> list[RetrievedChunk]:
        found = index.search(to_simplified(question), k)
        return as_hits([corpus[int(i)] for i, _ in found])

    return search


@pytest.fixture(scope="session")
def paragraph(corpus: list[Chunk]) -> Callable[[str], Chunk]:
    """The sample chunk that contains ``text``."""
    return lambda text: next(c for c in corpus if text in c.text)


@pytest.fixture
def edited_prompts(tmp_path: Path) -> Callable[[str, str], Settings]:
    """Settings whose prompts folder is a copy of the configured one with template ``name``
    rewritten as ``text``: output showing ``text`` was read from the configured folder."""

    def edit(name: str, text: str) -> Settings:
        folder = tmp_path / "prompts"
        shutil.copytree(Settings().prompts_dir, folder, dirs_exist_ok=True)
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
        return Settings(prompts_dir=folder)

    return edit
