"""Prompt and answer templates live as files in a prompts folder and are loaded by name.

The folder is always passed in (``Settings.prompts_dir``): with a default, a caller that
forgot it would silently read the repository's templates instead of the configured ones.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate


@lru_cache(maxsize=64)
def load_text(name: str, folder: Path) -> str:
    """The template ``<folder>/<name>.txt``, stripped; a missing name says which files exist."""
    path = folder / f"{name}.txt"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.txt")))
        raise FileNotFoundError(f"no prompt named {name!r} in {folder} (have: {known})")
    return path.read_text(encoding="utf-8").strip()


def load_chat_prompt(name: str, folder: Path) -> ChatPromptTemplate:
    """``<folder>/<name>.system.txt`` + ``<folder>/<name>.user.txt`` as a LangChain chat prompt."""
    return ChatPromptTemplate.from_messages(
        [("system", load_text(f"{name}.system", folder)), ("human", load_text(f"{name}.user", folder))]
    )
