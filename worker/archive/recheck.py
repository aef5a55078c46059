"""When known documents are fetched again, and which of a batch of URLs are known at all.

`RecheckPolicy.after` lists delays after a document was first seen (1 h, 1 d, 7 d, 30 d by
default): after each check the next one is the first of those points still in the future, and
once they are all past, `RecheckPolicy.every` after the check. Ministries edit a briefing most
in its first hours, rarely after a month. A failed check moves on to the next point too, so a
broken page is retried later rather than at every run.

An address whose fetches all failed has no document; it is kept in `retries` and tried again on
the same schedule, counted from its first failure, until a fetch succeeds and makes it a
document (`create_document` drops its row).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime, timedelta

from worker.archive import clock
from worker.archive.db import Archive
from worker.config import RecheckPolicy
from worker.errors import DocumentNotFound
from worker.urls import canonical_url

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


def schedule_next_check(archive: Archive, url: str, *, now: str | None = None) -> str:
    """Reschedule the document at `url` as if checked at `now` (with the archive's policy);
    returns its `next_check_at`."""
    canonical = canonical_url(url)
    with archive.write() as conn:
        row = conn.execute(
            "SELECT id FROM documents WHERE canonical_url = ?", (canonical,)
        ).fetchone()
        if row is None:
            raise DocumentNotFound(f"{url}: no such document in {archive.path}")
        return reschedule(conn, int(row[0]), clock.stamp(now), archive.policy)


def reschedule_retry(conn: sqlite3.Connection, url: str, now: str, policy: RecheckPolicy) -> None:
    """After an attempt at `url` (canonical, no document) at `now`, set its next retry."""
    row = conn.execute("SELECT first_failed FROM retries WHERE url = ?", (url,)).fetchone()
    if row is not None:
        due = next_check_time(clock.parse(row[0]), clock.parse(now), policy)
        conn.execute(
            "UPDATE retries SET next_check_at = ? WHERE url = ?", (clock.to_text(due), url)
        )


def retry_failed(conn: sqlite3.Connection, url: str, now: str, policy: RecheckPolicy) -> None:
    """A fetch of `url` (canonical, no document) failed at `now`: schedule it to be tried again."""
    conn.execute(
        "INSERT INTO retries (url, first_failed, next_check_at) VALUES (?, ?, ?)"
        " ON CONFLICT (url) DO NOTHING",
        (url, now, now),
    )
    reschedule_retry(conn, url, now, policy)


def due_for_recheck(archive: Archive, now: datetime, limit: int) -> list[str]:
    """Up to `limit` URLs due at `now`, most overdue first: documents to check again, and
    addresses whose fetches all failed to retry.

    Each kind is guaranteed half of `limit` (documents the odd one), and either takes what the
    other leaves, so a pile of broken addresses never crowds out the documents, nor the reverse.
    """
    due = clock.to_text(now)
    documents = archive.conn.execute(
        "SELECT next_check_at, canonical_url FROM documents WHERE next_check_at <= ?"
        " ORDER BY next_check_at, id LIMIT ?",
        (due, limit),
    ).fetchall()
    retries = archive.conn.execute(
        "SELECT next_check_at, url FROM retries WHERE next_check_at <= ?"
        " ORDER BY next_check_at, url LIMIT ?",
        (due, limit),
    ).fetchall()
    retry_share = min(len(retries), max(limit // 2, limit - len(documents)))
    chosen = documents[: limit - retry_share] + retries[:retry_share]
    return [str(url) for _, url in sorted(chosen, key=lambda row: str(row[0]))]


# How the fetch log shows an address that redirected (`store.store_moved`).
_REDIRECTED = "outcome = 'moved'"


def known_urls(archive: Archive, urls: Iterable[str]) -> set[str]:
    """Those of `urls` (as given) the archive knows: their canonical form is a document, or an
    address seen to redirect (the page it leads to is archived at its own address). A listing
    link that redirects is so fetched once, not again on every run."""
    by_canonical: dict[str, list[str]] = {}
    for url in urls:
        by_canonical.setdefault(canonical_url(url), []).append(url)
    wanted = list(by_canonical)
    known: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows = archive.conn.execute(
            f"SELECT canonical_url FROM documents WHERE canonical_url IN ({marks})"
            f" UNION SELECT url FROM fetches WHERE url IN ({marks}) AND {_REDIRECTED}",
            chunk + chunk,
        )
        for row in rows:
            known.update(by_canonical[row[0]])
    return known
