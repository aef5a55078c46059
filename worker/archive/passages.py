"""A record cut into passages: the rows full-text search indexes.

A statements section gives one passage per paragraph, spoken by the briefing's speaker; an
answers section gives one passage per turn, with the turn's role and speaker. Every passage
carries its section's index, part and heading, so a search hit can say where it was said.

A `passages` row holds where a passage sits and who spoke it, not its text: the text is in the
version's record (`records.py`), compressed, and `passages_fts` is a contentless FTS5 index
(it keeps the index, not a copy of the text). So the index is written here, row for row with
`passages`, in the same transaction; `passages_fts.rowid` is `passages.id`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from worker.record import Record


@dataclass(frozen=True)
class Passage:
    seq: int
    section_index: int
    part: str
    heading: str | None
    role: str
    speaker: str | None
    text: str


def passages(record: Record) -> Iterator[Passage]:
    seq = 0
    for index, section in enumerate(record.sections):
        if section.part == "statements":
            spoken = [("statement", record.speaker, text) for text in section.paragraphs]
        else:
            spoken = [(turn.role, turn.speaker, turn.text) for turn in section.turns]
        for role, speaker, text in spoken:
            yield Passage(seq, index, section.part, section.heading, role, speaker, text)
            seq += 1


def insert(conn: sqlite3.Connection, version_id: int, record: Record) -> int:
    """Write the record's passages for `version_id`, and index their text; returns how many.

    Call inside a write transaction (`BEGIN IMMEDIATE`): the ids are taken as max(id) + 1 on,
    which no other writer can take meanwhile.
    """
    first = int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM passages").fetchone()[0])
    cut = list(passages(record))
    conn.executemany(
        "INSERT INTO passages (id, version_id, seq, section_index, part, heading, role, speaker)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                first + p.seq,
                version_id,
                p.seq,
                p.section_index,
                p.part,
                p.heading,
                p.role,
                p.speaker,
            )
            for p in cut
        ],
    )
    conn.executemany(
        "INSERT INTO passages_fts (rowid, text, heading) VALUES (?, ?, ?)",
        [(first + p.seq, p.text, p.heading) for p in cut],
    )
    return len(cut)
