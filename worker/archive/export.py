"""Streaming the archive out (`briefings export`): one record or passage per latest version.

Rows are read with a live cursor and yielded one at a time, so an export of the whole archive
never holds it in memory. `since` (a date or an ISO time) keeps the versions first seen at or
after it, for incremental exports.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from worker.archive import clock
from worker.archive.db import Archive
from worker.archive.passages import passages
from worker.archive.versions import PackedRecord, read_record
from worker.errors import ArchiveError
from worker.record import Record

_RECORDS = """
SELECT v.document_id, d.canonical_url, v.number, v.seen_at, v.cause, v.id, v.capture_id,
    v.identity, v.record
FROM latest_versions AS v
JOIN documents AS d ON d.id = v.document_id
WHERE :since IS NULL OR v.seen_at >= :since
ORDER BY v.document_id
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
    for version in _latest(archive, since):
        yield {
            "document_id": version.document_id,
            "version": version.number,
            "seen_at": version.seen_at,
            "cause": version.cause,
            "record": version.record.to_dict(),
        }


def export_passages(archive: Archive, since: str | None) -> Iterator[dict[str, Any]]:
    """The passages of each latest version, keyed by `PASSAGE_COLUMNS` (for CSV): the rows of
    `passages` with their text, cut from the record exactly as when they were indexed."""
    for version in _latest(archive, since):
        record = version.record
        for p in passages(record):
            values = (
                version.document_id,
                version.url,
                record.title,
                record.published,
                version.number,
                version.seen_at,
                p.section_index,
                p.seq,
                p.part,
                p.heading,
                p.role,
                p.speaker,
                p.text,
            )
            yield dict(zip(PASSAGE_COLUMNS, values, strict=True))


@dataclass(frozen=True)
class _Latest:
    document_id: int
    url: str  # the document's canonical URL
    number: int
    seen_at: str
    cause: str
    record: Record


def _latest(archive: Archive, since: str | None) -> Iterator[_Latest]:
    """Each document's latest version (since `since`), its record read one at a time."""
    cursor = archive.conn.execute(_RECORDS, {"since": _since(since)})
    for document_id, url, number, seen_at, cause, *packed in cursor:
        record = read_record(archive, PackedRecord(*packed))
        yield _Latest(document_id, url, number, seen_at, cause, record)


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
