"""Upgrading an archive made under an older schema: nothing is lost, and a bad one is refused whole.

An archive at schema 1 is built here as migration 1's writer built it: the record's outline in
`versions.record`, its text in `passages.text`, an FTS5 index with `passages` as its content.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import zstandard
from conftest import fixture_html, fixture_record

from worker.archive import (
    Archive,
    export_records,
    get_version,
    known_urls,
    list_versions,
    search,
)
from worker.archive.migrations import MIGRATIONS, SCHEMA_VERSION
from worker.archive.texts import passages
from worker.errors import ArchiveError
from worker.record import Record

NAMES = ("midru-2024-05-29", "globalsecurity-2020-11-05", "midru-ru-2020-11-05")
T0 = "2024-06-01T12:00:00+00:00"


def fixture(name: str) -> tuple[Record, bytes]:
    return fixture_record(name), fixture_html(name)


def outline(record: Record) -> str:
    """Migration 1's `versions.record`: each section's paragraphs or turns as their count."""
    data: dict[str, Any] = record.to_dict()
    data["sections"] = [
        {
            "part": s["part"],
            "heading": s["heading"],
            **({"paragraphs": len(s["paragraphs"])} if "paragraphs" in s else {}),
            **({"turns": len(s["turns"])} if "turns" in s else {}),
        }
        for s in data["sections"]
    ]
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def schema_1_archive(path: Path, identity: str | None = None) -> list[Record]:
    """An archive at schema 1 with one version of each fixture (the first with `identity`)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0].statements:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    stored = []
    for number, name in enumerate(NAMES, start=1):
        record, html = fixture(name)
        url = record.url or f"https://example.org/{name}"
        conn.execute(
            "INSERT INTO documents (id, canonical_url, first_seen) VALUES (?, ?, ?)",
            (number, url, T0),
        )
        conn.execute(
            "INSERT INTO captures (id, document_id, url, host, fetched_at, status, headers,"
            " sha256, size, body) VALUES (?, ?, ?, 'h', ?, 200, '{}', ?, ?, ?)",
            (number, number, url, T0, name, len(html), zstandard.compress(html)),
        )
        conn.execute(
            "INSERT INTO versions (id, document_id, number, seen_at, cause, identity,"
            " parser_version, capture_id, record) VALUES (?, ?, 1, ?, 'fetch', ?, 'p1', ?, ?)",
            (
                number,
                number,
                T0,
                identity if identity and number == 1 else record.identity(),
                number,
                outline(record),
            ),
        )
        for p in passages(record):
            conn.execute(
                "INSERT INTO passages (version_id, seq, section_index, part, heading, role,"
                " speaker, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (number, p.seq, p.section_index, p.part, p.heading, p.role, p.speaker, p.text),
            )
        stored.append(record)
    conn.close()
    return stored


def test_schema_1_upgrades_with_every_record_and_search_intact(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    stored = schema_1_archive(path)
    with Archive.open(path) as archive:
        assert archive.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert archive.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        for document_id, record in enumerate(stored, start=1):
            version = get_version(archive, document_id)
            assert version.record == record and version.identity == record.identity()
            assert len(list_versions(archive, document_id)) == 1
        # Every passage of every version in plain rows again (through schema 2), indexed.
        counts = [len(list(passages(record))) for record in stored]
        total = archive.conn.execute("SELECT count(*) FROM texts").fetchone()[0]
        assert total == sum(counts)
        # Migration 6 stored each version's passage count, as a new version's is written.
        stored_counts = archive.conn.execute("SELECT passages FROM versions ORDER BY id")
        assert [row[0] for row in stored_counts] == counts
        hits = search(archive, '"disaster management"')
        assert hits and all("[disaster management]" in hit.snippet for hit in hits)
        assert search(archive, "эпидемиологическ*")  # the Russian fixture's text, indexed again
        assert archive.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert archive.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_an_upgrade_that_would_change_a_record_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    schema_1_archive(path, identity="0" * 64)
    before = path.read_bytes()
    with pytest.raises(ArchiveError, match=r"old\.db: .*version 1: its outline and passages"):
        Archive.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM passages WHERE text <> ''").fetchone()[0] > 0
    conn.close()
    assert len(path.read_bytes()) == len(before)


def test_a_users_views_indexes_and_dropped_triggers_do_not_stop_the_upgrade(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    stored = schema_1_archive(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE VIEW my_versions AS SELECT id, number FROM versions")
    conn.execute("CREATE INDEX my_versions_seen ON versions (seen_at)")
    conn.execute('DROP TRIGGER "passages_ai"')  # as `sqlite-utils disable-fts` leaves it
    conn.close()
    with Archive.open(path) as archive:
        assert get_version(archive, 1).record == stored[0]
        assert archive.conn.execute("SELECT count(*) FROM my_versions").fetchone() == (3,)
        indexes = {row[1] for row in archive.conn.execute("PRAGMA index_list(versions)")}
        assert "my_versions_seen" in indexes


def test_an_unreadable_capture_stops_the_upgrade_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    schema_1_archive(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE captures SET body = x'00112233' WHERE id = 2")
    conn.close()
    with pytest.raises(ArchiveError) as raised:
        Archive.open(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: cannot upgrade to schema 2, nothing was changed:")
    assert "version 2: cannot be read" in message and "\n" not in message
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


# --- schema 2, as the worker before migrations 3 and 4 wrote it (tests/data/make_schema2_archive.py) ---

SCHEMA_2 = Path(__file__).parent / "data" / "schema2.db"
SCHEMA_2_EXPORT = Path(__file__).parent / "data" / "schema2-export.jsonl"


def test_a_schema_2_archive_upgrades_in_place_with_its_export_byte_identical(
    tmp_path: Path,
) -> None:
    path = tmp_path / "archive.db"
    path.write_bytes(SCHEMA_2.read_bytes())
    with Archive.open(path) as archive:
        assert archive.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        exported = "".join(
            json.dumps(version.to_dict(), ensure_ascii=False) + "\n"
            for version in export_records(archive, None)
        )
        assert exported == SCHEMA_2_EXPORT.read_text(encoding="utf-8")
        # The redirect logged as a 301 `gone` is `moved` now; a real 404 stays `gone`.
        outcomes = archive.conn.execute(
            "SELECT status, outcome FROM fetches WHERE outcome IN ('gone', 'moved') ORDER BY id"
        ).fetchall()
        assert outcomes == [(404, "gone"), (301, "moved")]
        assert known_urls(archive, ["https://example.org/old-address"])
        # The edited briefing: three versions, the text they share stored once.
        timeline = archive.conn.execute(
            "SELECT version, changes FROM timeline WHERE document_id = 1 ORDER BY version"
        ).fetchall()
        assert timeline == [
            (1, "first version"),
            (2, "1 section changed"),
            (3, "1 section changed, 1 turn added"),
        ]
        distinct = archive.conn.execute("SELECT count(DISTINCT passage_id) FROM texts")
        assert distinct.fetchone()[0] == archive.conn.execute(
            "SELECT count(*) FROM passages"
        ).fetchone()[0]
        hits = search(archive, "Arctic", all_versions=True)
        assert {hit.document_id for hit in hits} >= {1}
        assert archive.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert archive.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
