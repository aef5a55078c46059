"""The archive's schema, created and upgraded by numbered migrations.

`PRAGMA user_version` holds the number of the last migration applied. `upgrade` runs the missing
ones, in order, inside the caller's write transaction, so two processes opening a new archive at
once cannot both create it. Migration 1 created the whole schema; later changes append a
migration, never edit an old one (tests snapshot the result). A migration is SQL statements,
then, if it has one, a step in Python (moving data, rebuilding a table).

One module per migration: `m1_create.py` (the first schema), `m2_compact.py` (records
compressed, a contentless index), 3 is the notification outbox (`worker/archive/outbox.py`),
`m4_readable.py` (every version's text in plain tables, FTS5 the sqlite-utils way, `moved`, the
views), 5 adds the links a run's listings gave to `runs`, `m6_counted.py` stores each version's
passage count and indexes what `list` and `status` read, `m7_scale.py` has the search index
merge its segments 8 at a time and indexes the passage counts. The tables are plain tables that
`sqlite3`, `sqlite-utils` and Datasette read as they are.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from worker.archive import outbox
from worker.archive.migrations import m1_create, m2_compact, m4_readable, m6_counted, m7_scale
from worker.errors import ArchiveError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    move: Callable[[sqlite3.Connection], None] | None = None  # runs after `statements`


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create the schema", m1_create.STATEMENTS),
    Migration(
        2,
        "records compressed against their captures; a contentless search index",
        m2_compact.BEFORE,
        m2_compact.move,
    ),
    Migration(3, "the notification outbox", outbox.TABLES),
    Migration(
        4,
        "every version's text in plain tables; FTS5 as sqlite-utils makes it; moved; views",
        ("DROP TABLE IF EXISTS passages_fts",),
        m4_readable.move,
    ),
    Migration(
        5,
        "runs count the links their listings gave and how many the archive knew; errors indexed",
        (
            "ALTER TABLE runs ADD COLUMN links_found INTEGER",  # null: the run read no listing
            "ALTER TABLE runs ADD COLUMN links_known INTEGER",
            # `status` lists the latest errors: without it, a healthy archive (few errors) is
            # read backwards in full to find ten of them.
            "CREATE INDEX fetches_errors ON fetches (id) WHERE outcome LIKE 'error: %'",
        ),
    ),
    Migration(
        6,
        "each version's passage count stored; documents indexed newest first and when gone",
        m6_counted.STATEMENTS,
    ),
    Migration(
        7,
        "the search index merges its segments 8 at a time; passage counts indexed",
        m7_scale.STATEMENTS,
    ),
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
