"""Streaming the archive out (`briefings export`): each latest version, or its passages.

Rows are read with a live cursor and yielded one at a time, so an export of the whole archive
never holds it in memory. `since` (a date or an ISO time) keeps the versions first seen at or
after it, for incremental exports.
"""

from __future__ import annotations

from collections.abc import Iterator

from worker.archive import clock
from worker.archive.db import Archive
from worker.archive.models import ExportedPassage, ExportedVersion
from worker.archive.passages import passages
from worker.archive.versions import PackedRecord, read_record
from worker.errors import ArchiveError

_RECORDS = """
SELECT v.document_id, d.canonical_url, v.number, v.seen_at, v.cause, v.id, v.capture_id,
    v.identity, v.record
FROM latest_versions AS v
JOIN documents AS d ON d.id = v.document_id
WHERE :since IS NULL OR v.seen_at >= :since
ORDER BY v.document_id
"""


def export_records(archive: Archive, since: str | None) -> Iterator[ExportedVersion]:
    """The latest version of each document (first seen at or after `since`), in document order."""
    cursor = archive.conn.execute(_RECORDS, {"since": _since(since)})
    for document_id, url, number, seen_at, cause, *packed in cursor:
        record = read_record(archive, PackedRecord(*packed))
        yield ExportedVersion(document_id, url, number, seen_at, cause, record)


def export_passages(archive: Archive, since: str | None) -> Iterator[ExportedPassage]:
    """The passages of each latest version, cut from its record exactly as they were indexed."""
    for version in export_records(archive, since):
        record = version.record
        for p in passages(record):
            yield ExportedPassage(
                document_id=version.document_id,
                url=version.url,
                title=record.title,
                published=record.published,
                version=version.version,
                seen_at=version.seen_at,
                section_index=p.section_index,
                seq=p.seq,
                part=p.part,
                heading=p.heading,
                role=p.role,
                speaker=p.speaker,
                text=p.text,
            )


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
