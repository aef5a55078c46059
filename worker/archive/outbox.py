"""The notification outbox: events worth telling people about, and how far each target got.

    notify_events     one row per event, ids never reused (AUTOINCREMENT): `new` (a document's
                      first version), `changed` (a later version from a fetch), `gone` (the
                      document left its site), `source-failing`, `source-recovered`
    notify_targets    per `[[notify]]` name: `sent_upto`, the last event id it was sent (or did
                      not want); its failures in a row and the last error
    notify_watermark  one row: how far `collect` has read the archive (`versions_upto`, a
                      versions id) and since when gone documents count (`gone_from`)

Events are not written by the pipeline: `collect` reads them off the archive itself (new
version rows, documents' `gone_at`, the sources' failure streaks) into `notify_events`, so a
fetch made by hand while the daemon is down is still told at its next run, and the pipeline
needs no knowledge of notifications. A version made by `reparse` is the parser's change, not the
site's: it is no event. A target first seen starts after every event collected so far: adding
a `[[notify]]` to an old archive does not send its history.

A target's cursor moves only after a send succeeded (or for events it does not want), in its own
transaction right after the send: delivery is at least once, and a message is sent twice only if
the process dies between a send that succeeded and that commit.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from worker.archive import clock

TABLES = (
    """CREATE TABLE notify_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: targets' cursors count on it
    kind TEXT NOT NULL CHECK (
        kind IN ('new', 'changed', 'gone', 'source-failing', 'source-recovered')
    ),
    at TEXT NOT NULL, -- when it happened: the version's seen_at, gone_at, the source's run
    document_id INTEGER REFERENCES documents (id), -- new, changed, gone
    version INTEGER, -- new, changed: the version's number
    source TEXT, -- source-failing, source-recovered: the source's name
    detail TEXT -- source-failing: the error
)""",
    "CREATE INDEX notify_events_document ON notify_events (document_id, kind)",
    "CREATE INDEX notify_events_source ON notify_events (source, kind)",
    """CREATE TABLE notify_targets (
    name TEXT PRIMARY KEY, -- a [[notify]] table's name
    sent_upto INTEGER NOT NULL, -- every event up to this id was sent to it, or not wanted
    failures INTEGER NOT NULL DEFAULT 0, -- sends that failed in a row
    last_error TEXT,
    last_attempt TEXT
)""",
    """CREATE TABLE notify_watermark (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    versions_upto INTEGER NOT NULL, -- versions.id: later versions are not collected yet
    gone_from TEXT NOT NULL -- documents gone at or after this time are collected
)""",
    # An archive upgraded with a history starts notifying from the upgrade on.
    """INSERT INTO notify_watermark (id, versions_upto, gone_from)
    SELECT 1, coalesce((SELECT max(id) FROM versions), 0),
        strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')""",
)


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    at: str
    document_id: int | None
    version: int | None
    source: str | None
    detail: str | None


@dataclass(frozen=True)
class TargetState:
    name: str
    sent_upto: int
    failures: int
    last_error: str | None
    last_attempt: str | None


def collect(conn: sqlite3.Connection) -> int:
    """Add the events that happened since the last collect; how many. Call inside a write
    transaction."""
    upto, gone_from = conn.execute(
        "SELECT versions_upto, gone_from FROM notify_watermark WHERE id = 1"
    ).fetchone()
    found: list[tuple[str, str, int | None, int | None, str | None, str | None]] = []
    last_version = int(upto)
    for version_id, document_id, number, seen_at, cause in conn.execute(
        "SELECT id, document_id, number, seen_at, cause FROM versions WHERE id > ? ORDER BY id",
        (upto,),
    ):
        last_version = max(last_version, int(version_id))
        if number == 1:
            found.append(("new", seen_at, document_id, number, None, None))
        elif cause == "fetch":
            found.append(("changed", seen_at, document_id, number, None, None))
    for document_id, gone_at in conn.execute(
        "SELECT d.id, d.gone_at FROM documents AS d WHERE d.gone_at >= ? AND NOT EXISTS ("
        " SELECT 1 FROM notify_events AS e"
        " WHERE e.document_id = d.id AND e.kind = 'gone' AND e.at = d.gone_at)",
        (gone_from,),
    ):
        found.append(("gone", gone_at, document_id, None, None, None))
    found.extend(_source_events(conn))
    found.sort(key=lambda event: event[1])
    conn.executemany(
        "INSERT INTO notify_events (kind, at, document_id, version, source, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        found,
    )
    conn.execute("UPDATE notify_watermark SET versions_upto = ? WHERE id = 1", (last_version,))
    return len(found)


def _source_events(
    conn: sqlite3.Connection,
) -> list[tuple[str, str, int | None, int | None, str | None, str | None]]:
    """A source that fails and was not said to be failing; one that works again after that."""
    events: list[tuple[str, str, int | None, int | None, str | None, str | None]] = []
    rows = conn.execute("SELECT name, last_run_at, last_outcome, failure_streak FROM sources")
    for name, last_run_at, last_outcome, streak in rows.fetchall():
        said = conn.execute(
            "SELECT kind FROM notify_events WHERE source = ? ORDER BY id DESC LIMIT 1", (name,)
        ).fetchone()
        failing_said = said is not None and said[0] == "source-failing"
        at = last_run_at or clock.stamp(None)
        if streak and not failing_said:
            events.append(("source-failing", at, None, None, name, last_outcome))
        elif not streak and failing_said:
            events.append(("source-recovered", at, None, None, name, None))
    return events


def register(conn: sqlite3.Connection, names: tuple[str, ...]) -> None:
    """Make a cursor for each target not seen before, after every event collected so far.
    Call inside a write transaction, after `collect`."""
    last = _last_event(conn)
    conn.executemany(
        "INSERT OR IGNORE INTO notify_targets (name, sent_upto) VALUES (?, ?)",
        [(name, last) for name in names],
    )


def pending(conn: sqlite3.Connection, name: str) -> list[Event]:
    """The events target `name` was not sent yet, oldest first."""
    rows = conn.execute(
        "SELECT id, kind, at, document_id, version, source, detail FROM notify_events"
        " WHERE id > (SELECT sent_upto FROM notify_targets WHERE name = ?) ORDER BY id",
        (name,),
    )
    return [Event(*row) for row in rows]


def mark_sent(conn: sqlite3.Connection, name: str, upto: int) -> None:
    """Target `name` has every event up to id `upto`; its failure streak ends."""
    conn.execute(
        "UPDATE notify_targets SET sent_upto = max(sent_upto, ?), failures = 0,"
        " last_error = NULL, last_attempt = ? WHERE name = ?",
        (upto, clock.stamp(None), name),
    )


def mark_failed(conn: sqlite3.Connection, name: str, error: str) -> None:
    conn.execute(
        "UPDATE notify_targets SET failures = failures + 1, last_error = ?, last_attempt = ?"
        " WHERE name = ?",
        (error, clock.stamp(None), name),
    )


def target_states(conn: sqlite3.Connection) -> dict[str, TargetState]:
    rows = conn.execute(
        "SELECT name, sent_upto, failures, last_error, last_attempt FROM notify_targets"
    )
    return {row[0]: TargetState(*row) for row in rows}


def _last_event(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM notify_events").fetchone()[0])
