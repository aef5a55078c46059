"""Stage 4, store: one page's outcome written in one transaction, and the fetch log.

The caller hands over values (a `Page`, a `Record`, a URL and a reason), never SQL:

- `store_page`: a parsed page. `commit_version`, the one gate for fetch and reparse alike, writes
  a new version only when the record's identity differs from the document's latest (a rotating
  banner or new markup never makes one); its raw bytes are kept as a capture. Its cause is
  `fetch`, or `reparse` when those bytes are the very bytes the latest version came from (only
  the parser changed). An identical page only logs the fetch and refreshes the document's
  validators and times. A document that was gone and answers again is no longer gone.
- `store_not_modified`, `store_gone`, `store_moved`: a 304, a 404/410, a redirect elsewhere
  (nothing is ever deleted; a gone or moved document keeps every version).
- `store_failure`: an error, logged as `error: <reason>`; when bytes arrived but did not parse,
  they are kept as a capture (without a document if there is none yet) for `reparse`. An
  address with no document is kept to be retried on the recheck schedule.

Every call logs one `fetches` row (its outcome one of `models.Outcome`, or `error: <reason>`)
and reschedules the document's (or the failing address's) next check with the archive's
recheck policy. A version's text goes into plain tables (`texts.py`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from worker.archive import captures, clock, texts
from worker.archive.db import Archive
from worker.archive.models import (
    GONE,
    Outcome,
    StoreOutcome,
    StoreResult,
    Validators,
    VersionCause,
    error_outcome,
)
from worker.archive.recheck import reschedule, reschedule_retry, retry_failed
from worker.errors import ArchiveError
from worker.page import Page
from worker.record import Record
from worker.urls import canonical_url


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
) -> StoreResult:
    """Store a parsed page: a new version if its identity is new, else just the fetch."""
    where = page.url or record.url
    if where is None:
        raise ArchiveError(f"cannot store a record of {record.title!r} without a URL")
    url, at = canonical_url(where), clock.stamp(now)
    stored = record if record.url else record.with_url(where)
    with archive.write() as conn:
        document_id = find_document(conn, url) or create_document(conn, url, at)
        version = commit_version(archive, document_id, stored, Made(parser_version, at, page=page))
        _checked(conn, document_id, at, _page_validators(page))
        reschedule(conn, document_id, at, archive.policy)
        entry = FetchEntry(url, document_id, source, at, page.status, len(page.body), duration)
        log(conn, entry, version.outcome, version.capture_id)
    return StoreResult(outcome=version.outcome, document_id=document_id, version=version.number, url=url)


def store_not_modified(
    archive: Archive, url: str, *, source: str | None, duration: float, now: str | None = None
) -> None:
    """Log a 304: the document is still there, unchanged; its validators stay."""
    _store_answer(archive, url, 304, "not-modified", source, duration, now)


def store_gone(
    archive: Archive,
    url: str,
    status: int,
    *,
    source: str | None,
    duration: float,
    now: str | None = None,
) -> None:
    """Log a 404/410: mark the document gone (keeping every version) and check again later."""
    _store_answer(archive, url, status, "gone", source, duration, now)


def store_moved(
    archive: Archive, url: str, *, source: str | None, duration: float, now: str | None = None
) -> None:
    """Log that `url` redirects elsewhere (the page is stored at its new address): a document
    there is marked gone from it, and the address counts as known (`recheck.known_urls`)."""
    _store_answer(archive, url, 301, "moved", source, duration, now)


def _store_answer(
    archive: Archive,
    url: str,
    status: int,
    outcome: Outcome,
    source: str | None,
    duration: float,
    now: str | None,
) -> None:
    """An answer without a body: mark the document checked (or gone), reschedule, log."""
    canonical, at = canonical_url(url), clock.stamp(now)
    with archive.write() as conn:
        document_id = find_document(conn, canonical)
        if document_id is None:
            reschedule_retry(conn, canonical, at, archive.policy)
        else:
            if outcome in GONE:
                conn.execute(
                    "UPDATE documents SET gone_at = coalesce(gone_at, ?), last_checked = ?"
                    " WHERE id = ?",
                    (at, at, document_id),
                )
            else:
                _checked(conn, document_id, at, None)
            reschedule(conn, document_id, at, archive.policy)
        size = 0 if outcome == "not-modified" else None
        log(conn, FetchEntry(canonical, document_id, source, at, status, size, duration), outcome)


def store_failure(
    archive: Archive,
    url: str,
    *,
    source: str | None,
    reason: str,
    page: Page | None,
    duration: float,
    now: str | None = None,
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
            retry_failed(conn, canonical, at, archive.policy)
        else:
            reschedule(conn, document_id, at, archive.policy)
        status = None if page is None else page.status
        size = None if page is None else len(page.body)
        entry = FetchEntry(canonical, document_id, source, at, status, size, duration)
        log(conn, entry, error_outcome(reason), capture_id)


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


# ---- documents and the version gate ---------------------------------------------------------


@dataclass(frozen=True)
class LatestVersion:
    number: int
    identity: str
    capture_id: int | None


@dataclass(frozen=True)
class Made:
    """Where a record came from: a fetched `page` (its bytes kept as a capture if the record
    makes a version), or the stored capture `capture_id` that `reparse` read."""

    parser_version: str
    seen_at: str
    page: Page | None = None
    capture_id: int | None = None


@dataclass(frozen=True)
class Committed:
    outcome: StoreOutcome
    number: int  # the version the record is: the new one, or the latest it equals
    capture_id: int | None  # the capture kept for a new version from a page


def commit_version(archive: Archive, document_id: int, record: Record, made: Made) -> Committed:
    """The one place that decides whether a record is a new version of its document: only when
    its identity differs from the latest version's. Call inside a write transaction."""
    conn = archive.conn
    latest = latest_version(conn, document_id)
    if latest is not None and latest.identity == record.identity():
        return Committed("unchanged", latest.number, None)
    kept = None
    capture_id = made.capture_id
    if made.page is not None:
        url = canonical_url(made.page.url or record.url or "")
        kept = capture_id = captures.keep(archive, made.page, url, document_id, made.seen_at)
    # Captures are content-addressed: the same capture is the same bytes, so only the parser
    # can have changed.
    same_bytes = latest is not None and latest.capture_id == capture_id
    cause: VersionCause = "reparse" if same_bytes or made.page is None else "fetch"
    number = _add_version(archive, document_id, record, made, cause, capture_id)
    return Committed("new" if latest is None else "changed", number, kept)


def find_document(conn: sqlite3.Connection, url: str) -> int | None:
    row = conn.execute("SELECT id FROM documents WHERE canonical_url = ?", (url,)).fetchone()
    return None if row is None else int(row[0])


def create_document(conn: sqlite3.Connection, url: str, first_seen: str) -> int:
    """Insert the document and adopt what was kept at its URL before it existed (its URL is
    no longer a failing address to retry)."""
    cursor = conn.execute(
        "INSERT INTO documents (canonical_url, first_seen) VALUES (?, ?)", (url, first_seen)
    )
    document_id = int(cursor.lastrowid or 0)
    conn.execute("DELETE FROM retries WHERE url = ?", (url,))
    for table in ("captures", "fetches"):
        conn.execute(
            f"UPDATE {table} SET document_id = ? WHERE document_id IS NULL AND url = ?",
            (document_id, url),
        )
    return document_id


def latest_version(conn: sqlite3.Connection, document_id: int) -> LatestVersion | None:
    row = conn.execute(
        "SELECT number, identity, capture_id FROM versions WHERE document_id = ?"
        " ORDER BY number DESC LIMIT 1",
        (document_id,),
    ).fetchone()
    return None if row is None else LatestVersion(int(row[0]), str(row[1]), row[2])


def version_identity(conn: sqlite3.Connection, document_id: int, number: int) -> str | None:
    row = conn.execute(
        "SELECT identity FROM versions WHERE document_id = ? AND number = ?",
        (document_id, number),
    ).fetchone()
    return None if row is None else str(row[0])


def _add_version(
    archive: Archive,
    document_id: int,
    record: Record,
    made: Made,
    cause: VersionCause,
    capture_id: int | None,
) -> int:
    """Write `record` as the document's next version, its text, and what changed."""
    from worker.archive.queries import summarise  # queries reads what this module writes

    conn = archive.conn
    previous = conn.execute(
        f"SELECT {texts.VERSION_COLUMNS} FROM versions WHERE document_id = ?"
        " ORDER BY number DESC LIMIT 1",
        (document_id,),
    ).fetchone()
    number = 1 if previous is None else int(previous[2]) + 1
    changes = (
        "first version"
        if previous is None
        else summarise(texts.record_of(conn, previous), record).describe()
    )
    columns = texts.version_columns(record)
    version_id = (
        archive.db.table("versions")
        .insert(
            {
                "document_id": document_id,
                "number": number,
                "seen_at": made.seen_at,
                "cause": cause,
                "changes": changes,
                **columns,
                "identity": record.identity(),
                "parser_version": made.parser_version,
                "capture_id": capture_id,
                "passages": sum(1 for _ in texts.passages(record)),  # what `status` sums
            }
        )
        .last_pk
    )
    texts.write(archive.conn, document_id, int(version_id or 0), record)
    conn.execute(
        "UPDATE documents SET site = ?, document_number = ?, title = ?, published = ?,"
        " language = ?, speaker = ?, place = ? WHERE id = ?",
        (
            record.site,
            record.document_number,
            record.title,
            record.published,
            record.language,
            record.speaker,
            record.place,
            document_id,
        ),
    )
    return number


# ---- the fetch log: one `fetches` row per attempt, whatever happened ------------------------


@dataclass(frozen=True)
class FetchEntry:
    url: str
    document_id: int | None
    source: str | None
    fetched_at: str
    status: int | None
    bytes: int | None
    duration: float


def log(
    conn: sqlite3.Connection, entry: FetchEntry, outcome: str, capture_id: int | None = None
) -> None:
    """One `fetches` row: `outcome` is an `Outcome` or `error: <reason>` (`error_outcome`)."""
    conn.execute(
        "INSERT INTO fetches (url, document_id, source, fetched_at, status, bytes, duration,"
        " outcome, capture_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry.url,
            entry.document_id,
            entry.source,
            entry.fetched_at,
            entry.status,
            entry.bytes,
            entry.duration,
            outcome,
            capture_id,
        ),
    )
