"""Streaming the archive out (`briefings export`): one record or passage per latest version.

Rows are read with a live cursor and yielded one at a time, so an export of the whole archive
never holds it in memory. `since` (a date or an ISO time) keeps the versions first seen at or
after it, for incremental exports.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from worker.archive import clock, records
from worker.archive.db import Archive
from worker.errors import ArchiveError

_RECORDS = """
SELECT v.document_id, v.number, v.seen_at, v.cause, v.record, v.id
FROM latest_versions AS v
WHERE :since IS NULL OR v.seen_at >= :since
ORDER BY v.document_id
"""

_PASSAGES = """
SELECT v.document_id, d.canonical_url, d.title, d.published, v.number, v.seen_at,
    p.section_index, p.seq, p.part, p.heading, p.role, p.speaker, p.text
FROM latest_versions AS v
JOIN documents AS d ON d.id = v.document_id
JOIN passages AS p ON p.version_id = v.id
WHERE :since IS NULL OR v.seen_at >= :since
ORDER BY v.document_id, p.seq
"""

PASSAGE_COLUMNS = (
    "document_id",
    "url",
    "title",
    "published",
    "version",
    "seen_at",
    "section_index",
    "seq",
    "part",
    "heading",
    "role",
    "speaker",
    "text",
)


def export_records(archive: Archive, since: str | None) -> Iterator[dict[str, Any]]:
    """The latest record of each document under `record`, beside `document_id`, `version`,
    `seen_at` and `cause`: the record itself stays exactly the `RECORD.md` contract."""
    cursor = archive.conn.execute(_RECORDS, {"since": _since(since)})
    for document_id, number, seen_at, cause, outline, version_id in cursor:
        yield {
            "document_id": document_id,
            "version": number,
            "seen_at": seen_at,
            "cause": cause,
            "record": records.load(archive.conn, version_id, outline).to_dict(),
        }


def export_passages(archive: Archive, since: str | None) -> Iterator[dict[str, Any]]:
    """The passages of each latest version, keyed by `PASSAGE_COLUMNS` (for CSV)."""
    cursor = archive.conn.execute(_PASSAGES, {"since": _since(since)})
    for row in cursor:
        yield dict(zip(PASSAGE_COLUMNS, row, strict=True))


def _since(since: str | None) -> str | None:
    """A bare date stays a date (it sorts before that day's times); a time is normalised."""
    if since is None:
        return None
    if len(since) == 10:
        try:
            return clock.parse(since).date().isoformat()
        except ArchiveError:
            raise ArchiveError(f"since: expected a date or ISO 8601 time, got {since!r}") from None
    return clock.stamp(since)
