"""Progress bars: on a terminal (a real pseudo-terminal here) a bar; on a pipe, nothing at all."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES

from worker.archive import Archive, store_page
from worker.cli.progress import on_terminal, progress_bar
from worker.extract import PARSER_VERSION, extract
from worker.page import Page
from worker.profiles import load_profiles


def test_nothing_is_written_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with progress_bar("reparse", 3, stream=stream) as bar:
        for _ in range(3):
            bar.advance()
        bar.update(3, 3)
    assert stream.getvalue() == ""
    assert not on_terminal(stream)


def test_a_bar_on_a_terminal() -> None:
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as terminal:
            assert on_terminal(terminal)
            with progress_bar("reparse", 3, stream=terminal) as bar:
                for _ in range(3):
                    bar.advance()
            terminal.flush()
        os.set_blocking(leader, False)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
        os.close(follower)
    assert b"reparse" in shown
    assert b"3/3" in shown


def test_reparse_and_export_on_a_pipe_write_no_progress(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    page = FIXTURES / "pages" / "midru-2024-05-29.html"

    def briefings(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "worker", "--db", str(db), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)

    # An archive with one document, stored as the pipeline stores a fetched page.
    url = "https://mid.ru/en/press_service/spokesman/briefings/1955710/"
    fetched = Page.from_bytes(page.read_bytes(), url=url, headers={"content-type": "text/html"})
    record = extract(fetched, load_profiles().choose(url, "mid.ru"))
    with Archive.open(db) as archive:
        store_page(
            archive, fetched, record, source=None, parser_version=PARSER_VERSION, duration=0.0
        )
    reparse = briefings("reparse", "--all")
    assert reparse.returncode == 0, reparse.stderr
    assert reparse.stderr == ""
    assert reparse.stdout.startswith("checked 1:")
    export = briefings("export", "--out", str(tmp_path / "out.jsonl"))
    assert export.returncode == 0, export.stderr
    assert (export.stdout, export.stderr) == ("", "")
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8").count("\n") == 1
