"""Reading the archive: find a document, its versions and copies (`show`, `versions`).

DOC, as users type it, is a URL, a numeric document id or a ministry document number
(`1012-29-05-2024`). Several mirrors may carry one number; the earliest stored answers, and
`other_copies` lists the rest. Search, export and status live beside this module.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from worker.archive.changes import summarise
from worker.archive.db import Archive
from worker.archive.models import DocumentInfo, StoredVersion, VersionInfo
from worker.archive.urls import canonical_url
from worker.archive.versions import PackedRecord, read_record
from worker.errors import DocumentNotFound, VersionNotFound
from worker.record import Record

_DOCUMENT = """
SELECT d.id, d.canonical_url, d.site, d.document_number, d.title, d.published, d.first_seen,
    d.last_seen, d.last_checked, d.next_check_at, d.checks, d.gone_at,
    (SELECT count(*) FROM versions WHERE document_id = d.id)
FROM documents AS d
"""

_VERSION = """
SELECT number, seen_at, cause, identity, parser_version, capture_id, record, id
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
        number=row[0],
        seen_at=row[1],
        cause=row[2],
        identity=row[3],
        parser_version=row[4],
        capture_id=row[5],
        record=read_record(archive, PackedRecord(row[7], row[5], row[3], row[6])),
    )


def _document(row: Any) -> DocumentInfo:
    return DocumentInfo(*row)
