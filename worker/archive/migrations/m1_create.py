"""Migration 1: the whole schema as the first worker created it (frozen; never edited)."""

from __future__ import annotations

TABLES = (
    """CREATE TABLE sources (
    name TEXT PRIMARY KEY,
    last_run_at TEXT,
    last_outcome TEXT,
    failure_streak INTEGER NOT NULL DEFAULT 0,
    backed_off_until TEXT,
    reported_failure INTEGER NOT NULL DEFAULT 0 -- 1 once the current failure streak was reported
)""",
    """CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    canonical_url TEXT NOT NULL UNIQUE,
    site TEXT,
    document_number TEXT,
    title TEXT,
    published TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT,
    last_checked TEXT,
    next_check_at TEXT,
    checks INTEGER NOT NULL DEFAULT 0,
    gone_at TEXT,
    etag TEXT,
    last_modified TEXT
)""",
    """CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    document_id INTEGER REFERENCES documents (id), -- null: failed to parse, no document yet
    url TEXT NOT NULL,
    host TEXT NOT NULL, -- of the URL (with a non-default port): the site whose bases it uses
    fetched_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL, -- JSON object, lower-case keys
    sha256 TEXT NOT NULL UNIQUE, -- of the raw bytes: identical bytes are stored once
    size INTEGER NOT NULL, -- of the raw bytes
    dictionary_id INTEGER REFERENCES captures (id), -- the base whose raw bytes are the zstd
    -- dictionary of body; null: this capture is a base, plain zstd (worker/archive/dictionaries.py)
    body BLOB NOT NULL -- the raw bytes, zstd-compressed
)""",
    """CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    number INTEGER NOT NULL,
    seen_at TEXT NOT NULL,
    cause TEXT NOT NULL CHECK (cause IN ('fetch', 'reparse')),
    identity TEXT NOT NULL,
    parser_version TEXT NOT NULL,
    capture_id INTEGER REFERENCES captures (id),
    record TEXT NOT NULL, -- JSON, RECORD.md, with each section's paragraphs or turns replaced by
    -- their count: the text is in passages (worker/archive/records.py rebuilds the record)
    UNIQUE (document_id, number)
)""",
    """CREATE TABLE passages (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES versions (id),
    seq INTEGER NOT NULL,
    section_index INTEGER NOT NULL,
    part TEXT NOT NULL,
    heading TEXT,
    role TEXT, -- statement, question or answer
    speaker TEXT,
    text TEXT NOT NULL,
    UNIQUE (version_id, seq)
)""",
    """CREATE TABLE fetches (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    document_id INTEGER REFERENCES documents (id),
    source TEXT,
    fetched_at TEXT NOT NULL,
    status INTEGER,
    bytes INTEGER,
    duration REAL,
    outcome TEXT NOT NULL CHECK (
        outcome IN ('new', 'changed', 'unchanged', 'not-modified', 'gone')
        OR outcome LIKE 'error: %'
    ),
    capture_id INTEGER REFERENCES captures (id) -- the bytes kept from this fetch, if any
)""",
    """CREATE TABLE retries (
    url TEXT PRIMARY KEY, -- canonical; an address with no document whose fetches failed
    first_failed TEXT NOT NULL, -- the recheck schedule's points count from here
    next_check_at TEXT NOT NULL -- (worker/archive/recheck.py); the row goes once it has a document
)""",
    """CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    source TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('discover', 'recheck', 'backfill', 'manual')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    seen INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    not_modified INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    error TEXT
)""",
    """CREATE TABLE backfill (
    source TEXT PRIMARY KEY,
    next_url TEXT,
    pages_done INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0
)""",
)

INDEXES = (
    "CREATE INDEX documents_next_check_at ON documents (next_check_at)",
    "CREATE INDEX documents_document_number ON documents (document_number)",
    "CREATE INDEX documents_title ON documents (title)",
    "CREATE INDEX captures_document_id ON captures (document_id)",
    "CREATE INDEX captures_orphan_url ON captures (url) WHERE document_id IS NULL",
    "CREATE INDEX captures_base ON captures (host, id) WHERE dictionary_id IS NULL",
    "CREATE INDEX versions_capture_id ON versions (capture_id)",
    "CREATE INDEX fetches_url ON fetches (url)",
    "CREATE INDEX fetches_document_id ON fetches (document_id)",
    "CREATE INDEX fetches_capture_id ON fetches (capture_id)",
    "CREATE INDEX retries_next_check_at ON retries (next_check_at)",
    "CREATE INDEX runs_source ON runs (source)",
)

# Copied from what sqlite-utils' `enable_fts(["text", "heading"], create_triggers=True,
# tokenize="unicode61 remove_diacritics 2")` writes, so its `detect_fts` (which Datasette also
# uses) recognises the table. Speakers are not indexed: search filters them with `LIKE` on
# passages, and indexing the same name on every passage cost ~5% of the index.
FTS = (
    """CREATE VIRTUAL TABLE "passages_fts" USING FTS5 (
    "text", "heading",
    tokenize='unicode61 remove_diacritics 2',
    content="passages"
)""",
    """CREATE TRIGGER "passages_ai" AFTER INSERT ON "passages" BEGIN
  INSERT INTO "passages_fts" (rowid, "text", "heading") VALUES (new.rowid, new."text", new."heading");
END""",
    """CREATE TRIGGER "passages_ad" AFTER DELETE ON "passages" BEGIN
  INSERT INTO "passages_fts" ("passages_fts", rowid, "text", "heading") VALUES('delete', old.rowid, old."text", old."heading");
END""",
    """CREATE TRIGGER "passages_au" AFTER UPDATE ON "passages" BEGIN
  INSERT INTO "passages_fts" ("passages_fts", rowid, "text", "heading") VALUES('delete', old.rowid, old."text", old."heading");
  INSERT INTO "passages_fts" (rowid, "text", "heading") VALUES (new.rowid, new."text", new."heading");
END""",
)

VIEWS = (
    """CREATE VIEW latest_versions AS
SELECT versions.* FROM versions
WHERE versions.number = (
    SELECT max(later.number) FROM versions AS later WHERE later.document_id = versions.document_id
)""",
    # Mirrors republish a briefing under their own URL: the ministry's document number ties the
    # copies together, else the same title on the same day (unless their numbers disagree).
    """CREATE VIEW copies AS
SELECT
    a.id AS document_id,
    b.id AS copy_id,
    b.canonical_url AS copy_url,
    b.site AS copy_site,
    CASE WHEN a.document_number = b.document_number
        THEN 'document_number' ELSE 'title and date' END AS matched_by
FROM documents AS a
JOIN documents AS b ON b.id <> a.id AND (
    a.document_number = b.document_number
    OR (
        a.title = b.title
        AND substr(a.published, 1, 10) = substr(b.published, 1, 10)
        AND (a.document_number IS NULL OR b.document_number IS NULL)
    )
)""",
)

STATEMENTS = TABLES + INDEXES + FTS + VIEWS
