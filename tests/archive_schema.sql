-- user_version 7
CREATE INDEX captures_base ON captures (host, id) WHERE dictionary_id IS NULL;
CREATE INDEX captures_document_id ON captures (document_id);
CREATE INDEX captures_orphan_url ON captures (url) WHERE document_id IS NULL;
CREATE INDEX documents_document_number ON documents (document_number);
CREATE INDEX documents_gone ON documents (gone_at) WHERE gone_at IS NOT NULL;
CREATE INDEX documents_newest ON documents (published IS NULL, published DESC, id DESC);
CREATE INDEX documents_next_check_at ON documents (next_check_at);
CREATE INDEX documents_title ON documents (title);
CREATE INDEX fetches_capture_id ON fetches (capture_id);
CREATE INDEX fetches_document_id ON fetches (document_id);
CREATE INDEX fetches_errors ON fetches (id) WHERE outcome LIKE 'error: %';
CREATE INDEX fetches_url ON fetches (url);
CREATE INDEX "idx_section_passages_passage_id"
    ON "section_passages" ("passage_id");
CREATE INDEX "idx_sections_document_id"
    ON "sections" ("document_id");
CREATE INDEX "idx_version_sections_section_id"
    ON "version_sections" ("section_id");
CREATE INDEX notify_events_document ON notify_events (document_id, kind);
CREATE INDEX notify_events_source ON notify_events (source, kind);
CREATE INDEX retries_next_check_at ON retries (next_check_at);
CREATE INDEX runs_source ON runs (source);
CREATE INDEX versions_capture_id ON versions (capture_id);
CREATE INDEX versions_passages ON versions (passages);
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
, "language" TEXT, "speaker" TEXT, "place" TEXT);
CREATE TABLE "fetches" (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    document_id INTEGER REFERENCES documents (id),
    source TEXT,
    fetched_at TEXT NOT NULL,
    status INTEGER,
    bytes INTEGER,
    duration REAL,
    outcome TEXT NOT NULL CHECK (outcome IN ('new', 'changed', 'unchanged', 'not-modified', 'gone', 'moved') OR outcome LIKE 'error: %'),
    capture_id INTEGER REFERENCES captures (id)
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
CREATE TABLE "passages" (
   "id" INTEGER PRIMARY KEY,
   "text" TEXT NOT NULL
);
CREATE VIRTUAL TABLE "passages_fts" USING FTS5 (
    "text",
    tokenize='unicode61 remove_diacritics 2',
    content="passages"
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
, links_found INTEGER, links_known INTEGER);
CREATE TABLE section_passages (
    section_id INTEGER NOT NULL REFERENCES sections (id),
    position INTEGER NOT NULL,
    passage_id INTEGER NOT NULL REFERENCES passages (id),
    role TEXT NOT NULL,
    speaker TEXT,
    PRIMARY KEY (section_id, position)
) WITHOUT ROWID;
CREATE TABLE "sections" (
   "id" INTEGER PRIMARY KEY,
   "document_id" INTEGER NOT NULL REFERENCES "documents"("id"),
   "part" TEXT NOT NULL,
   "heading" TEXT
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
CREATE TABLE version_sections (
    version_id INTEGER NOT NULL REFERENCES versions (id),
    position INTEGER NOT NULL,
    section_id INTEGER NOT NULL REFERENCES sections (id),
    PRIMARY KEY (version_id, position)
) WITHOUT ROWID;
CREATE TABLE "versions" (
   "id" INTEGER PRIMARY KEY,
   "document_id" INTEGER NOT NULL REFERENCES "documents"("id"),
   "number" INTEGER NOT NULL,
   "seen_at" TEXT NOT NULL,
   "cause" TEXT NOT NULL CHECK (cause IN ('fetch', 'reparse')),
   "changes" TEXT,
   "title" TEXT,
   "published" TEXT,
   "site" TEXT,
   "language" TEXT,
   "speaker" TEXT,
   "place" TEXT,
   "document_number" TEXT,
   "url" TEXT,
   "toc" TEXT,
   "warnings" TEXT,
   "record_schema" INTEGER,
   "identity" TEXT NOT NULL,
   "parser_version" TEXT NOT NULL,
   "capture_id" INTEGER REFERENCES "captures"("id"), passages INTEGER NOT NULL DEFAULT 0,
   UNIQUE ("document_id", "number")
);
CREATE TRIGGER "passages_ad" AFTER DELETE ON "passages" BEGIN
  INSERT INTO "passages_fts" ("passages_fts", rowid, "text") VALUES('delete', old.rowid, old."text");
END;
CREATE TRIGGER "passages_ai" AFTER INSERT ON "passages" BEGIN
  INSERT INTO "passages_fts" (rowid, "text") VALUES (new.rowid, new."text");
END;
CREATE TRIGGER "passages_au" AFTER UPDATE ON "passages" BEGIN
  INSERT INTO "passages_fts" ("passages_fts", rowid, "text") VALUES('delete', old.rowid, old."text");
  INSERT INTO "passages_fts" (rowid, "text") VALUES (new.rowid, new."text");
END;
CREATE VIEW briefings AS
SELECT d.id AS document_id, v.title, v.published, substr(v.published, 1, 7) AS month, v.site,
    v.language, v.speaker, v.place, v.document_number, d.canonical_url AS url,
    v.number AS versions, d.first_seen, v.seen_at AS last_changed, d.gone_at, v.id AS version_id
FROM documents AS d
JOIN latest_versions AS v ON v.document_id = d.id;
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
CREATE VIEW questions AS
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
LEFT JOIN passages AS ap ON ap.id = a.passage_id;
CREATE VIEW texts AS
SELECT v.document_id, v.id AS version_id, v.number AS version, v.seen_at, v.site, v.title,
    v.published, vs.position AS section_index, s.part, s.heading, sp.position, sp.role,
    sp.speaker, p.text, p.id AS passage_id
FROM versions AS v
JOIN version_sections AS vs ON vs.version_id = v.id
JOIN sections AS s ON s.id = vs.section_id
JOIN section_passages AS sp ON sp.section_id = s.id
JOIN passages AS p ON p.id = sp.passage_id;
CREATE VIEW timeline AS
SELECT v.document_id, v.number AS version, v.seen_at, v.cause, v.changes, v.title,
    v.published, v.site, d.first_seen, d.canonical_url AS url
FROM versions AS v
JOIN documents AS d ON d.id = v.document_id;
