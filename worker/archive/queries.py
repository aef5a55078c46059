"""Reading the archive: a document, its versions and copies (`show`, `versions`), what changed
between two versions, and streaming it out (`export`).

DOC, as users type it, is a URL, a numeric document id or a ministry document number
(`1012-29-05-2024`). Several mirrors may carry one number; the earliest stored answers, and
`other_copies` lists the rest. A version's record is rebuilt from its plain rows
(`texts.record_of`). Search and status live beside this module.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from typing import Any

from worker.archive import clock, texts
from worker.archive.db import Archive
from worker.archive.models import (
    ChangeSummary,
    DocumentInfo,
    ExportedPassage,
    ExportedVersion,
    StoredVersion,
    VersionInfo,
)
from worker.diff import diff_records
from worker.errors import ArchiveError, DocumentNotFound, VersionNotFound
from worker.record import Record
from worker.urls import canonical_url

_DOCUMENT = """
SELECT d.id, d.canonical_url, d.site, d.document_number, d.title, d.published, d.first_seen,
    d.last_seen, d.last_checked, d.next_check_at, d.checks, d.gone_at,
    (SELECT count(*) FROM versions WHERE document_id = d.id)
FROM documents AS d
"""

_VERSION = f"""
SELECT seen_at, cause, parser_version, capture_id, {texts.VERSION_COLUMNS}
FROM versions WHERE document_id = ?
"""


def resolve_document(archive: Archive, doc: str) -> DocumentInfo:
    """The document a user means by `doc`: a URL, a document id or a document number."""
    text = doc.strip()
    if "://" in text:
        what, where, value = "URL", "d.canonical_url = ?", canonical_url(text)
    elif text.isdigit():
        what, where, value = "id", "d.id = ?", text
    else:
        what, where, value = "document number", "d.document_number = ?", text
    row = archive.conn.execute(f"{_DOCUMENT} WHERE {where} ORDER BY d.id LIMIT 1", (value,))
    found = row.fetchone()
    if found is None:
        raise DocumentNotFound(f"{doc}: no document with this {what} in {archive.path}")
    return _document(found)


def other_copies(archive: Archive, document_id: int) -> list[DocumentInfo]:
    """Other documents of the same briefing (same number, or same title and day), by id."""
    rows = archive.conn.execute(
        f"{_DOCUMENT} WHERE d.id IN (SELECT copy_id FROM copies WHERE document_id = ?)"
        " ORDER BY d.id",
        (document_id,),
    )
    return [_document(row) for row in rows]


def get_version(archive: Archive, document_id: int, number: int | None = None) -> StoredVersion:
    """Version `number` of the document, or its latest when `number` is None."""
    if number is None:
        row = archive.conn.execute(f"{_VERSION} ORDER BY number DESC LIMIT 1", (document_id,))
    else:
        row = archive.conn.execute(f"{_VERSION} AND number = ?", (document_id, number))
    found = row.fetchone()
    if found is None:
        raise VersionNotFound(_no_version(archive.conn, document_id, number))
    return _stored(archive, document_id, found)


def list_versions(archive: Archive, document_id: int) -> list[VersionInfo]:
    """Every version, oldest first, each with what changed since the one before."""
    infos: list[VersionInfo] = []
    previous: Record | None = None
    for row in archive.conn.execute(f"{_VERSION} ORDER BY number", (document_id,)):
        stored = _stored(archive, document_id, row)
        changes = None if previous is None else summarise(previous, stored.record)
        infos.append(
            VersionInfo(
                number=stored.number,
                seen_at=stored.seen_at,
                cause=stored.cause,
                identity=stored.identity,
                parser_version=stored.parser_version,
                capture_id=stored.capture_id,
                changes=changes,
            )
        )
        previous = stored.record
    return infos


def _no_version(conn: sqlite3.Connection, document_id: int, number: int | None) -> str:
    count = conn.execute(
        "SELECT count(*) FROM versions WHERE document_id = ?", (document_id,)
    ).fetchone()[0]
    if not count:
        return f"document {document_id} has no versions"
    return f"document {document_id} has no version {number} (versions 1 to {count})"


def _stored(archive: Archive, document_id: int, row: Any) -> StoredVersion:
    return StoredVersion(
        document_id=document_id,
        number=row[6],
        seen_at=row[0],
        cause=row[1],
        identity=row[7],
        parser_version=row[2],
        capture_id=row[3],
        record=texts.record_of(archive.conn, row[4:]),
    )


def _document(row: Any) -> DocumentInfo:
    return DocumentInfo(*row)


# ---- what changed between two versions ------------------------------------------------------
# What changed between two versions of a record, counted for `briefings versions`.
#
# The counts are read off `worker.diff.diff_records`, the diff `briefings diff` shows, so the two
# commands always agree: the same fields (`site`, `language`, `url` and `warnings` are not
# compared), sections aligned by part and heading, and turns paired the same way inside each
# changed section (an edited turn is `changed`; one rewritten past recognition is one removed
# and one added, as the diff shows it).


def summarise(before: Record, after: Record) -> ChangeSummary:
    diff = diff_records(before, after)
    fields = tuple(change.field for change in diff.fields) + (("toc",) if diff.toc else ())
    sections = Counter(section.status for section in diff.changed_sections)
    turns = Counter(
        item.status
        for section in diff.changed_sections
        for item in section.items
        if item.kind == "turn"
    )
    return ChangeSummary(
        fields=fields,
        sections_added=sections["added"],
        sections_removed=sections["removed"],
        sections_changed=sections["changed"],
        turns_added=turns["added"],
        turns_removed=turns["removed"],
        turns_changed=turns["changed"],
    )


# ---- streaming out (`briefings export`): rows read with a live cursor, one at a time, so an
# export of the whole archive never holds it in memory; `since` (a date or an ISO time) keeps the
# versions first seen at or after it, for incremental exports.

_RECORDS = f"""
SELECT d.canonical_url, v.seen_at, v.cause, {", ".join(f"v.{c}" for c in texts.VERSION_FIELDS)}
FROM latest_versions AS v
JOIN documents AS d ON d.id = v.document_id
WHERE :since IS NULL OR v.seen_at >= :since
ORDER BY v.document_id
"""


def export_records(archive: Archive, since: str | None) -> Iterator[ExportedVersion]:
    """The latest version of each document (first seen at or after `since`), in document order."""
    cursor = archive.conn.execute(_RECORDS, {"since": _since(since)})
    for url, seen_at, cause, *columns in cursor:
        record = texts.record_of(archive.conn, columns)
        yield ExportedVersion(columns[1], url, columns[2], seen_at, cause, record)


def export_passages(archive: Archive, since: str | None) -> Iterator[ExportedPassage]:
    """The passages of each latest version, cut from its record exactly as they were indexed."""
    for version in export_records(archive, since):
        record = version.record
        for p in texts.passages(record):
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
