"""A version's text in plain tables, each unchanged section and paragraph stored once.

A record's sections become rows a person reads with any SQLite tool:

    version_sections  (version_id, position) -> section_id: the version's sections, in order
    sections          id, document_id, part, heading
    section_passages  (section_id, position) -> passage_id, role, speaker: a paragraph or turn
    passages          id, text: the text itself, indexed by `passages_fts` (FTS5, sqlite-utils)

A section (its part, heading, and the roles, speakers and texts of its passages in order) that
the document already has is not written again: the new version points at it. So a version that
edits one paragraph adds one passage, one section and that section's `section_passages` rows,
never a copy of the other sections. A text the document already has is likewise one `passages`
row wherever it recurs. A statements paragraph has role `statement` and the briefing's speaker.

`record_of` rebuilds the exact record from these rows and the version's own columns, and checks
it against the version's identity hash. The view `texts` joins it all back into one row per
paragraph or turn (`migrations/m4_readable.py`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from worker.errors import ArchiveError
from worker.record import Part, Record, Section, TocEntry, Turn

Spoken = tuple[str, str | None, str]  # role, speaker, text


@dataclass(frozen=True)
class Passage:
    """A paragraph or turn of a record, as export and the `texts` view show it."""

    seq: int  # its place in the whole record, from 0
    section_index: int
    position: int  # its place in its section, from 0
    part: str
    heading: str | None
    role: str
    speaker: str | None
    text: str


def spoken(record: Record, section: Section) -> list[Spoken]:
    """The section's paragraphs (spoken by the briefing's speaker) or turns, in order."""
    if section.part == "statements":
        return [("statement", record.speaker, text) for text in section.paragraphs]
    return [(turn.role, turn.speaker, turn.text) for turn in section.turns]


def passages(record: Record) -> Iterator[Passage]:
    """The record's passages in record order."""
    seq = 0
    for index, section in enumerate(record.sections):
        for position, (role, speaker, text) in enumerate(spoken(record, section)):
            yield Passage(seq, index, position, section.part, section.heading, role, speaker, text)
            seq += 1


# ---- writing --------------------------------------------------------------------------------

_KNOWN_SECTIONS = """
SELECT s.id, s.part, s.heading, sp.role, sp.speaker, p.text, p.id
FROM sections AS s
LEFT JOIN section_passages AS sp ON sp.section_id = s.id
LEFT JOIN passages AS p ON p.id = sp.passage_id
WHERE s.document_id = ?
ORDER BY s.id, sp.position
"""

Signature = tuple[str, str | None, tuple[Spoken, ...]]


def _known(conn: sqlite3.Connection, document_id: int) -> tuple[dict[Signature, int], dict[str, int]]:
    """The document's stored sections by their content, and its stored texts."""
    by_id: dict[int, tuple[str, str | None, list[Spoken]]] = {}
    texts: dict[str, int] = {}
    for section_id, part, heading, role, speaker, text, passage_id in conn.execute(
        _KNOWN_SECTIONS, (document_id,)
    ):
        entry = by_id.setdefault(section_id, (part, heading, []))
        if text is not None:
            entry[2].append((role, speaker, text))
            texts[text] = passage_id
    sections = {(part, heading, tuple(rows)): sid for sid, (part, heading, rows) in by_id.items()}
    return sections, texts


def write(conn: sqlite3.Connection, document_id: int, version_id: int, record: Record) -> None:
    """Store the record's sections under `version_id`, reusing what the document already has;
    call inside the caller's write transaction (ids are taken as max + 1 there)."""
    sections, texts = _known(conn, document_id)
    next_section = _next_id(conn, "sections")
    next_passage = _next_id(conn, "passages")
    new_sections: list[dict[str, Any]] = []
    new_passages: list[dict[str, Any]] = []
    new_rows: list[dict[str, Any]] = []
    order: list[dict[str, Any]] = []
    for index, section in enumerate(record.sections):
        rows = tuple(spoken(record, section))
        signature = (section.part, section.heading, rows)
        section_id = sections.get(signature)
        if section_id is None:
            section_id = sections[signature] = next_section
            next_section += 1
            new_sections.append(
                {
                    "id": section_id,
                    "document_id": document_id,
                    "part": section.part,
                    "heading": section.heading,
                }
            )
            for position, (role, speaker, text) in enumerate(rows):
                passage_id = texts.get(text)
                if passage_id is None:
                    passage_id = texts[text] = next_passage
                    next_passage += 1
                    new_passages.append({"id": passage_id, "text": text})
                new_rows.append(
                    {
                        "section_id": section_id,
                        "position": position,
                        "passage_id": passage_id,
                        "role": role,
                        "speaker": speaker,
                    }
                )
        order.append({"version_id": version_id, "position": index, "section_id": section_id})
    # Passages first: the FTS triggers index them; then what points at them. Plain executemany:
    # this runs for every new version, and sqlite-utils' insert_all reads the table's schema
    # again on every call (about a third of the time it takes to store a page).
    conn.executemany("INSERT INTO passages (id, text) VALUES (:id, :text)", new_passages)
    conn.executemany(
        "INSERT INTO sections (id, document_id, part, heading)"
        " VALUES (:id, :document_id, :part, :heading)",
        new_sections,
    )
    conn.executemany(
        "INSERT INTO section_passages (section_id, position, passage_id, role, speaker)"
        " VALUES (:section_id, :position, :passage_id, :role, :speaker)",
        new_rows,
    )
    conn.executemany(
        "INSERT INTO version_sections (version_id, position, section_id)"
        " VALUES (:version_id, :position, :section_id)",
        order,
    )


def _next_id(conn: sqlite3.Connection, table: str) -> int:
    row = conn.execute(f"SELECT max(id) FROM {table}").fetchone()
    return 1 if row[0] is None else int(row[0]) + 1


# ---- reading --------------------------------------------------------------------------------

# The `versions` columns `record_of` reads, in this order.
VERSION_FIELDS = (
    "id",
    "document_id",
    "number",
    "identity",
    "record_schema",
    "url",
    "site",
    "language",
    "title",
    "published",
    "document_number",
    "speaker",
    "place",
    "toc",
    "warnings",
)
VERSION_COLUMNS = ", ".join(VERSION_FIELDS)

_SECTIONS = """
SELECT vs.position, s.part, s.heading, sp.role, sp.speaker, p.text
FROM version_sections AS vs
JOIN sections AS s ON s.id = vs.section_id
LEFT JOIN section_passages AS sp ON sp.section_id = s.id
LEFT JOIN passages AS p ON p.id = sp.passage_id
WHERE vs.version_id = ?
ORDER BY vs.position, sp.position
"""


def record_of(conn: sqlite3.Connection, row: Any) -> Record:
    """The record of a version, from a `versions` row read with `VERSION_COLUMNS`, checked
    against its identity hash: a record that cannot be rebuilt exactly is an `ArchiveError`."""
    version_id, document_id, number, identity = row[0], row[1], row[2], row[3]
    where = f"document {document_id} version {number} (versions row {version_id})"
    grouped: dict[int, tuple[str, str | None, list[Spoken]]] = {}
    for position, part, heading, role, speaker, text in conn.execute(_SECTIONS, (version_id,)):
        entry = grouped.setdefault(position, (part, heading, []))
        if text is not None:
            entry[2].append((role, speaker, text))
    try:
        record = Record(
            schema=int(row[4]),
            url=row[5],
            site=row[6],
            language=row[7],
            title=row[8],
            published=row[9],
            document_number=row[10],
            speaker=row[11],
            place=row[12],
            toc=tuple(TocEntry(part=e["part"], heading=e["heading"]) for e in json.loads(row[13])),
            warnings=tuple(json.loads(row[14])),
            sections=tuple(_section(*grouped[k]) for k in sorted(grouped)),  # type: ignore[arg-type]
        )
    except (ValueError, KeyError, TypeError) as error:
        raise ArchiveError(f"{where}: its stored record cannot be read: {error}") from None
    if record.identity() != identity:
        raise ArchiveError(f"{where}: its stored text does not match its identity hash")
    return record


def _section(part: Part, heading: str | None, rows: list[Spoken]) -> Section:
    if part == "statements":
        return Section(part=part, heading=heading, paragraphs=tuple(text for _, _, text in rows))
    turns = tuple(Turn(role=role, speaker=speaker, text=text) for role, speaker, text in rows)  # type: ignore[arg-type]
    return Section(part=part, heading=heading, turns=turns)


def version_columns(record: Record) -> dict[str, Any]:
    """The record's own fields as a `versions` row holds them (its sections are rows of their
    own, written by `write`)."""
    return {
        "record_schema": record.schema,
        "url": record.url,
        "site": record.site,
        "language": record.language,
        "title": record.title,
        "published": record.published,
        "document_number": record.document_number,
        "speaker": record.speaker,
        "place": record.place,
        "toc": json.dumps([e.to_dict() for e in record.toc], ensure_ascii=False),
        "warnings": json.dumps(list(record.warnings), ensure_ascii=False),
    }
