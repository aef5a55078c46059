"""`briefings forget URL --yes`: a document, its versions, text and own captures go; every other
capture stays readable, and the archive stays consistent."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import HTML, fixture_html, write_config
from httpserver import LocalServer, Reply

from worker.archive.captures import load
from worker.archive.db import Archive
from worker.cli import main

PAGES = {
    "/en/press_service/spokesman/briefings/1000001/": "midru-2024-05-29",
    "/en/press_service/spokesman/briefings/1000002/": "midru-2018-09-13",
    "/en/press_service/spokesman/briefings/1000003/": "midru-statement-2024-08-12",
}
FIRST = "/en/press_service/spokesman/briefings/1000001/"


@pytest.fixture
def archived(tmp_path: Path) -> Iterator[tuple[LocalServer, Path]]:
    db = tmp_path / "archive.db"
    fast = ["--config", str(write_config(tmp_path)), "--db", str(db)]
    with LocalServer() as server:
        for path, name in PAGES.items():
            server.route(path, Reply(200, fixture_html(name), HTML))
        urls = [server.url(path) for path in PAGES]
        result = CliRunner().invoke(main, [*fast, "fetch", "--site", "mid.ru", *urls])
        assert result.exit_code == 0, result.output
        # An edit: the first page gets a second version, its capture packed against the first.
        edited = fixture_html(PAGES[FIRST]).replace(
            b"Yes, there is. The work plan", b"Yes, there is real progress. The work plan"
        )
        server.route(FIRST, Reply(200, edited, HTML))
        again = CliRunner().invoke(main, [*fast, "fetch", "--site", "mid.ru", urls[0]])
        assert again.exit_code == 0 and again.output.startswith("changed"), again.output
        yield server, db


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("documents", "versions", "captures", "fetches", "passages")
        }


def test_forget_asks_for_yes(archived: tuple[LocalServer, Path]) -> None:
    server, db = archived
    before = counts(db)
    result = CliRunner().invoke(main, ["--db", str(db), "forget", server.url(FIRST)])
    assert result.exit_code == 2
    assert "--yes" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert counts(db) == before


def test_forget_removes_the_document_and_keeps_every_other_capture_readable(
    archived: tuple[LocalServer, Path],
) -> None:
    server, db = archived
    before = counts(db)
    result = CliRunner().invoke(main, ["--db", str(db), "forget", server.url(FIRST), "--yes"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("forgot ")
    after = counts(db)
    assert after["documents"] == before["documents"] - 1
    assert after["versions"] == before["versions"] - 2
    assert after["captures"] == before["captures"] - 2
    assert after["passages"] < before["passages"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute(
            "SELECT count(*) FROM fetches WHERE url = ?", (server.url(FIRST),)
        ).fetchone() == (0,)
        # The search index holds no passage of the forgotten document any more.
        indexed = conn.execute("SELECT count(*) FROM passages_fts").fetchone()[0]
        assert indexed == after["passages"]
    with Archive.open(db) as archive:
        ids = [row[0] for row in archive.conn.execute("SELECT id FROM captures")]
        for capture_id in ids:
            assert load(archive, capture_id).body.startswith((b"<", b"\xef", b"\n", b" "))
    for other in list(PAGES)[1:]:
        shown = CliRunner().invoke(main, ["--db", str(db), "show", server.url(other)])
        assert shown.exit_code == 0, shown.output
    gone = CliRunner().invoke(main, ["--db", str(db), "show", server.url(FIRST)])
    assert gone.exit_code == 2 and "no document" in gone.stderr


def test_forget_an_unknown_url_is_one_line(archived: tuple[LocalServer, Path]) -> None:
    server, db = archived
    result = CliRunner().invoke(main, ["--db", str(db), "forget", server.url("/nothing/"), "--yes"])
    assert result.exit_code == 2
    assert "no document" in result.stderr and len(result.stderr.strip().splitlines()) == 1
