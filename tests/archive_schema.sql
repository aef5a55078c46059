-- user_version 3
CREATE INDEX captures_base ON captures (host, id) WHERE dictionary_id IS NULL;
CREATE INDEX captures_document_id ON captures (document_id);
CREATE INDEX captures_orphan_url ON captures (url) WHERE document_id IS NULL;
CREATE INDEX documents_document_number ON documents (document_number);
CREATE INDEX documents_next_check_at ON documents (next_check_at);
CREATE INDEX documents_title ON documents (title);
CREATE INDEX fetches_capture_id ON fetches (capture_id);
CREATE INDEX fetches_document_id ON fetches (document_id);
CREATE INDEX fetches_url ON fetches (url);
CREATE INDEX notify_events_document ON notify_events (document_id, kind);
CREATE INDEX notify_events_source ON notify_events (source, kind);
CREATE INDEX retries_next_check_at ON retries (next_check_at);
CREATE INDEX runs_source ON runs (source);
CREATE INDEX versions_capture_id ON versions (capture_id);
CREATE INDEX versions_passages_from ON versions (passages_from, id);
CREATE TABLE backfill (
    source TEXT PRIMARY KEY,
    next_url TEXT,
    pages_done INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE captures (
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
);
CREATE TABLE documents (
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
);
CREATE TABLE fetches (
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
);
CREATE TABLE notify_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: targets' cursors count on it
    kind TEXT NOT NULL CHECK (
        kind IN ('new', 'changed', 'gone', 'source-failing', 'source-recovered')
    ),
    at TEXT NOT NULL, -- when it happened: the version's seen_at, gone_at, the source's run
    document_id INTEGER REFERENCES documents (id), -- new, changed, gone
    version INTEGER, -- new, changed: the version's number
    source TEXT, -- source-failing, source-recovered: the source's name
    detail TEXT -- source-failing: the error
);
CREATE TABLE notify_targets (
    name TEXT PRIMARY KEY, -- a [[notify]] table's name
    sent_upto INTEGER NOT NULL, -- every event up to this id was sent to it, or not wanted
    failures INTEGER NOT NULL DEFAULT 0, -- sends that failed in a row
    last_error TEXT,
    last_attempt TEXT
);
CREATE TABLE notify_watermark (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    versions_upto INTEGER NOT NULL, -- versions.id: later versions are not collected yet
    gone_from TEXT NOT NULL -- documents gone at or after this time are collected
);
CREATE VIRTUAL TABLE passages_fts USING FTS5 (
    text, heading, speaker,
    tokenize='unicode61 remove_diacritics 2',
    content=''
);
CREATE TABLE 'passages_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE TABLE 'passages_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'passages_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'passages_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE retries (
    url TEXT PRIMARY KEY, -- canonical; an address with no document whose fetches failed
    first_failed TEXT NOT NULL, -- the recheck schedule's points count from here
    next_check_at TEXT NOT NULL -- (worker/archive/recheck.py); the row goes once it has a document
);
CREATE TABLE runs (
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
);
CREATE TABLE sources (
    name TEXT PRIMARY KEY,
    last_run_at TEXT,
    last_outcome TEXT,
    failure_streak INTEGER NOT NULL DEFAULT 0,
    backed_off_until TEXT,
    reported_failure INTEGER NOT NULL DEFAULT 0 -- 1 once the current failure streak was reported
);
CREATE TABLE sqlite_sequence(name,seq);
CREATE TABLE "versions" (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    number INTEGER NOT NULL,
    seen_at TEXT NOT NULL,
    cause TEXT NOT NULL CHECK (cause IN ('fetch', 'reparse')),
    identity TEXT NOT NULL,
    parser_version TEXT NOT NULL,
    capture_id INTEGER REFERENCES captures (id),
    passages_from INTEGER NOT NULL, -- its passages' rowids in passages_fts start here, one for
    -- each passage in record order (worker/archive/passages.py)
    record BLOB NOT NULL, -- the record's JSON (RECORD.md), zstd-compressed with the raw bytes of
    -- its capture as the dictionary (worker/archive/records.py)
    UNIQUE (document_id, number)
);
CREATE VIEW copies AS
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
);
CREATE VIEW latest_versions AS
SELECT versions.* FROM versions
WHERE versions.number = (
    SELECT max(later.number) FROM versions AS later WHERE later.document_id = versions.document_id
);
