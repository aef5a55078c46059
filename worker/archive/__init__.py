"""Stage 4, the archive: every distinct version of every briefing, in one SQLite file that
`sqlite3`, `sqlite-utils` and Datasette read as it is.

db.py            `Archive`: one connection, PRAGMAs, migrations, `write()` (BEGIN IMMEDIATE), the
                 recheck policy
migrations/      the schema, one module per migration, numbered by `PRAGMA user_version`
store.py         one page's outcome in one transaction; the version gate (`commit_version`);
                 documents; the fetch log
texts.py         a version's text in plain tables, unchanged sections and texts stored once
captures.py      raw bytes, zstd-compressed against a base capture of their host
recheck.py       when documents, and addresses that only failed, are fetched again; known URLs
reparse.py       replaying stored captures through today's parser
state.py         runs, source health and backoff, backfill progress
queries.py       documents, versions and copies as users name them; what changed; export
search.py        FTS5 search with safely quoted user queries, FTS5's own snippets
status.py        counts, size, recent errors, sources
follow.py        `list`, `changes` and the captures in order (`export --format warc`)
outbox.py        the notification outbox: events and each target's cursor
models.py        the frozen dataclasses all of these hand out; the fetch outcomes
clock.py         timestamps as stored
"""

from worker.archive.db import Archive
from worker.archive.models import (
    ArchiveStatus,
    BackfillState,
    ChangeSummary,
    DocumentInfo,
    Outcome,
    RecentError,
    ReparseCandidate,
    RunCounts,
    RunInfo,
    SearchHit,
    SourceState,
    SourceStatus,
    StoredVersion,
    StoreResult,
    Validators,
    VersionInfo,
)
from worker.archive.queries import (
    export_passages,
    export_records,
    get_version,
    list_versions,
    other_copies,
    resolve_document,
)
from worker.archive.recheck import (
    due_for_recheck,
    known_urls,
    next_check_time,
    schedule_next_check,
)
from worker.archive.reparse import iter_reparse_candidates, store_reparse
from worker.archive.search import search
from worker.archive.state import (
    finish_run,
    get_backfill,
    mark_failure_reported,
    record_source_failure,
    record_source_success,
    save_backfill,
    source_state,
    start_run,
)
from worker.archive.status import status_summary
from worker.archive.store import (
    store_failure,
    store_gone,
    store_moved,
    store_not_modified,
    store_page,
    validators_for,
)
from worker.urls import canonical_url

__all__ = [
    "Archive",
    "ArchiveStatus",
    "BackfillState",
    "ChangeSummary",
    "DocumentInfo",
    "Outcome",
    "RecentError",
    "ReparseCandidate",
    "RunCounts",
    "RunInfo",
    "SearchHit",
    "SourceState",
    "SourceStatus",
    "StoreResult",
    "StoredVersion",
    "Validators",
    "VersionInfo",
    "canonical_url",
    "due_for_recheck",
    "export_passages",
    "export_records",
    "finish_run",
    "get_backfill",
    "get_version",
    "iter_reparse_candidates",
    "known_urls",
    "list_versions",
    "mark_failure_reported",
    "next_check_time",
    "other_copies",
    "record_source_failure",
    "record_source_success",
    "resolve_document",
    "save_backfill",
    "schedule_next_check",
    "search",
    "source_state",
    "start_run",
    "status_summary",
    "store_failure",
    "store_gone",
    "store_moved",
    "store_not_modified",
    "store_page",
    "store_reparse",
    "validators_for",
]
