"""The archive's schema, created and upgraded by numbered migrations.

`PRAGMA user_version` holds the number of the last migration applied. `upgrade` runs the missing
ones, in order, inside the caller's write transaction, so two processes opening a new archive at
once cannot both create it. Migration 1 created the whole schema; later changes append a
migration, never edit an old one (tests snapshot the result). A migration is SQL statements,
then, if it has one, a step in Python (moving data, rebuilding a table).

The tables are plain tables that `sqlite-utils` and Datasette read as they are. Since migration
2 the text of a version lives only in its compressed record (`records.py`), and the FTS5 index
over passages is contentless (`passages.py`): search it with `briefings search`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from worker.archive import migration2, outbox
from worker.errors import ArchiveError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    move: Callable[[sqlite3.Connection], None] | None = None  # runs after `statements`


_TABLES = (
    """CREATE TABLE sources (
    name TEXT PRIMARY KEY,
    last_run_at TEXT,
    last_outcome TEXT,
    failure_streak INTEGER NOT NULL DEFAULT 0,
    backed_off_until TEXT,
    reported_failure INTEGER NOT NULL DEFAULT 0 -- 1 once the current failure streak was reported
)""",
    """CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    canonical_url TEXT NOT NULL UNIQUE,
    site TEXT,
    document_number TEXT,
    title TEXT,
    published TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT,
    last_checked TEXT,
    next_check_at TEXT,
    checks INTEGER NOT NULL DEFAULT 0,
    gone_at TEXT,
    etag TEXT,
    last_modified TEXT
)""",
    """CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    document_id INTEGER REFERENCES documents (id), -- null: failed to parse, no document yet
    url TEXT NOT NULL,
    host TEXT NOT NULL, -- of the URL (with a non-default port): the site whose bases it uses
    fetched_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL, -- JSON object, lower-case keys
    sha256 TEXT NOT NULL UNIQUE, -- of the raw bytes: identical bytes are stored once
    size INTEGER NOT NULL, -- of the raw bytes
    dictionary_id INTEGER REFERENCES captures (id), -- the base whose raw bytes are the zstd
    -- dictionary of body; null: this capture is a base, plain zstd (worker/archive/dictionaries.py)
    body BLOB NOT NULL -- the raw bytes, zstd-compressed
)""",
    """CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    number INTEGER NOT NULL,
    seen_at TEXT NOT NULL,
    cause TEXT NOT NULL CHECK (cause IN ('fetch', 'reparse')),
    identity TEXT NOT NULL,
    parser_version TEXT NOT NULL,
    capture_id INTEGER REFERENCES captures (id),
    record TEXT NOT NULL, -- JSON, RECORD.md, with each section's paragraphs or turns replaced by
    -- their count: the text is in passages (worker/archive/records.py rebuilds the record)
    UNIQUE (document_id, number)
)""",
    """CREATE TABLE passages (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES versions (id),
    seq INTEGER NOT NULL,
    section_index INTEGER NOT NULL,
    part TEXT NOT NULL,
    heading TEXT,
    role TEXT, -- statement, question or answer
    speaker TEXT,
    text TEXT NOT NULL,
    UNIQUE (version_id, seq)
)""",
    """CREATE TABLE fetches (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    document_id INTEGER REFERENCES documents (id),
    source TEXT,
    fetched_at TEXT NOT NULL,
    status INTEGER,
    bytes INTEGER,
    duration REAL,
    outcome TEXT NOT NULL CHECK (
        outcome IN ('new', 'changed', 'unchanged', 'not-modified', 'gone')
        OR outcome LIKE 'error: %'
    ),
    capture_id INTEGER REFERENCES captures (id) -- the bytes kept from this fetch, if any
)""",
    """CREATE TABLE retries (
    url TEXT PRIMARY KEY, -- canonical; an address with no document whose fetches failed
    first_failed TEXT NOT NULL, -- the recheck schedule's points count from here
    next_check_at TEXT NOT NULL -- (worker/archive/recheck.py); the row goes once it has a document
)""",
    """CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    source TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('discover', 'recheck', 'backfill', 'manual')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    seen INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    not_modified INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    error TEXT
)""",
    """CREATE TABLE backfill (
    source TEXT PRIMARY KEY,
    next_url TEXT,
    pages_done INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0
)""",
)

_INDEXES = (
    "CREATE INDEX documents_next_check_at ON documents (next_check_at)",
    "CREATE INDEX documents_document_number ON documents (document_number)",
    "CREATE INDEX documents_title ON documents (title)",
    "CREATE INDEX captures_document_id ON captures (document_id)",
    "CREATE INDEX captures_orphan_url ON captures (url) WHERE document_id IS NULL",
    "CREATE INDEX captures_base ON captures (host, id) WHERE dictionary_id IS NULL",
    "CREATE INDEX versions_capture_id ON versions (capture_id)",
    "CREATE INDEX fetches_url ON fetches (url)",
    "CREATE INDEX fetches_document_id ON fetches (document_id)",
    "CREATE INDEX fetches_capture_id ON fetches (capture_id)",
    "CREATE INDEX retries_next_check_at ON retries (next_check_at)",
    "CREATE INDEX runs_source ON runs (source)",
)

# Copied from what sqlite-utils' `enable_fts(["text", "heading"], create_triggers=True,
# tokenize="unicode61 remove_diacritics 2")` writes, so its `detect_fts` (which Datasette also
# uses) recognises the table. Speakers are not indexed: search filters them with `LIKE` on
# passages, and indexing the same name on every passage cost ~5% of the index.
_FTS = (
    """CREATE VIRTUAL TABLE "passages_fts" USING FTS5 (
    "text", "heading",
    tokenize='unicode61 remove_diacritics 2',
    content="passages"
)""",
    """CREATE TRIGGER "passages_ai" AFTER INSERT ON "passages" BEGIN
  INSERT INTO "passages_fts" (rowid, "text", "heading") VALUES (new.rowid, new."text", new."heading");
END""",
    """CREATE TRIGGER "passages_ad" AFTER DELETE ON "passages" BEGIN
  INSERT INTO "passages_fts" ("passages_fts", rowid, "text", "heading") VALUES('delete', old.rowid, old."text", old."heading");
END""",
    """CREATE TRIGGER "passages_au" AFTER UPDATE ON "passages" BEGIN
  INSERT INTO "passages_fts" ("passages_fts", rowid, "text", "heading") VALUES('delete', old.rowid, old."text", old."heading");
  INSERT INTO "passages_fts" (rowid, "text", "heading") VALUES (new.rowid, new."text", new."heading");
END""",
)

_VIEWS = (
    """CREATE VIEW latest_versions AS
SELECT versions.* FROM versions
WHERE versions.number = (
    SELECT max(later.number) FROM versions AS later WHERE later.document_id = versions.document_id
)""",
    # Mirrors republish a briefing under their own URL: the ministry's document number ties the
    # copies together, else the same title on the same day (unless their numbers disagree).
    """CREATE VIEW copies AS
SELECT
    a.id AS document_id,
    b.id AS copy_id,
    b.canonical_url AS copy_url,
    b.site AS copy_site,
    CASE WHEN a.document_number = b.document_number
        THEN 'document_number' ELSE 'title and date' END AS matched_by
FROM documents AS a
JOIN documents AS b ON b.id <> a.id AND (
    a.document_number = b.document_number
    OR (
        a.title = b.title
        AND substr(a.published, 1, 10) = substr(b.published, 1, 10)
        AND (a.document_number IS NULL OR b.document_number IS NULL)
    )
)""",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create the schema", _TABLES + _INDEXES + _FTS + _VIEWS),
    Migration(
        2,
        "records compressed against their captures; a contentless search index",
        migration2.BEFORE,
        migration2.move,
    ),
    Migration(3, "the notification outbox", outbox.TABLES),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def schema_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def upgrade(conn: sqlite3.Connection, where: str) -> int:
    """Apply every migration newer than the archive; call inside a write transaction."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise ArchiveError(
            f"{where}: archive schema version {current} is newer than this worker's "
            f"({SCHEMA_VERSION}); upgrade the worker"
        )
    for migration in MIGRATIONS:
        if migration.version > current:
            for statement in migration.statements:
                conn.execute(statement)
            if migration.move is not None:
                try:
                    migration.move(conn)
                except ArchiveError as error:  # the caller's transaction rolls back whole
                    raise ArchiveError(
                        f"{where}: cannot upgrade to schema {migration.version}, nothing was"
                        f" changed: {error}"
                    ) from None
            conn.execute(f"PRAGMA user_version = {migration.version:d}")
    broken = conn.execute("PRAGMA foreign_key_check").fetchone()
    if broken is not None:  # db.py runs migrations with foreign keys off: check them here
        raise ArchiveError(
            f"{where}: cannot upgrade, nothing was changed: after the upgrade {broken[0]} row"
            f" {broken[1]} would point at a missing {broken[2]} row"
            " (check it with `PRAGMA foreign_key_check`)"
        )
    return SCHEMA_VERSION
