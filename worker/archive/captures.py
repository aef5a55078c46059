"""Raw captures: the bytes a server sent, kept compressed and addressed by their sha256.

Identical bytes are stored once however often, and from wherever, they arrive: a capture's
`url` and `document_id` say where they were first kept, and each fetch and version that used
them points at the row. Keeping the bytes lets `reparse` re-derive any record without fetching.
A capture is compressed against a base capture of its host (`dictionaries.py`): `dictionary_id`
names that base, or is null for a base itself.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from urllib.parse import urlsplit

from worker.archive import clock
from worker.archive.db import Archive
from worker.errors import ArchiveError
from worker.page import Page


@dataclass(frozen=True)
class StoredCapture:
    id: int
    url: str
    status: int
    fetched_at: str
    headers: dict[str, str]
    body: bytes


def host_of(url: str) -> str:
    """The host (and a non-default port) of a canonical URL: the site whose bases it shares."""
    return urlsplit(url).netloc.rpartition("@")[2]


def keep(archive: Archive, page: Page, url: str, document_id: int | None, fetched_at: str) -> int:
    """The id of the capture holding `page.body`, inserting it if these bytes are new; call
    inside the caller's write transaction."""
    conn = archive.conn
    digest = hashlib.sha256(page.body).hexdigest()
    found = conn.execute("SELECT id FROM captures WHERE sha256 = ?", (digest,)).fetchone()
    if found is not None:
        _adopt(conn, int(found[0]), document_id)
        return int(found[0])
    host = host_of(url)
    packed = archive.dictionaries.pack(conn, host, page.body)
    cursor = conn.execute(
        "INSERT INTO captures (document_id, url, host, fetched_at, status, headers, sha256, size,"
        " dictionary_id, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            document_id,
            url,
            host,
            clock.stamp(page.fetched_at) if page.fetched_at else fetched_at,
            page.status,
            json.dumps(page.headers, ensure_ascii=False, sort_keys=True),
            digest,
            len(page.body),
            packed.dictionary_id,
            packed.blob,
        ),
    )
    return int(cursor.lastrowid or 0)


def _adopt(conn: sqlite3.Connection, capture_id: int, document_id: int | None) -> None:
    """Bytes first kept without a document belong to the document that now has them."""
    if document_id is not None:
        conn.execute(
            "UPDATE captures SET document_id = ? WHERE id = ? AND document_id IS NULL",
            (document_id, capture_id),
        )


def load(archive: Archive, capture_id: int) -> StoredCapture:
    row = archive.conn.execute(
        "SELECT c.id, c.url, c.status, c.fetched_at, c.headers, c.body, c.dictionary_id, b.sha256"
        " FROM captures AS c LEFT JOIN captures AS b ON b.id = c.dictionary_id WHERE c.id = ?",
        (capture_id,),
    ).fetchone()
    if row is None:
        raise ArchiveError(f"capture {capture_id} is missing")
    return StoredCapture(
        id=row[0],
        url=row[1],
        status=row[2],
        fetched_at=row[3],
        headers=json.loads(row[4]),
        body=archive.dictionaries.unpack(archive.conn, row[5], row[6], row[7]),
    )
