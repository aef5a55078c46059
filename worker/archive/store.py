"""Stage 4, store: one page's outcome written in one transaction.

The caller hands over values (a `Page`, a `Record`, a URL and a reason), never SQL:

- `store_page`: a parsed page. A new version is written only when the record's identity differs
  from the document's latest (a rotating banner or new markup never makes one); its raw bytes
  are kept as a capture. Its cause is `fetch`, or `reparse` when those bytes are the very bytes
  the latest version came from (only the parser changed). An identical page only logs the
  fetch and refreshes the document's validators and times. A document that was gone and
  answers again is no longer gone.
- `store_not_modified`, `store_gone`: a 304, a 404/410 (nothing is ever deleted).
- `store_failure`: an error, logged as `error: <reason>`; when bytes arrived but did not parse,
  they are kept as a capture (without a document if there is none yet) for `reparse`. An
  address with no document is kept to be retried on the recheck schedule.

Every call logs one `fetches` row and reschedules the document's (or the failing address's)
next check. The reparse, recheck and run/source/backfill bookkeeping live beside this module.
"""

from __future__ import annotations

import sqlite3
from typing import Literal

from worker.archive import captures, clock
from worker.archive.db import Archive
from worker.archive.fetchlog import FetchEntry, error_outcome, log
from worker.archive.models import StoreOutcome, StoreResult, Validators, VersionCause
from worker.archive.recheck import reschedule, reschedule_retry, retry_failed
from worker.archive.urls import canonical_url
from worker.archive.versions import NewVersion, add_version, create_document, find_document
from worker.archive.versions import latest_version as latest_version_of
from worker.config import RecheckPolicy
from worker.errors import ArchiveError
from worker.page import Page
from worker.record import Record


def validators_for(archive: Archive, url: str) -> Validators | None:
    """The ETag / Last-Modified to send for `url`, or None when there is nothing to send."""
    row = archive.conn.execute(
        "SELECT etag, last_modified FROM documents WHERE canonical_url = ?", (canonical_url(url),)
    ).fetchone()
    if row is None or (row[0] is None and row[1] is None):
        return None
    return Validators(etag=row[0], last_modified=row[1])


def store_page(
    archive: Archive,
    page: Page,
    record: Record,
    *,
    source: str | None,
    parser_version: str,
    duration: float,
    now: str | None = None,
    policy: RecheckPolicy | None = None,
) -> StoreResult:
    """Store a parsed page: a new version if its identity is new, else just the fetch."""
    where = page.url or record.url
    if where is None:
        raise ArchiveError(f"cannot store a record of {record.title!r} without a URL")
    url, at = canonical_url(where), clock.stamp(now)
    stored = record if record.url else record.with_url(where)
    with archive.write() as conn:
        document_id = find_document(conn, url) or create_document(conn, url, at)
        latest = latest_version_of(conn, document_id)
        capture_id = None
        outcome: StoreOutcome = "unchanged"
        if latest is not None and latest.identity == stored.identity():
            number = latest.number
        else:
            capture_id = captures.keep(archive, page, url, document_id, at)
            # captures are content-addressed: the same capture is the same sha256
            same_bytes = latest is not None and latest.capture_id == capture_id
            cause: VersionCause = "reparse" if same_bytes else "fetch"
            new = NewVersion(cause, parser_version, capture_id, at, page.body)
            number = add_version(conn, document_id, stored, new)
            outcome = "new" if latest is None else "changed"
        _checked(conn, document_id, at, _page_validators(page))
        reschedule(conn, document_id, at, policy or RecheckPolicy())
        log(
            conn,
            FetchEntry(
                url,
                document_id,
                source,
                at,
                page.status,
                len(page.body),
                duration,
                outcome,
                capture_id,
            ),
        )
    return StoreResult(outcome=outcome, document_id=document_id, version=number, url=url)


def store_not_modified(
    archive: Archive,
    url: str,
    *,
    source: str | None,
    duration: float,
    now: str | None = None,
    policy: RecheckPolicy | None = None,
) -> None:
    """Log a 304: the document is still there, unchanged; its validators stay."""
    _store_answer(archive, url, 304, "not-modified", source, duration, now, policy)


def store_gone(
    archive: Archive,
    url: str,
    status: int,
    *,
    source: str | None,
    duration: float,
    now: str | None = None,
    policy: RecheckPolicy | None = None,
) -> None:
    """Log a 404/410: mark the document gone (keeping every version) and check again later."""
    _store_answer(archive, url, status, "gone", source, duration, now, policy)


def _store_answer(
    archive: Archive,
    url: str,
    status: int,
    outcome: Literal["not-modified", "gone"],
    source: str | None,
    duration: float,
    now: str | None,
    policy: RecheckPolicy | None,
) -> None:
    """An answer without a body: mark the document checked (or gone), reschedule, log."""
    canonical, at = canonical_url(url), clock.stamp(now)
    with archive.write() as conn:
        document_id = find_document(conn, canonical)
        if document_id is None:
            reschedule_retry(conn, canonical, at, policy or RecheckPolicy())
        else:
            if outcome == "gone":
                conn.execute(
                    "UPDATE documents SET gone_at = coalesce(gone_at, ?), last_checked = ?"
                    " WHERE id = ?",
                    (at, at, document_id),
                )
            else:
                _checked(conn, document_id, at, None)
            reschedule(conn, document_id, at, policy or RecheckPolicy())
        size = 0 if outcome == "not-modified" else None
        log(conn, FetchEntry(canonical, document_id, source, at, status, size, duration, outcome))


def store_failure(
    archive: Archive,
    url: str,
    *,
    source: str | None,
    reason: str,
    page: Page | None,
    duration: float,
    now: str | None = None,
    policy: RecheckPolicy | None = None,
) -> None:
    """Log `error: <reason>`; keep the bytes of a `page` that arrived but failed to parse."""
    canonical = canonical_url(page.url if page is not None and page.url else url)
    at = clock.stamp(now)
    with archive.write() as conn:
        document_id = find_document(conn, canonical)
        capture_id = None
        if page is not None and page.body:
            capture_id = captures.keep(archive, page, canonical, document_id, at)
        if document_id is None:
            retry_failed(conn, canonical, at, policy or RecheckPolicy())
        else:
            reschedule(conn, document_id, at, policy or RecheckPolicy())
        status = None if page is None else page.status
        size = None if page is None else len(page.body)
        log(
            conn,
            FetchEntry(
                canonical,
                document_id,
                source,
                at,
                status,
                size,
                duration,
                error_outcome(reason),
                capture_id,
            ),
        )


def _page_validators(page: Page) -> Validators:
    headers = page.headers
    return Validators(etag=headers.get("etag"), last_modified=headers.get("last-modified"))


def _checked(
    conn: sqlite3.Connection, document_id: int, at: str, validators: Validators | None
) -> None:
    """A successful check: seen, checked, counted, not gone; new validators if a body came."""
    conn.execute(
        "UPDATE documents SET last_seen = ?, last_checked = ?, checks = checks + 1,"
        " gone_at = NULL WHERE id = ?",
        (at, at, document_id),
    )
    if validators is not None:
        conn.execute(
            "UPDATE documents SET etag = ?, last_modified = ? WHERE id = ?",
            (validators.etag, validators.last_modified, document_id),
        )
