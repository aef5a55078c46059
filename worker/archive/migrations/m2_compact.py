"""Migration 2: records compressed against their captures; sections; a contentless index.

Under migration 1 a version's text was stored twice beside its capture: as `passages.text` and
again in an FTS5 index with `passages` as its content; `versions.record` held the record's
outline (each section's paragraphs or turns replaced by their count), and every passage
repeated its section's part and heading. Migration 2 keeps each record whole in
`versions.record`, zstd-compressed against its capture's raw bytes (`records.py`), and makes
the passages rows of a contentless FTS5 index (text, heading with a section's first passage,
speaker) at rowids counted from `versions.passages_from` (`passages.py`); the `passages`
table goes. Together that is about half the archive's bytes.

The outline and the passages are joined here as migration 1's reader joined them, frozen with
this migration; the result is checked against the version's stored identity, so a version
whose stored parts disagree stops the upgrade (rolled back whole) instead of being changed.
`versions` is rebuilt (SQLite cannot change a column's type): `db.py` turns foreign keys off
for migrations, as SQLite's table-rebuild procedure asks, and `migrations.upgrade` checks
them before committing.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import zstandard

from worker.archive.captures import Dictionaries
from worker.errors import ArchiveError
from worker.record import Record

BEFORE = (
    # IF EXISTS: `sqlite-utils disable-fts` may have dropped them.
    'DROP TRIGGER IF EXISTS "passages_ai"',
    'DROP TRIGGER IF EXISTS "passages_ad"',
    'DROP TRIGGER IF EXISTS "passages_au"',
    'DROP TABLE IF EXISTS "passages_fts"',
    # Contentless: the index alone, no copy of the text (passages.py writes it).
    """CREATE VIRTUAL TABLE passages_fts USING FTS5 (
    text, heading, speaker,
    tokenize='unicode61 remove_diacritics 2',
    content=''
)""",
    "DROP VIEW IF EXISTS latest_versions",
    """CREATE TABLE versions_compact (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    number INTEGER NOT NULL,
    seen_at TEXT NOT NULL,
    cause TEXT NOT NULL CHECK (cause IN ('fetch', 'reparse')),
    identity TEXT NOT NULL,
    parser_version TEXT NOT NULL,
    capture_id INTEGER REFERENCES captures (id),
    passages_from INTEGER NOT NULL, -- its passages' rowids in passages_fts start here, one for
    -- each passage in record order (worker/archive/passages.py)
    record BLOB NOT NULL, -- the record's JSON (RECORD.md), zstd-compressed with the raw bytes of
    -- its capture as the dictionary (worker/archive/records.py)
    UNIQUE (document_id, number)
)""",
)

AFTER = (
    "DROP TABLE versions",
    # With legacy_alter_table on (db.py), the rename leaves views that name `versions`, the
    # worker's or a user's, as they are: they find the new table by its name.
    "ALTER TABLE versions_compact RENAME TO versions",
    "CREATE INDEX versions_capture_id ON versions (capture_id)",
    "CREATE INDEX versions_passages_from ON versions (passages_from, id)",
    """CREATE VIEW latest_versions AS
SELECT versions.* FROM versions
WHERE versions.number = (
    SELECT max(later.number) FROM versions AS later WHERE later.document_id = versions.document_id
)""",
    "DROP TABLE passages",
)

# Indexes and triggers a user added to `versions`: dropped with the old table, made again.
_OWN = """
SELECT sql FROM sqlite_master
WHERE tbl_name = 'versions' AND type IN ('index', 'trigger') AND sql IS NOT NULL
    AND name <> 'versions_capture_id'
"""
_VERSION = """
SELECT v.id, v.document_id, v.number, v.seen_at, v.cause, v.identity, v.parser_version,
    v.capture_id, v.record, c.body, c.dictionary_id, b.sha256, c.id
FROM versions AS v
LEFT JOIN captures AS c ON c.id = v.capture_id
LEFT JOIN captures AS b ON b.id = c.dictionary_id
WHERE v.id = ?
"""
_PASSAGES = (
    "SELECT section_index, role, speaker, text FROM passages WHERE version_id = ? ORDER BY seq"
)


def move(conn: sqlite3.Connection) -> None:
    """Copy every version into `versions_compact` with its record whole and compressed, and
    index its passages; then swap the tables (`AFTER`), keeping a user's indexes and triggers."""
    user_made = [row[0] for row in conn.execute(_OWN).fetchall()]
    dictionaries = Dictionaries()
    # One version at a time: an archive's captures never all sit in memory at once.
    for (version_id,) in conn.execute("SELECT id FROM versions ORDER BY id").fetchall():
        try:
            _move_version(conn, dictionaries, version_id)
        except (zstandard.ZstdError, ValueError, KeyError, TypeError) as error:
            raise ArchiveError(f"version {version_id}: cannot be read: {error}") from None
    for statement in AFTER:
        conn.execute(statement)
    for statement in user_made:
        conn.execute(statement)


def _move_version(conn: sqlite3.Connection, dictionaries: Dictionaries, version_id: int) -> None:
    row = conn.execute(_VERSION, (version_id,)).fetchone()
    where = f"version {version_id}"
    rows = conn.execute(_PASSAGES, (version_id,)).fetchall()
    record = Record.from_dict(_joined(json.loads(row[8]), rows, where))
    if record.identity() != row[5]:
        raise ArchiveError(f"{where}: its outline and passages do not make the stored record")
    body = None
    if row[7] is not None:
        if row[12] is None:
            raise ArchiveError(f"{where}: its capture {row[7]} is missing")
        body = dictionaries.unpack(conn, row[9], row[10], row[11])
    passages_from = _next_rowid(conn)
    conn.execute(
        "INSERT INTO versions_compact (id, document_id, number, seen_at, cause, identity,"
        " parser_version, capture_id, passages_from, record)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*row[:8], passages_from, _pack(record, body)),
    )
    _index(conn, passages_from, record)


def _joined(outline: dict[str, Any], rows: list[Any], where: str) -> dict[str, Any]:
    """Migration 1's record: the outline's sections filled, in order, with the passages."""
    sections: list[dict[str, Any]] = []
    at = 0
    for section in outline["sections"]:
        body = "paragraphs" if section["part"] == "statements" else "turns"
        mine = rows[at : at + int(section[body])]
        if len(mine) != int(section[body]):
            raise ArchiveError(f"{where}: its passages do not match its record's outline")
        at += len(mine)
        if body == "paragraphs":
            filled: list[Any] = [row[3] for row in mine]
        else:
            filled = [{"role": row[1], "speaker": row[2], "text": row[3]} for row in mine]
        sections.append({"part": section["part"], "heading": section["heading"], body: filled})
    if at != len(rows):
        raise ArchiveError(f"{where}: it has passages its record's outline lacks")
    return {**outline, "sections": sections}


# ---- schema 2's stored format, frozen with this migration ------------------------------------


def _pack(record: Record, capture_body: bytes | None) -> bytes:
    """The record's JSON, zstd-compressed (level 3, checksummed) against its capture's bytes."""
    data = json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()
    if capture_body is None:
        return zstandard.ZstdCompressor(level=3, write_checksum=True).compress(data)
    raw = zstandard.ZstdCompressionDict(capture_body, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdCompressor(level=3, dict_data=raw, write_checksum=True).compress(data)


def _next_rowid(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT rowid FROM passages_fts ORDER BY rowid DESC LIMIT 1").fetchone()
    return 1 if row is None else int(row[0]) + 1


def _index(conn: sqlite3.Connection, passages_from: int, record: Record) -> None:
    """The record's passages as rows of the contentless index, in record order; a section's
    heading with its first passage only."""
    rows = []
    seq = 0
    for section in record.sections:
        if section.part == "statements":
            spoken = [(record.speaker, text) for text in section.paragraphs]
        else:
            spoken = [(turn.speaker, turn.text) for turn in section.turns]
        for k, (speaker, text) in enumerate(spoken):
            rows.append((passages_from + seq, text, section.heading if k == 0 else None, speaker))
            seq += 1
    conn.executemany(
        "INSERT INTO passages_fts (rowid, text, heading, speaker) VALUES (?, ?, ?, ?)", rows
    )
