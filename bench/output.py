"""Where a benchmark's result goes: JSON for tools, Markdown for people, the Markdown also printed."""

from __future__ import annotations

import json
from pathlib import Path


def write_result(folder: Path, name: str, result: dict, markdown: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    (folder / f"{name}.md").write_text(markdown, encoding="utf-8")
    print(markdown)
