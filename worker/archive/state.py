"""The daemon's bookkeeping: runs, per-source health and backoff, and backfill progress.

A failing source backs off exponentially (`backoff_base` doubling per failure up to
`backoff_max`) so a site that is down is not hammered; `reported_failure` lets the daemon
report a failure streak once rather than at every attempt.
"""

from __future__ import annotations

import sqlite3

from worker.archive import clock
from worker.archive.db import Archive
from worker.archive.models import BackfillState, RunCounts, RunKind, SourceState, error_outcome

BACKOFF_BASE = 300.0
BACKOFF_MAX = 86400.0


def start_run(
    archive: Archive, source: str | None, kind: RunKind, *, now: str | None = None
) -> int:
    """Open a `runs` row; returns its id for `finish_run`."""
    with archive.write() as conn:
        cursor = conn.execute(
            "INSERT INTO runs (source, kind, started_at) VALUES (?, ?, ?)",
            (source, kind, clock.stamp(now)),
        )
        return int(cursor.lastrowid or 0)


def finish_run(
    archive: Archive,
    run_id: int,
    counts: RunCounts,
    *,
    error: str | None = None,
    now: str | None = None,
    links: tuple[int, int] | None = None,
) -> None:
    """Close a `runs` row with its counts; `links` = (found, known) when it read listings."""
    found, known = links if links is not None else (None, None)
    with archive.write() as conn:
        conn.execute(
            "UPDATE runs SET finished_at = ?, seen = ?, new = ?, changed = ?, unchanged = ?,"
            " not_modified = ?, failed = ?, error = ?, links_found = ?, links_known = ?"
            " WHERE id = ?",
            (
                clock.stamp(now),
                counts.seen,
                counts.new,
                counts.changed,
                counts.unchanged,
                counts.not_modified,
                counts.failed,
                error,
                found,
                known,
                run_id,
            ),
        )


def source_state(archive: Archive, name: str) -> SourceState:
    """What is known of source `name`; a fresh state if it never ran."""
    return _read_source(archive.conn, name)


def record_source_success(archive: Archive, name: str, *, now: str | None = None) -> SourceState:
    at = clock.stamp(now)
    with archive.write() as conn:
        conn.execute(
            "INSERT INTO sources (name, last_run_at, last_outcome) VALUES (?, ?, 'ok')"
            " ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at,"
            " last_outcome = 'ok', failure_streak = 0, backed_off_until = NULL,"
            " reported_failure = 0",
            (name, at),
        )
        return _read_source(conn, name)


def record_source_failure(
    archive: Archive,
    name: str,
    reason: str,
    *,
    now: str | None = None,
    backoff_base: float = BACKOFF_BASE,
    backoff_max: float = BACKOFF_MAX,
) -> SourceState:
    """Count one more failure and back the source off for base × 2^(streak-1), capped."""
    at = clock.stamp(now)
    with archive.write() as conn:
        streak = _read_source(conn, name).failure_streak + 1
        delay = min(backoff_base * 2 ** (streak - 1), backoff_max)
        conn.execute(
            "INSERT INTO sources (name, last_run_at, last_outcome, failure_streak,"
            " backed_off_until) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at,"
            " last_outcome = excluded.last_outcome, failure_streak = excluded.failure_streak,"
            " backed_off_until = excluded.backed_off_until",
            (name, at, error_outcome(reason), streak, clock.later(at, delay)),
        )
        return _read_source(conn, name)


def mark_failure_reported(archive: Archive, name: str) -> None:
    with archive.write() as conn:
        conn.execute("UPDATE sources SET reported_failure = 1 WHERE name = ?", (name,))


def _read_source(conn: sqlite3.Connection, name: str) -> SourceState:
    row = conn.execute(
        "SELECT last_run_at, last_outcome, failure_streak, backed_off_until, reported_failure"
        " FROM sources WHERE name = ?",
        (name,),
    ).fetchone()
    if row is None:
        return SourceState(name=name)
    return SourceState(name, row[0], row[1], int(row[2]), row[3], bool(row[4]))


def get_backfill(archive: Archive, source: str) -> BackfillState | None:
    row = archive.conn.execute(
        "SELECT next_url, pages_done, updated_at, done FROM backfill WHERE source = ?", (source,)
    ).fetchone()
    if row is None:
        return None
    return BackfillState(source, row[0], int(row[1]), row[2], bool(row[3]))


def save_backfill(
    archive: Archive,
    source: str,
    *,
    next_url: str | None,
    pages_done: int,
    done: bool,
    now: str | None = None,
) -> BackfillState:
    state = BackfillState(source, next_url, pages_done, clock.stamp(now), done)
    with archive.write() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO backfill (source, next_url, pages_done, updated_at, done)"
            " VALUES (?, ?, ?, ?, ?)",
            (state.source, state.next_url, state.pages_done, state.updated_at, int(state.done)),
        )
    return state
