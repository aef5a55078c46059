"""A version's record, stored once: its outline in `versions.record`, its text in `passages`.

The briefing text is most of a record, and search needs it as passages rows anyway; keeping it
in the record's JSON too stored it twice. So `versions.record` holds the record's JSON with
each section's `paragraphs` or `turns` replaced by how many there are (its outline), and a
record is rebuilt from the outline and the version's passages, in `seq` order, when read. The
rebuilt record equals the stored one exactly; its identity is computed before storing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from worker.errors import ArchiveError
from worker.record import Record

# A version's passages as a record needs them: section, role, speaker and text, in order.
_PASSAGES = (
    "SELECT section_index, role, speaker, text FROM passages WHERE version_id = ? ORDER BY seq"
)

_Row = tuple[int, str, str | None, str]


def outline(record: Record) -> str:
    """The record's JSON with each section's paragraphs or turns replaced by their count."""
    data = record.to_dict()
    data["sections"] = [_section_outline(section) for section in data["sections"]]
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _section_outline(section: dict[str, Any]) -> dict[str, Any]:
    body = "paragraphs" if section["part"] == "statements" else "turns"
    return {"part": section["part"], "heading": section["heading"], body: len(section[body])}


def load(conn: sqlite3.Connection, version_id: int, stored: str) -> Record:
    """The record of version `version_id`, from its stored outline and its passages."""
    rows: list[_Row] = conn.execute(_PASSAGES, (version_id,)).fetchall()
    return rebuild(json.loads(stored), rows, version_id)


def rebuild(data: dict[str, Any], rows: Sequence[_Row], version_id: int) -> Record:
    """Fill the outline's sections, in order, with the passages rows (`seq` order)."""
    sections: list[dict[str, Any]] = []
    at = 0
    for index, section in enumerate(data["sections"]):
        body = "paragraphs" if section["part"] == "statements" else "turns"
        count = int(section[body])
        mine = rows[at : at + count]
        if len(mine) != count or any(row[0] != index for row in mine):
            raise ArchiveError(
                f"version {version_id}: its passages do not match its record's outline"
                f" (section {index})"
            )
        at += count
        if body == "paragraphs":
            filled: list[Any] = [row[3] for row in mine]
        else:
            filled = [{"role": row[1], "speaker": row[2], "text": row[3]} for row in mine]
        sections.append({"part": section["part"], "heading": section["heading"], body: filled})
    if at != len(rows):
        raise ArchiveError(f"version {version_id}: it has passages its record's outline lacks")
    return Record.from_dict({**data, "sections": sections})
