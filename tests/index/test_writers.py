"""One writer per data_dir: an ingest while another process changes the index stops with a clear message."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.errors import IndexBusy
from index.service import open_index
from policyqa.cli import main
from tests.conftest import ARTICLES, make_settings
from tests.fakes import HashEmbeddings

HOLD = "import sys, filelock; lock = filelock.FileLock(sys.argv[1]); lock.acquire(); print('held', flush=True); sys.stdin.read()"


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path / "data")


@pytest.fixture
def other_writer(settings):
    """Another process holding the write lock until the test ends."""
    settings.data_dir.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(settings.write_lock_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    yield holder
    holder.stdin.close()
    holder.wait(timeout=10)


def test_a_second_writer_is_refused_and_writes_nothing(settings, other_writer):
    with open_index(settings, HashEmbeddings()) as idx:
        with pytest.raises(IndexBusy, match="another process is changing the index"):
            idx.ingest([ARTICLES])
        assert idx.store.count() == 0 and idx.articles() == []
        other_writer.stdin.close()
        other_writer.wait(timeout=10)
        assert idx.ingest([ARTICLES]).documents > 0  # the lock went with the process that held it


def test_the_cli_reports_the_busy_index_in_one_line(settings, other_writer, capsys):
    assert main(["--data-dir", str(settings.data_dir), "ingest", str(ARTICLES)]) == IndexBusy.exit_code
    assert capsys.readouterr().err.strip().startswith("ingest: another process is changing the index at")
