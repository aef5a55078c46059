"""The pipeline: the one place where the stages meet.

    Source (config) ──1. discover──▶ URLs ──2. fetch──▶ Page ──3. extract──▶ Record ──4. store──▶ Version | unchanged

1. discover (`worker.discover`): read a source's listing pages, follow their pagination, keep
   links that match the source's pattern and hosts and that the archive does not know yet.
2. fetch (`worker.fetch`): one polite, bounded GET per page; conditional with the stored
   validators, so an unchanged page costs a 304.
3. extract (`worker.extract`): the page's record, or a refusal (challenge, error page, empty).
4. store (`worker.archive.store`): one transaction per page; a version only when the record's
   identity changed; every attempt logged with its outcome.

Two modules, by what a reader opens together:
- `step`: one page through stages 2-4 (`archive_url`), the same extract step for stored captures
  (`reparse`), a page parsed outside any archive (`parse_target`), and the `Context` they run in;
- `runs`: whole runs (`run_source`, `backfill`, `recheck_due`): stage 1, then the pages on
  different hosts at once, a lane (thread) per host; every request still goes through the one
  per-host pacer of the shared Fetcher. Each run is recorded by `recorded_run`.

The daemon (`worker.daemon`) and the manual commands (`briefings fetch`, `backfill`, `reparse`,
`parse`) call these functions and never the stages directly. Every function takes a `Context`:
one archive connection, one HTTP client and the loaded profiles, for one thread.
"""

from worker.pipeline.runs import (
    Discovered,
    OpenRun,
    RunReport,
    backfill,
    discover,
    lane_context,
    newest_links,
    recheck_due,
    recorded_run,
    run_source,
)
from worker.pipeline.step import (
    Context,
    FetchOutcome,
    Progress,
    Refused,
    ReparseReport,
    archive_url,
    extract_whole,
    fetch_page,
    open_context,
    parse_target,
    reparse,
    source_for_url,
)

__all__ = [
    "Context",
    "Discovered",
    "FetchOutcome",
    "OpenRun",
    "Progress",
    "Refused",
    "ReparseReport",
    "RunReport",
    "archive_url",
    "backfill",
    "discover",
    "extract_whole",
    "fetch_page",
    "lane_context",
    "newest_links",
    "open_context",
    "parse_target",
    "recheck_due",
    "recorded_run",
    "reparse",
    "run_source",
    "source_for_url",
]
