"""Raw captures: the bytes a server sent, kept zstd-compressed and addressed by their sha256.

Identical bytes are stored once however often, and from wherever, they arrive: a capture's
`url` and `document_id` say where they were first kept, and each fetch and version that used
them points at the row. Keeping the bytes lets `reparse` re-derive any record without fetching.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass

import zstandard

from worker.archive import clock
from worker.page import Page

_LEVEL = 10  # a briefing page compresses ~8x at this level in a few milliseconds


@dataclass(frozen=True)
class StoredCapture:
    id: int
    url: str
    status: int
    fetched_at: str
    headers: dict[str, str]
    body: bytes


def compress(body: bytes) -> bytes:
    return bytes(zstandard.ZstdCompressor(level=_LEVEL).compress(body))


def decompress(blob: bytes) -> bytes:
    return bytes(zstandard.ZstdDecompressor().decompress(blob))


def keep(
    conn: sqlite3.Connection, page: Page, url: str, document_id: int | None, fetched_at: str
) -> int:
    """The id of the capture holding `page.body`, inserting it if these bytes are new."""
    digest = hashlib.sha256(page.body).hexdigest()
    conn.execute(
        "INSERT INTO captures (document_id, url, fetched_at, status, headers, sha256, size, body)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
        (
            document_id,
            url,
            clock.stamp(page.fetched_at) if page.fetched_at else fetched_at,
            page.status,
            json.dumps(page.headers, ensure_ascii=False, sort_keys=True),
            digest,
            len(page.body),
            compress(page.body),
        ),
    )
    capture_id: int = conn.execute(
        "SELECT id FROM captures WHERE sha256 = ?", (digest,)
    ).fetchone()[0]
    if document_id is not None:
        conn.execute(
            "UPDATE captures SET document_id = ? WHERE id = ? AND document_id IS NULL",
            (document_id, capture_id),
        )
    return capture_id


def load(conn: sqlite3.Connection, capture_id: int) -> StoredCapture:
    row = conn.execute(
        "SELECT id, url, status, fetched_at, headers, body FROM captures WHERE id = ?",
        (capture_id,),
    ).fetchone()
    return StoredCapture(
        id=row[0],
        url=row[1],
        status=row[2],
        fetched_at=row[3],
        headers=json.loads(row[4]),
        body=decompress(row[5]),
    )
