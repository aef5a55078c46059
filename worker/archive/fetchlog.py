"""The fetch log: one `fetches` row per attempt, whatever happened, so nothing is lost silently.

`outcome` is `new`, `changed`, `unchanged`, `not-modified`, `gone` or `error: <reason>`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class FetchEntry:
    url: str
    document_id: int | None
    source: str | None
    fetched_at: str
    status: int | None
    bytes: int | None
    duration: float
    outcome: str
    capture_id: int | None = None


def error_outcome(reason: str) -> str:
    """`error: <reason>` on one line, however the reason was written."""
    return "error: " + (" ".join(reason.split()) or "unknown")


def log(conn: sqlite3.Connection, entry: FetchEntry) -> None:
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
            entry.outcome,
            entry.capture_id,
        ),
    )
