"""Documents and their versions: the hash gate that decides whether a record is new.

A document is keyed by its canonical URL. A version is written only when a record's identity
differs from the document's latest one, numbered 1, 2, 3… per document; the document row
mirrors the latest version's title, date and numbers. A version keeps its record compressed
against its capture (`records.py`) and indexes it as passages (`passages.py`); its identity is
the hash of the whole record. Every
function here runs inside the caller's write transaction.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import zstandard

from worker.archive import captures, passages, records
from worker.archive.db import Archive
from worker.archive.models import VersionCause
from worker.errors import ArchiveError
from worker.record import Record


@dataclass(frozen=True)
class LatestVersion:
    number: int
    identity: str
    capture_id: int | None


@dataclass(frozen=True)
class NewVersion:
    """What `add_version` needs besides the record."""

    cause: VersionCause
    parser_version: str
    capture_id: int
    seen_at: str
    capture_body: bytes  # the capture's raw bytes: the record is compressed against them


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


def add_version(conn: sqlite3.Connection, document_id: int, record: Record, new: NewVersion) -> int:
    """Write `record` as the document's next version, and its passages; returns its number."""
    latest = latest_version(conn, document_id)
    number = 1 if latest is None else latest.number + 1
    _check_capture_body(conn, new.capture_id, new.capture_body)
    passages_from = passages.next_rowid(conn)
    conn.execute(
        "INSERT INTO versions (document_id, number, seen_at, cause, identity, parser_version,"
        " capture_id, passages_from, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            document_id,
            number,
            new.seen_at,
            new.cause,
            record.identity(),
            new.parser_version,
            new.capture_id,
            passages_from,
            records.pack(record, new.capture_body),
        ),
    )
    passages.insert(conn, passages_from, record)
    conn.execute(
        "UPDATE documents SET site = ?, document_number = ?, title = ?, published = ? WHERE id = ?",
        (record.site, record.document_number, record.title, record.published, document_id),
    )
    return number


@dataclass(frozen=True)
class PackedRecord:
    """A version's record as stored: what reading it back needs."""

    version_id: int  # the row id
    capture_id: int | None
    identity: str
    blob: bytes


def read_record(archive: Archive, packed: PackedRecord) -> Record:
    """The record of a version, read with its capture and checked against its identity hash:
    a record that cannot be read back exactly is an `ArchiveError` naming the version."""
    where = _version_name(archive.conn, packed.version_id)
    body = None
    if packed.capture_id is not None:
        try:
            body = captures.load(archive, packed.capture_id).body
        except (zstandard.ZstdError, ArchiveError) as error:
            raise ArchiveError(
                f"{where()}: its capture {packed.capture_id} cannot be read: {error}"
            ) from None
    try:
        record = records.unpack(packed.blob, body)
    except records.UnreadableRecord as error:
        raise ArchiveError(f"{where()}: its stored record cannot be read: {error}") from None
    if record.identity() != packed.identity:
        raise ArchiveError(f"{where()}: its stored record does not match its identity hash")
    return record


def _version_name(conn: sqlite3.Connection, version_id: int) -> Callable[[], str]:
    """How an error names a version (looked up only when one is raised): as users know it."""

    def name() -> str:
        row = conn.execute(
            "SELECT document_id, number FROM versions WHERE id = ?", (version_id,)
        ).fetchone()
        if row is None:
            return f"version row {version_id}"
        return f"document {row[0]} version {row[1]} (versions row {version_id})"

    return name


def _check_capture_body(conn: sqlite3.Connection, capture_id: int, body: bytes) -> None:
    """The record is compressed against `body`: it must be the capture's stored bytes, or the
    record could never be read back."""
    row = conn.execute("SELECT sha256 FROM captures WHERE id = ?", (capture_id,)).fetchone()
    if row is None or row[0] != hashlib.sha256(body).hexdigest():
        raise ArchiveError(f"capture {capture_id}: the bytes given are not the capture's own")
