"""When known documents are fetched again, and which of a batch of URLs are known at all.

`RecheckPolicy.after` lists delays after a document was first seen (1 h, 1 d, 7 d, 30 d by
default): after each check the next one is the first of those points still in the future, and
once they are all past, `RecheckPolicy.every` after the check. Ministries edit a briefing most
in its first hours, rarely after a month. A failed check moves on to the next point too, so a
broken page is retried later rather than at every run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime, timedelta

from worker.archive import clock
from worker.archive.db import Archive
from worker.archive.urls import canonical_url
from worker.config import RecheckPolicy
from worker.errors import DocumentNotFound

_CHUNK = 500  # URLs per IN (...) query, well under SQLite's variable limit


def next_check_time(first_seen: datetime, checked_at: datetime, policy: RecheckPolicy) -> datetime:
    for delay in sorted(policy.after):
        due = first_seen + timedelta(seconds=delay)
        if due > checked_at:
            return due
    return checked_at + timedelta(seconds=policy.every)


def reschedule(conn: sqlite3.Connection, document_id: int, now: str, policy: RecheckPolicy) -> str:
    """Set and return the document's `next_check_at` after a check at `now`."""
    first_seen = conn.execute(
        "SELECT first_seen FROM documents WHERE id = ?", (document_id,)
    ).fetchone()[0]
    due = clock.to_text(next_check_time(clock.parse(first_seen), clock.parse(now), policy))
    conn.execute("UPDATE documents SET next_check_at = ? WHERE id = ?", (due, document_id))
    return due


def schedule_next_check(
    archive: Archive, url: str, *, policy: RecheckPolicy | None = None, now: str | None = None
) -> str:
    """Reschedule the document at `url` as if checked at `now`; returns its `next_check_at`."""
    canonical = canonical_url(url)
    with archive.write() as conn:
        row = conn.execute(
            "SELECT id FROM documents WHERE canonical_url = ?", (canonical,)
        ).fetchone()
        if row is None:
            raise DocumentNotFound(f"{url}: no such document in {archive.path}")
        return reschedule(conn, int(row[0]), clock.stamp(now), policy or RecheckPolicy())


def due_for_recheck(archive: Archive, now: datetime, limit: int) -> list[str]:
    """The URLs of up to `limit` documents whose next check is due at `now`, most overdue first."""
    rows = archive.conn.execute(
        "SELECT canonical_url FROM documents WHERE next_check_at <= ?"
        " ORDER BY next_check_at, id LIMIT ?",
        (clock.to_text(now), limit),
    )
    return [str(row[0]) for row in rows]


def known_urls(archive: Archive, urls: Iterable[str]) -> set[str]:
    """Those of `urls` (as given) whose canonical form is already a document."""
    by_canonical: dict[str, list[str]] = {}
    for url in urls:
        by_canonical.setdefault(canonical_url(url), []).append(url)
    wanted = list(by_canonical)
    known: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows = archive.conn.execute(
            f"SELECT canonical_url FROM documents WHERE canonical_url IN ({marks})", chunk
        )
        for row in rows:
            known.update(by_canonical[row[0]])
    return known
