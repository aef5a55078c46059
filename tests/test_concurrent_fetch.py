"""Two `briefings fetch` processes archiving the same pages into one archive at the same time."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import write_config

from worker.demo import site_pages
from worker.demo.site import SampleSite

ROOT = Path(__file__).resolve().parents[1]


def test_two_fetch_processes_at_once_no_error_no_duplicate(tmp_path: Path) -> None:
    pages = site_pages()
    briefings = [path for path in pages if "/briefings/1" in path or path.endswith(".htm")]
    db = tmp_path / "archive.db"
    with SampleSite(pages) as site:
        urls = [site.url(path) for path in briefings]
        command = [
            sys.executable,
            "-m",
            "worker",
            "--config",
            str(write_config(tmp_path)),  # no pacing: the processes meet as fast as they can
            "--db",
            str(db),
            "fetch",
            "--site",
            "mid.ru",
            *urls,
        ]
        # Each process in its own order, so they meet on the same pages at the same time.
        runs = [
            subprocess.Popen(
                cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for cmd in (command, [*command[: -len(urls)], *reversed(urls)])
        ]
        results = [run.communicate(timeout=120) for run in runs]
    for run, (_out, err) in zip(runs, results, strict=True):
        assert run.returncode == 0, err
        assert "locked" not in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        documents = conn.execute(
            "SELECT count(*), count(DISTINCT canonical_url) FROM documents"
        ).fetchone()
        versions = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
        fetches = conn.execute("SELECT count(*) FROM fetches").fetchone()[0]
    assert documents == (len(urls), len(urls))
    assert versions == len(urls)
    assert fetches == 2 * len(urls)
