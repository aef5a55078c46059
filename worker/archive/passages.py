"""A record cut into passages: the rows full-text search indexes.

A statements section gives one passage per paragraph, spoken by the briefing's speaker; an
answers section gives one passage per turn, with the turn's role and speaker. Every passage
carries its section's index, part and heading, so a search hit can say where it was said.

A passage is a row of `passages_fts`, a contentless FTS5 index: it keeps the index of the
passage's text, heading and speaker, not a copy of them. Everything about a passage is in its
version's record, stored once and compressed (`records.py`). A version's passages take
consecutive rowids from `versions.passages_from`, in record order, so a hit's rowid names its
version (the one with the greatest `passages_from` at or below it) and its place in the record
(`seq`, the distance). Dense rowids keep the index small: FTS5 stores rowid gaps. Being
contentless, the index is written here, in the version's write transaction, not by triggers.
A section's heading is indexed with its first passage: once, not with every passage under it.
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
    opens_section: bool  # the first of its section's passages: the heading is indexed with it


def passages(record: Record) -> Iterator[Passage]:
    """The record's passages in record order. This order is part of the stored format: a
    version's index rows are numbered by it, so changing it needs a migration that rebuilds
    `passages_fts`."""
    seq = 0
    for index, section in enumerate(record.sections):
        if section.part == "statements":
            spoken = [("statement", record.speaker, text) for text in section.paragraphs]
        else:
            spoken = [(turn.role, turn.speaker, turn.text) for turn in section.turns]
        for k, (role, speaker, text) in enumerate(spoken):
            yield Passage(seq, index, section.part, section.heading, role, speaker, text, k == 0)
            seq += 1


def next_rowid(conn: sqlite3.Connection) -> int:
    """The rowid the next version's first passage takes (inside the write transaction)."""
    row = conn.execute("SELECT rowid FROM passages_fts ORDER BY rowid DESC LIMIT 1").fetchone()
    return 1 if row is None else int(row[0]) + 1


def insert(conn: sqlite3.Connection, passages_from: int, record: Record) -> int:
    """Index the record's passages under rowids from `passages_from` on; returns how many."""
    rows = [
        (passages_from + p.seq, p.text, p.heading if p.opens_section else None, p.speaker)
        for p in passages(record)
    ]
    conn.executemany(
        "INSERT INTO passages_fts (rowid, text, heading, speaker) VALUES (?, ?, ?, ?)", rows
    )
    return len(rows)
