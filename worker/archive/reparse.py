"""Re-deriving records from stored captures with today's parser (`briefings reparse`).

Candidates are, per document, the capture that made its latest version, and the bytes of a
later fetch that failed to parse (if no success came after it; these may belong to an address
that has no document yet). With `all_versions`, every capture that made a version too, in the
order of the versions they made, so each document's latest capture comes last.

The latest version is always today's parser on the latest capture: `store_reparse` writes a
version with cause `reparse` only for a document's latest capture (checked again when it
writes, so a fetch that came in meanwhile wins), and only when the new record's identity
differs from the latest version's. An older capture is compared with the version it made and
reported (`changed` or `unchanged`) but never written: appending it would put old text on top
of the current one, and replaying the latest capture after it would fake a revert and reapply.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from worker.archive import captures, clock
from worker.archive.db import Archive
from worker.archive.models import ReparseCandidate, StoreResult, succeeded
from worker.archive.recheck import reschedule
from worker.archive.store import (
    LatestVersion,
    Made,
    commit_version,
    create_document,
    find_document,
    latest_version,
    version_identity,
)
from worker.record import Record

_LATEST_VERSION_CAPTURES = """
SELECT v.capture_id, v.document_id, d.canonical_url, v.number, 1
FROM latest_versions AS v JOIN documents AS d ON d.id = v.document_id
WHERE v.capture_id IS NOT NULL
ORDER BY v.document_id
"""

_ALL_VERSION_CAPTURES = """
SELECT v.capture_id, v.document_id, d.canonical_url, max(v.number),
    max(v.number) = (SELECT max(number) FROM versions WHERE document_id = v.document_id)
FROM versions AS v JOIN documents AS d ON d.id = v.document_id
WHERE v.capture_id IS NOT NULL
GROUP BY v.document_id, v.capture_id
ORDER BY v.document_id, max(v.number)
"""

# The newest failed-but-kept bytes of each URL, unless a success came after them.
_FAILED_CAPTURES = f"""
SELECT f.capture_id, f.document_id, f.url, NULL, 1
FROM fetches AS f
WHERE f.id IN (
    SELECT max(id) FROM fetches
    WHERE capture_id IS NOT NULL AND outcome LIKE 'error: %' GROUP BY url
)
AND NOT EXISTS (
    SELECT 1 FROM fetches AS later
    WHERE later.url = f.url AND later.id > f.id AND {succeeded("later.outcome")}
)
ORDER BY f.id
"""


# Whether a fetch of the URL succeeded after the last failed one that kept the capture.
_SUCCEEDED_SINCE = f"""
SELECT EXISTS (
    SELECT 1 FROM fetches
    WHERE url = ? AND {succeeded("outcome")}
    AND id > (
        SELECT max(id) FROM fetches WHERE url = ? AND capture_id = ? AND outcome LIKE 'error: %'
    )
)
"""


@dataclass(frozen=True)
class _Pick:
    capture_id: int
    document_id: int | None
    url: str
    made_version: int | None
    latest: bool


def _picks(conn: sqlite3.Connection, all_versions: bool) -> list[_Pick]:
    """Which captures to replay, read in full first: replaying writes versions as it goes."""
    versions_sql = _ALL_VERSION_CAPTURES if all_versions else _LATEST_VERSION_CAPTURES
    picks = [_Pick(r[0], r[1], r[2], r[3], bool(r[4])) for r in conn.execute(versions_sql)]
    latest = {(p.url, p.capture_id) for p in picks if p.latest}
    failed = [_Pick(r[0], r[1], r[2], r[3], bool(r[4])) for r in conn.execute(_FAILED_CAPTURES)]
    failed = [p for p in failed if (p.url, p.capture_id) not in latest]
    # Bytes an older version came from, fetched again and failed: they are the latest now.
    again = {(p.url, p.capture_id) for p in failed}
    return [p for p in picks if (p.url, p.capture_id) not in again] + failed


def count_reparse_candidates(archive: Archive, all_versions: bool) -> int:
    """How many captures `iter_reparse_candidates` yields now (for a progress bar)."""
    return len(_picks(archive.conn, all_versions))


def iter_reparse_candidates(archive: Archive, all_versions: bool) -> Iterator[ReparseCandidate]:
    """The captures to run through today's parser, bodies decompressed one at a time."""
    for pick in _picks(archive.conn, all_versions):
        capture = captures.load(archive, pick.capture_id)
        yield ReparseCandidate(
            capture_id=pick.capture_id,
            document_id=pick.document_id,
            url=pick.url,
            headers=capture.headers,
            status=capture.status,
            fetched_at=capture.fetched_at,
            body=capture.body,
            made_version=pick.made_version,
            latest=pick.latest,
        )


def store_reparse(
    archive: Archive,
    candidate: ReparseCandidate,
    record: Record,
    parser_version: str,
    *,
    now: str | None = None,
) -> StoreResult:
    """Write `record` as a `reparse` version if the candidate is its document's latest capture
    and the record differs from the latest version; an older capture's record is only compared
    with the version it made (the result's `version`), never written."""
    at = clock.stamp(now)
    stored = record if record.url else record.with_url(candidate.url)
    with archive.write() as conn:
        document_id = find_document(conn, candidate.url)
        if document_id is None:
            document_id = create_document(conn, candidate.url, candidate.fetched_at)
            reschedule(conn, document_id, at, archive.policy)
        latest = latest_version(conn, document_id)
        if not _is_latest_capture(conn, candidate, latest):
            number = candidate.made_version or (0 if latest is None else latest.number)
            before = version_identity(conn, document_id, number)
            same = before == stored.identity()
            return StoreResult(
                "unchanged" if same else "changed", document_id, number, candidate.url
            )
        made = Made(parser_version, at, capture_id=candidate.capture_id)
        version = commit_version(archive, document_id, stored, made)
    return StoreResult(version.outcome, document_id, version.number, candidate.url)


def _is_latest_capture(
    conn: sqlite3.Connection, candidate: ReparseCandidate, latest: LatestVersion | None
) -> bool:
    """Whether the candidate's bytes are, as of now, the newest its document has: those of its
    latest version, or kept from a failed fetch that no success has followed."""
    if latest is None or latest.capture_id == candidate.capture_id:
        return True
    if candidate.made_version is not None:
        return False
    row = conn.execute(_SUCCEEDED_SINCE, (candidate.url, candidate.url, candidate.capture_id))
    return not row.fetchone()[0]
