"""`briefings demo` end to end: it serves, archives, edits, archives again and shows the diff."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from worker.cli import main


def test_demo_archives_edits_and_shows_the_diff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "[-is.-]{+is real progress.+}" in result.stdout
    assert "+ turn 3, Question: When will the plan be signed?" in result.stdout
    assert "Try next:" in result.stdout
    with sqlite3.connect(tmp_path / "archive.db") as db:
        documents, versions = db.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM versions)"
        ).fetchone()
        sites = {row[0] for row in db.execute("SELECT site FROM documents")}
    assert (documents, versions) == (7, 8)
    assert sites == {"mid.ru", "globalsecurity"}
    # The suggested commands work on what the demo left behind.
    versions_out = CliRunner().invoke(main, ["versions", "1012-29-05-2024"])
    assert versions_out.exit_code == 0 and "v2" in versions_out.stdout


def test_demo_starts_afresh_but_never_over_a_real_archive(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    assert CliRunner().invoke(main, ["--db", str(db), "demo"]).exit_code == 0
    again = CliRunner().invoke(main, ["--db", str(db), "demo"])
    assert again.exit_code == 0, again.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM versions").fetchone() == (8,)
        conn.execute("UPDATE documents SET canonical_url = 'https://mid.ru/x/' WHERE id = 1")
    refused = CliRunner().invoke(main, ["--db", str(db), "demo"])
    assert refused.exit_code == 2
    assert refused.stderr.startswith(
        f"error: {db}: --db: holds 1 records that are not from the demo"
    )


def test_demo_keeps_an_archive_with_only_a_fetch_log(tmp_path: Path) -> None:
    """A real archive whose first fetches all failed has no documents yet; it is still real."""
    from worker.archive.db import Archive
    from worker.archive.store import store_failure

    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        store_failure(
            archive,
            "https://mid.ru/en/x/",
            source="mid",
            reason="http 503",
            page=None,
            duration=0.1,
        )
    refused = CliRunner().invoke(main, ["--db", str(db), "demo"])
    assert refused.exit_code == 2
    assert "not from the demo" in refused.stderr
    assert db.exists()
