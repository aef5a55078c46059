"""Migration 4: the archive readable by anyone, with `sqlite3`, `sqlite-utils` or Datasette.

Under schema 2 a version's text lived only inside its zstd-compressed record and a contentless
FTS5 index. Migration 4 rebuilds every version in plain columns (`texts.py`): the record's own
fields on the `versions` row, its sections and passages as rows, each unchanged section and text
stored once per document, and `passages_fts`, an FTS5 index over `passages.text` created and kept
in sync exactly as sqlite-utils' `enable_fts(..., create_triggers=True)` does. Documents gain
language, speaker and place; versions a one-line summary of what changed since the one before.
Each record is rebuilt from the new rows and checked against its identity hash before the old
blob goes: a version that would differ stops the upgrade (rolled back whole).

A redirect was logged as `gone` with status 301; it is now an outcome of its own, `moved`, and
the `fetches` table is rebuilt with the new check (SQLite cannot change a CHECK in place).
Views for the everyday questions (`texts`, `briefings`, `questions`, `timeline`) are created;
the README gives the SQL of each.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import sqlite_utils
import zstandard

from worker.archive import texts
from worker.archive.captures import Dictionaries
from worker.archive.models import outcome_check
from worker.errors import ArchiveError
from worker.record import Record

# Made by sqlite-utils: the distinct texts and sections.
_TABLES: dict[str, tuple[dict[str, Any], str]] = {
    "passages": ({"id": int, "text": str}, "id"),
    "sections": ({"id": int, "document_id": int, "part": str, "heading": str}, "id"),
}
_FOREIGN_KEYS = {"sections": [("document_id", "documents", "id")]}
_NOT_NULL = {"passages": {"text"}, "sections": {"document_id", "part"}}
# The two tables of pointers, one row per paragraph of a stored section and per section of a
# version, are keyed by their primary key alone (WITHOUT ROWID, which sqlite-utils does not
# make): half the bytes of a rowid table with a separate key index.
_POINTERS = (
    """CREATE TABLE section_passages (
    section_id INTEGER NOT NULL REFERENCES sections (id),
    position INTEGER NOT NULL,
    passage_id INTEGER NOT NULL REFERENCES passages (id),
    role TEXT NOT NULL,
    speaker TEXT,
    PRIMARY KEY (section_id, position)
) WITHOUT ROWID""",
    """CREATE TABLE version_sections (
    version_id INTEGER NOT NULL REFERENCES versions (id),
    position INTEGER NOT NULL,
    section_id INTEGER NOT NULL REFERENCES sections (id),
    PRIMARY KEY (version_id, position)
) WITHOUT ROWID""",
)
_INDEXES = {
    "sections": ["document_id"],
    "section_passages": ["passage_id"],
    "version_sections": ["section_id"],
}
_NEW_VERSION_COLUMNS = (
    ("record_schema", int),
    ("url", str),
    ("site", str),
    ("language", str),
    ("title", str),
    ("published", str),
    ("document_number", str),
    ("speaker", str),
    ("place", str),
    ("toc", str),
    ("warnings", str),
    ("changes", str),
)
_VERSION_ORDER = [
    "id",
    "document_id",
    "number",
    "seen_at",
    "cause",
    "changes",
    "title",
    "published",
    "site",
    "language",
    "speaker",
    "place",
    "document_number",
    "url",
    "toc",
    "warnings",
    "record_schema",
    "identity",
    "parser_version",
    "capture_id",
]

_FETCHES = f"""CREATE TABLE fetches_moved (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    document_id INTEGER REFERENCES documents (id),
    source TEXT,
    fetched_at TEXT NOT NULL,
    status INTEGER,
    bytes INTEGER,
    duration REAL,
    outcome TEXT NOT NULL CHECK ({outcome_check("outcome")}),
    capture_id INTEGER REFERENCES captures (id)
)"""
_FETCHES_AFTER = (
    "INSERT INTO fetches_moved SELECT id, url, document_id, source, fetched_at, status, bytes,"
    " duration, CASE WHEN outcome = 'gone' AND status = 301 THEN 'moved' ELSE outcome END,"
    " capture_id FROM fetches",
    "DROP TABLE fetches",
    "ALTER TABLE fetches_moved RENAME TO fetches",
    "CREATE INDEX fetches_url ON fetches (url)",
    "CREATE INDEX fetches_document_id ON fetches (document_id)",
    "CREATE INDEX fetches_capture_id ON fetches (capture_id)",
)

VIEWS = (
    "DROP VIEW IF EXISTS latest_versions",
    """CREATE VIEW latest_versions AS
SELECT versions.* FROM versions
WHERE versions.number = (
    SELECT max(later.number) FROM versions AS later WHERE later.document_id = versions.document_id
)""",
    # One row per paragraph or turn of every version.
    """CREATE VIEW texts AS
SELECT v.document_id, v.id AS version_id, v.number AS version, v.seen_at, v.site, v.title,
    v.published, vs.position AS section_index, s.part, s.heading, sp.position, sp.role,
    sp.speaker, p.text, p.id AS passage_id
FROM versions AS v
JOIN version_sections AS vs ON vs.version_id = v.id
JOIN sections AS s ON s.id = vs.section_id
JOIN section_passages AS sp ON sp.section_id = s.id
JOIN passages AS p ON p.id = sp.passage_id""",
    # The latest version of every briefing, with its document's facts.
    """CREATE VIEW briefings AS
SELECT d.id AS document_id, v.title, v.published, substr(v.published, 1, 7) AS month, v.site,
    v.language, v.speaker, v.place, v.document_number, d.canonical_url AS url,
    v.number AS versions, d.first_seen, v.seen_at AS last_changed, d.gone_at, v.id AS version_id
FROM documents AS d
JOIN latest_versions AS v ON v.document_id = d.id""",
    # Each question of a latest version with the turn that answers it (the next turn of its
    # section, when that is an answer); `outlet` is the questioner as the transcript names them.
    """CREATE VIEW questions AS
SELECT v.document_id, v.number AS version, v.published, substr(v.published, 1, 7) AS month,
    v.site, s.heading, q.speaker AS outlet, qp.text AS question, a.speaker AS answered_by,
    ap.text AS answer
FROM latest_versions AS v
JOIN version_sections AS vs ON vs.version_id = v.id
JOIN sections AS s ON s.id = vs.section_id
JOIN section_passages AS q ON q.section_id = s.id AND q.role = 'question'
JOIN passages AS qp ON qp.id = q.passage_id
LEFT JOIN section_passages AS a
    ON a.section_id = q.section_id AND a.position = q.position + 1 AND a.role = 'answer'
LEFT JOIN passages AS ap ON ap.id = a.passage_id""",
    # Every version of every briefing, oldest first, with what changed since the one before.
    """CREATE VIEW timeline AS
SELECT v.document_id, v.number AS version, v.seen_at, v.cause, v.changes, v.title,
    v.published, v.site, d.first_seen, d.canonical_url AS url
FROM versions AS v
JOIN documents AS d ON d.id = v.document_id""",
)

_VERSIONS = """
SELECT v.id, v.document_id, v.number, v.identity, v.record, v.capture_id, c.id, c.body,
    c.dictionary_id, b.sha256
FROM versions AS v
LEFT JOIN captures AS c ON c.id = v.capture_id
LEFT JOIN captures AS b ON b.id = c.dictionary_id
WHERE v.id = ?
"""


def move(conn: sqlite3.Connection) -> None:
    db = sqlite_utils.Database(conn)
    for column in ("language", "speaker", "place"):
        db.table("documents").add_column(column, str)
    for column, kind in _NEW_VERSION_COLUMNS:
        db.table("versions").add_column(column, kind)
    for name, (columns, pk) in _TABLES.items():
        db.table(name).create(
            columns, pk=pk, foreign_keys=_FOREIGN_KEYS.get(name), not_null=_NOT_NULL[name]
        )
    for statement in _POINTERS:
        conn.execute(statement)
    for name, indexed in _INDEXES.items():
        db.table(name).create_index(indexed)
    # The contentless index went first (`MIGRATIONS`): the new one takes its name.
    db.table("passages").enable_fts(
        ["text"], create_triggers=True, tokenize="unicode61 remove_diacritics 2"
    )
    _rewrite_versions(conn, db)
    conn.execute("DROP INDEX versions_passages_from")
    db.table("versions").transform(drop={"passages_from", "record"}, column_order=_VERSION_ORDER)
    conn.execute(_FETCHES)
    for statement in _FETCHES_AFTER:
        conn.execute(statement)
    for statement in VIEWS:
        conn.execute(statement)


def _rewrite_versions(conn: sqlite3.Connection, db: sqlite_utils.Database) -> None:
    """Every version's record, read from its blob, into plain rows, oldest first per document;
    each rebuilt and checked before it counts."""
    from worker.archive.queries import summarise  # the live summary, as store.py writes it

    dictionaries = Dictionaries()
    previous: dict[int, Record] = {}
    ids = conn.execute("SELECT id FROM versions ORDER BY document_id, number").fetchall()
    for (version_id,) in ids:
        row = conn.execute(_VERSIONS, (version_id,)).fetchone()
        where = f"document {row[1]} version {row[2]} (versions row {row[0]})"
        try:
            body = None
            if row[5] is not None:
                if row[6] is None:
                    raise ArchiveError(f"{where}: its capture {row[5]} is missing")
                body = dictionaries.unpack(conn, row[7], row[8], row[9])
            record = _unpack(row[4], body)
        except (zstandard.ZstdError, ValueError, KeyError, TypeError) as error:
            raise ArchiveError(f"{where}: cannot be read: {error}") from None
        if record.identity() != row[3]:
            raise ArchiveError(f"{where}: its stored record does not match its identity hash")
        before = previous.get(row[1])
        changes = "first version" if before is None else summarise(before, record).describe()
        db.table("versions").update(version_id, {**texts.version_columns(record), "changes": changes})
        texts.write(conn, row[1], version_id, record)
        rebuilt = conn.execute(
            f"SELECT {texts.VERSION_COLUMNS} FROM versions WHERE id = ?", (version_id,)
        ).fetchone()
        texts.record_of(conn, rebuilt)  # raises if the rows do not make the same record
        previous[row[1]] = record
    conn.execute(
        "UPDATE documents SET language = v.language, speaker = v.speaker, place = v.place"
        " FROM (SELECT document_id, language, speaker, place FROM versions AS x WHERE number ="
        " (SELECT max(number) FROM versions WHERE document_id = x.document_id)) AS v"
        " WHERE v.document_id = documents.id"
    )


def _unpack(blob: bytes, capture_body: bytes | None) -> Record:
    """Schema 2's record: JSON, zstd-compressed against its capture's raw bytes (frozen)."""
    if capture_body is None:
        data = zstandard.ZstdDecompressor().decompress(blob)
    else:
        raw = zstandard.ZstdCompressionDict(capture_body, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
        data = zstandard.ZstdDecompressor(dict_data=raw).decompress(blob)
    return Record.from_dict(json.loads(data))
