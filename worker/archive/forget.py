"""`briefings forget URL`: remove a document that should never have been archived.

A listing page or an ordinary article that got in as a briefing must be removable, or it stays
in every search and export for ever. `forget` removes, in one write transaction:

- the document, its versions and their text (sections, passages no other document uses, and
  with them their rows of the search index, by the passages table's triggers);
- its captures that no other document's version or fetch uses;
- its fetch log rows, its retry row and its notification events.

Every other capture stays readable: a capture stored compressed against a removed base capture
(`captures.dictionary_id`) is first stored again on its own (plain zstd), from its raw bytes.
The address is not blocked: if a source links to it again, the next run fetches it again, and
the extract stage now refuses listing and index pages (`not-a-briefing`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from worker.archive.captures import compress
from worker.archive.db import Archive
from worker.archive.queries import resolve_document


@dataclass(frozen=True)
class Forgotten:
    """What `forget` removed."""

    document_id: int
    url: str
    title: str | None
    versions: int
    captures: int
    fetches: int
    rebased: int  # other captures stored again on their own, their base being removed


def forget(archive: Archive, doc: str) -> Forgotten:
    """Remove the document `doc` names (a URL, id or number) and everything that is only its."""
    document = resolve_document(archive, doc)
    with archive.write() as conn:
        return _forget(archive, conn, document.id, document.url, document.title)


def _forget(
    archive: Archive, conn: sqlite3.Connection, document_id: int, url: str, title: str | None
) -> Forgotten:
    captures = _own_captures(conn, document_id, url)
    rebased = 0
    for capture_id in captures:
        rebased += _free_dependants(archive, conn, capture_id, captures)
    version_ids = [
        row[0]
        for row in conn.execute("SELECT id FROM versions WHERE document_id = ?", (document_id,))
    ]
    section_ids = [
        row[0]
        for row in conn.execute("SELECT id FROM sections WHERE document_id = ?", (document_id,))
    ]
    passage_ids = {
        row[0]
        for section_id in section_ids
        for row in conn.execute(
            "SELECT passage_id FROM section_passages WHERE section_id = ?", (section_id,)
        )
    }
    for version_id in version_ids:
        conn.execute("DELETE FROM version_sections WHERE version_id = ?", (version_id,))
    for section_id in section_ids:
        conn.execute("DELETE FROM section_passages WHERE section_id = ?", (section_id,))
    conn.execute("DELETE FROM sections WHERE document_id = ?", (document_id,))
    for passage_id in passage_ids:
        # Another document may say the same words: its passage row is shared.
        conn.execute(
            "DELETE FROM passages WHERE id = ?"
            " AND NOT EXISTS (SELECT 1 FROM section_passages WHERE passage_id = ?)",
            (passage_id, passage_id),
        )
    fetches = conn.execute(
        "DELETE FROM fetches WHERE document_id = ? OR url = ?", (document_id, url)
    ).rowcount
    conn.execute("DELETE FROM notify_events WHERE document_id = ?", (document_id,))
    conn.execute("DELETE FROM retries WHERE url = ?", (url,))
    conn.execute("DELETE FROM versions WHERE document_id = ?", (document_id,))
    # Captures others still use stay, but no longer say they are this document's.
    conn.execute("UPDATE captures SET document_id = NULL WHERE document_id = ?", (document_id,))
    # Newest first: a capture compressed against a base always came after it.
    for capture_id in sorted(captures, reverse=True):
        conn.execute("DELETE FROM captures WHERE id = ?", (capture_id,))
    conn.execute("DELETE FROM documents WHERE id = ?", (document_id,))
    return Forgotten(
        document_id=document_id,
        url=url,
        title=title,
        versions=len(version_ids),
        captures=len(captures),
        fetches=fetches,
        rebased=rebased,
    )


def _own_captures(conn: sqlite3.Connection, document_id: int, url: str) -> list[int]:
    """The captures of the document that no other document's version or fetch uses."""
    rows = conn.execute(
        """
        SELECT id FROM captures WHERE document_id = ? OR url = ?
        UNION SELECT capture_id FROM versions WHERE document_id = ? AND capture_id IS NOT NULL
        UNION SELECT capture_id FROM fetches
            WHERE (document_id = ? OR url = ?) AND capture_id IS NOT NULL
        """,
        (document_id, url, document_id, document_id, url),
    ).fetchall()
    own = []
    for (capture_id,) in rows:
        shared = conn.execute(
            """
            SELECT 1 FROM versions WHERE capture_id = ? AND document_id != ?
            UNION ALL SELECT 1 FROM fetches WHERE capture_id = ?
                AND coalesce(document_id, -1) != ? AND url != ?
            LIMIT 1
            """,
            (capture_id, document_id, capture_id, document_id, url),
        ).fetchone()
        if shared is None:
            own.append(int(capture_id))
    return sorted(own)


def _free_dependants(
    archive: Archive, conn: sqlite3.Connection, base_id: int, removed: list[int]
) -> int:
    """Store again on their own the captures compressed against `base_id` that stay."""
    dependants = conn.execute(
        "SELECT c.id, c.body, b.sha256 FROM captures AS c JOIN captures AS b ON b.id = c.dictionary_id"
        " WHERE c.dictionary_id = ?",
        (base_id,),
    ).fetchall()
    count = 0
    for capture_id, blob, base_sha256 in dependants:
        if capture_id in removed:
            continue
        raw = archive.dictionaries.unpack(conn, blob, base_id, base_sha256)
        conn.execute(
            "UPDATE captures SET body = ?, dictionary_id = NULL WHERE id = ?",
            (compress(raw), capture_id),
        )
        count += 1
    return count
