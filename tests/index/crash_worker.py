"""Runs ingests and removals in forked processes that a test may SIGKILL at any moment.

Reads JSON commands on stdin, ``["ingest", DATA_DIR, PATH...]`` or ``["remove", DATA_DIR, PATH]``.
For each it forks, prints the child's pid, waits, and prints ``{"pid", "status"}``: the exit
code, or minus the signal that ended the child. Imports and
warm-up happen once here, before any Chroma client exists, so a trial costs its own work only
and a kill lands inside the ingest rather than in Python's start-up.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

import index.store
from core.settings import Settings
from index.documents import build_documents
from index.service import open_index
from index.types import SourceText
from tests.fakes import HashEmbeddings

# Small batches: many Chroma writes, so many places for a kill to land between them.
BATCH = 4
index.store._UPSERT_ROWS = BATCH


def _run(kind: str, data_dir: str, paths: list[str]) -> None:
    with open_index(Settings(data_dir=Path(data_dir), embed_batch_size=BATCH), HashEmbeddings()) as idx:
        if kind == "ingest":
            idx.ingest([Path(p) for p in paths])
        else:
            idx.remove_file(paths[0])


def main() -> None:
    build_documents(SourceText(Path("warm.txt"), "东莞市东城街道召开会议。\n会议强调党建引领。", "utf-8"), "warm")
    for line in sys.stdin:
        kind, data_dir, *paths = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _run(kind, data_dir, paths)
            except BaseException:
                traceback.print_exc()
                code = 1
            os._exit(code)  # no atexit hooks or buffers of the parent's copy run twice
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"pid": pid, "status": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    main()
