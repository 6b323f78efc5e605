"""The boundaries of the layers, read from the syntax trees of the sources.

index/ owns the storage engines: only it may import them or reach into a store's private
parts. core/ (settings, errors) is the ground everything may import and that imports nothing of
the project; index/ and rag/ are libraries; the roof (policyqa/: CLI and factory; UI, eval, app)
wires them, never the other way round.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# bm25s stores nothing of ours now; it is the reference index/bm25.py's scores are checked against, in tests/index
ENGINES = {"chromadb", "langchain_chroma", "bm25s"}
PRIVATE_PARTS = {"vectors", "_vectors", "bm25", "_bm25", "_collection"}
EDGES = {"policyqa", "webui", "eval", "app", "bench"}
PROJECT = {"index", "rag", "models", *EDGES}


def python_files(*roots: str, skip: tuple[str, ...] = ()) -> list[Path]:
    files = []
    for root in roots:
        path = REPO / root
        found = [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))
        files += [f for f in found if not any(f.is_relative_to(REPO / s) for s in skip)]
    return files


def imported_modules(path: Path) -> Iterator[str]:
    """Every module the file imports, anywhere in it, relative imports made absolute."""
    package = path.relative_to(REPO).with_suffix("").parts[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] if node.level else ())
            module = ".".join(x for x in (base, node.module) if x)
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)  # from policyqa import cli


def attributes(path: Path) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Attribute):
            yield node.attr, node.lineno


def within(module: str, packages: set[str]) -> str | None:
    return next((p for p in packages if module == p or module.startswith(p + ".")), None)


OUTSIDE_INDEX = python_files(
    "core", "models", "rag", "eval", "webui", "policyqa", "bench", "app.py", "tests", skip=("tests/index",)
)
LIBRARIES = python_files("index", "rag", "models")
GROUND = python_files("core")


def name(path: Path) -> str:
    return str(path.relative_to(REPO))


def test_the_scans_see_the_tree():
    assert len(OUTSIDE_INDEX) > 50 and len(LIBRARIES) > 20 and len(GROUND) >= 2
    assert {"rag", "eval", "webui", "policyqa", "app.py", "tests"} <= {p.relative_to(REPO).parts[0] for p in OUTSIDE_INDEX}
    assert not any(p.is_relative_to(REPO / "tests" / "index") for p in OUTSIDE_INDEX)


@pytest.mark.parametrize("path", OUTSIDE_INDEX, ids=name)
def test_no_storage_engine_outside_index(path):
    engines = [m for m in imported_modules(path) if within(m, ENGINES)]
    assert not engines, f"{name(path)} imports {engines}: go through index.store.ChunkStore"
    private = [f".{attr} (line {line})" for attr, line in attributes(path) if attr in PRIVATE_PARTS]
    assert not private, f"{name(path)} reaches into a store: {private}"


@pytest.mark.parametrize("path", LIBRARIES, ids=name)
def test_index_and_rag_do_not_import_the_edges(path):
    edges = sorted({m for m in imported_modules(path) if within(m, EDGES)})
    assert not edges, f"{name(path)} imports {edges}: the edges wire the libraries, not the other way round"


@pytest.mark.parametrize("path", GROUND, ids=name)
def test_the_ground_imports_nothing_of_the_project(path):
    project = sorted({m for m in imported_modules(path) if within(m, PROJECT)})
    assert not project, f"{name(path)} imports {project}: core/ is what every layer stands on"


def test_the_guards_catch_what_they_guard(tmp_path, monkeypatch):
    """The scans themselves: each kind of violation, written the ways Python allows, is found."""
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    rag = tmp_path / "rag"
    rag.mkdir()
    bad = rag / "bad.py"
    bad.write_text(
        "import chromadb.config\n"
        "def f(store):\n"
        "    from langchain_chroma import Chroma\n"
        "    from policyqa import factory\n"
        "    from ..webui import render\n"
        "    return store._vectors, store.bm25\n",
        encoding="utf-8",
    )
    modules = set(imported_modules(bad))
    assert {within(m, ENGINES) for m in modules} >= {"chromadb", "langchain_chroma"}
    assert {within(m, EDGES) for m in modules} >= {"policyqa", "webui"}
    assert {attr for attr, _ in attributes(bad)} & PRIVATE_PARTS == {"_vectors", "bm25"}
