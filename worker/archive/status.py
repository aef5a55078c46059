"""The archive at a glance (`briefings status`): counts, size, recent errors, sources."""

from __future__ import annotations

import sqlite3

from worker.archive.db import Archive
from worker.archive.migrations import schema_version
from worker.archive.models import (
    ArchiveStatus,
    RecentError,
    RunCounts,
    RunInfo,
    SourceStatus,
)
from worker.archive.state import source_state

RECENT_ERRORS = 10

_COUNTS = """
SELECT
    (SELECT count(*) FROM documents),
    (SELECT count(*) FROM versions),
    -- Every version's paragraphs and turns, as stored with each version (migration 6):
    -- counting them through its sections took most of the time at 30,000 briefings.
    (SELECT coalesce(sum(passages), 0) FROM versions),
    (SELECT count(*) FROM captures),
    (SELECT count(*) FROM fetches),
    (SELECT count(*) FROM documents WHERE gone_at IS NOT NULL)
"""

_ERRORS = """
SELECT url, fetched_at, source, outcome FROM fetches
WHERE outcome LIKE 'error: %' ORDER BY id DESC LIMIT ?
"""

_LAST_RUN = """
SELECT id, source, kind, started_at, finished_at, seen, new, changed, unchanged, not_modified,
    failed, error, links_found, links_known
FROM runs WHERE source = ? ORDER BY id DESC LIMIT 1
"""


def status_summary(archive: Archive) -> ArchiveStatus:
    conn = archive.conn
    documents, versions, passages, captures, fetches, gone = conn.execute(_COUNTS).fetchone()
    errors = tuple(RecentError(*row) for row in conn.execute(_ERRORS, (RECENT_ERRORS,)))
    return ArchiveStatus(
        path=str(archive.path),
        size_bytes=_size(archive),
        schema_version=schema_version(conn),
        documents=documents,
        versions=versions,
        passages=passages,
        captures=captures,
        fetches=fetches,
        gone=gone,
        recent_errors=errors,
        sources=tuple(
            SourceStatus(source_state(archive, name), _last_run(conn, name))
            for name in _source_names(conn)
        ),
    )


def _size(archive: Archive) -> int:
    """The archive file plus its write-ahead log, which holds recent writes until checkpoint."""
    wal = archive.path.with_name(archive.path.name + "-wal")
    return sum(path.stat().st_size for path in (archive.path, wal) if path.exists())


def _source_names(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sources UNION SELECT source FROM runs WHERE source IS NOT NULL ORDER BY 1"
    )
    return [str(row[0]) for row in rows]


def _last_run(conn: sqlite3.Connection, source: str) -> RunInfo | None:
    row = conn.execute(_LAST_RUN, (source,)).fetchone()
    if row is None:
        return None
    return RunInfo(
        id=row[0],
        source=row[1],
        kind=row[2],
        started_at=row[3],
        finished_at=row[4],
        counts=RunCounts(*row[5:11]),
        error=row[11],
        links_found=row[12],
        links_known=row[13],
    )
