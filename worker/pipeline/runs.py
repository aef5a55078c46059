"""A run: a source's listings read, then its unknown links archived, host by host at once.

    run_source(ctx, source)        1. discover the newest listing pages → archive the unknown links
    backfill(ctx, source)          the same, walking the listings into the past, resumable
    recheck_due(ctx)               the known documents whose next check is due, conditionally
      └── recorded_run             a `runs` row around the work, its outcomes counted
            └── run_in_lanes       the pages, a lane (thread) per host → `step.archive_url`

The lanes:

    run_in_lanes(ctx, addresses, work, stop, count)
      ├── one host        the caller's thread and Context, page after page (no thread at all)
      └── several hosts   a lane per host (at most MAX_LANES at once), each with its own
                          Context (its own SQLite connection, `lane_context`) and the run's
                          shared Fetcher

A slow or stalled host holds up only its own lane: the others go on at their own pace. Every
request still takes its host's turn in the Fetcher's one `HostPacer` (and its one robots.txt
cache), so lanes, jobs and the recheck job asking the same host are paced as one.

Threads, not asyncio: the fetch stack is synchronous httpx with one shared, thread-safe Client,
and a page's time is spent waiting (pacing, the network, SQLite's write lock), all of which
release the GIL. asyncio would mean a second, async fetch stack (every guarantee of
`worker.fetch` written twice) and still a thread for SQLite and for extraction. Writes stay
single-writer: each page is one short `BEGIN IMMEDIATE` transaction on the lane's own
connection (WAL; the busy timeout queues writers).

Stop: lanes check `stop` between pages, and the daemon's Fetcher ends every wait on it at once.
A lane that raises (the archive's disk, say) halts the other lanes after their page in hand, and
its error goes to the caller once every lane has ended; so does a KeyboardInterrupt in the
calling thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar
from urllib.parse import urlsplit

from worker import urls
from worker.archive import (
    clock,
    due_for_recheck,
    finish_run,
    get_backfill,
    known_urls,
    save_backfill,
    start_run,
)
from worker.archive.db import Archive
from worker.archive.models import RunCounts, RunKind
from worker.config import Source
from worker.discover import expand_listing_urls, months_back, parse_listing
from worker.errors import BadURL, BriefingsError, ConfigError, DiscoverError
from worker.pipeline.step import Context, FetchOutcome, Progress, archive_url

log = logging.getLogger("worker.pipeline")

# Hosts fetched at once in one run; more wait for a free lane. Each lane holds a connection.
MAX_LANES = 8

C = TypeVar("C")  # a Context (generic: the lanes need only to hand it on)
T = TypeVar("T")


def lane_of(url: str) -> str:
    """The lane a URL goes to: its host's server (`www.` and the bare name share one, as they
    share one pace); a URL with no usable host gets a lane of its own, where its fetch fails
    with the reason."""
    try:
        return urls.server_of(urls.host_of(url))
    except BadURL:
        return ""


def by_server(addresses: Iterable[str]) -> dict[str, list[str]]:
    """URLs grouped by lane (`lane_of`), in order of first appearance, each lane's URLs in order."""
    groups: dict[str, list[str]] = {}
    for url in addresses:
        groups.setdefault(lane_of(url), []).append(url)
    return groups


def run_in_lanes(
    ctx: C,
    addresses: Iterable[str],
    work: Callable[[C, str], T],
    *,
    stop: threading.Event,
    count: Callable[[T], None],
    lane_context: Callable[[C], AbstractContextManager[C]],
) -> bool:
    """`count(work(lane_ctx, url))` for every URL, hosts at once; False when stopped early.

    `lane_context(ctx)` gives a Context for a lane's thread (with its own archive connection);
    `count` is called under a lock, one outcome at a time.
    """
    groups = by_server(addresses)
    if len(groups) <= 1:
        for url in next(iter(groups.values()), []):
            if stop.is_set():
                return False
            count(work(ctx, url))
        return True
    halt = threading.Event()  # this run's own: a failing lane must not stop the daemon
    counting = threading.Lock()

    def lane(host_urls: list[str]) -> bool:
        with lane_context(ctx) as own:
            for url in host_urls:
                if stop.is_set() or halt.is_set():
                    return False
                outcome = work(own, url)
                with counting:
                    count(outcome)
        return True

    workers = min(MAX_LANES, len(groups))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lane") as pool:
        futures = [pool.submit(lane, group) for group in groups.values()]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
        finally:
            # All done, or a lane failed, or Ctrl-C: the others end after their page in hand,
            # and leaving `with` waits for them.
            halt.set()
    for future in futures:
        future.result()  # the first lane's error, if any
    return all(future.result() for future in futures)


@contextmanager
def lane_context(ctx: Context) -> Iterator[Context]:
    """A Context for a lane's thread: its own archive connection, the same fetcher (one pacer
    and robots.txt cache for every thread) and profiles."""
    archive = Archive.open(ctx.archive.path, ctx.archive.policy)
    try:
        yield Context(ctx.config, ctx.profiles, archive, ctx.fetcher)
    finally:
        archive.close()


@dataclass(frozen=True)
class RunReport:
    source: str
    kind: str
    started_at: str
    finished_at: str
    counts: RunCounts
    error: str | None = None


@dataclass(frozen=True)
class Discovered:
    """Briefing links found on listing pages, in order, with the dates the listings print."""

    links: tuple[str, ...]
    dates: dict[str, date]
    next_url: str | None  # the listing page after the last one read

    def since(self, day: date | None) -> tuple[str, ...]:
        """The links not listed as older than `day` (undated links are kept)."""
        if day is None:
            return self.links
        return tuple(url for url in self.links if self.dates.get(url, day) >= day)

    def reaches_before(self, day: date | None) -> bool:
        """Whether the listing already went back past `day` (listings run newest first)."""
        return day is not None and any(d < day for d in self.dates.values())


def discover(
    ctx: Context,
    source: Source,
    start_urls: list[str],
    pages: int,
    stop: threading.Event | None = None,
    *,
    require_links: bool = True,
) -> Discovered:
    """Walk up to `pages` listing pages from each start URL; links in order, and where it stopped.

    `stop` is checked between listing pages, as between briefing pages. Listing pages that yield
    no briefing link at all raise `DiscoverError` (unless `require_links` is False: a backfill
    walking past the oldest page).
    """
    profile = ctx.profiles.choose(start_urls[0] if start_urls else None, source.site)
    if profile.listing is None:
        raise ConfigError(
            str(ctx.config.path),
            f"sources.{source.name}.site",
            f"site profile {profile.name!r} has no [listing] rules",
        )
    links: dict[str, None] = {}
    dates: dict[str, date] = {}
    next_url: str | None = None
    read: list[str] = []
    for start in start_urls:
        next_url = start
        for _ in range(pages):
            if next_url is None or (stop is not None and stop.is_set()):
                break
            page = ctx.fetcher.fetch(next_url, allowed_hosts=source.allowed_hosts)
            listing = parse_listing(
                page,
                profile.listing,
                link_pattern=source.link_pattern,
                allowed_hosts=source.allowed_hosts,
            )
            links.update(dict.fromkeys(listing.links))
            dates.update((u, d) for u, d in zip(listing.links, listing.dates, strict=False) if d)
            read.append(f"{next_url} ({listing.anchors} links)")
            next_url = listing.next_url
    if require_links and read and not links:
        # A redesigned site must not look like a quiet day: the run fails, loudly, and backs off.
        raise DiscoverError(
            f"source {source.name}: no link matching link_pattern {source.link_pattern!r} on"
            f" {', '.join(read)}; the site's markup or addresses may have changed"
        )
    return Discovered(tuple(links), dates, next_url)


def newest_links(ctx: Context, source: Source, today: date | None = None) -> tuple[str, ...]:
    """The briefing links on the source's newest listing pages (`pages_per_run` of them)."""
    today = today or datetime.now(UTC).date()
    return discover(ctx, source, expand_listing_urls(source, today), source.pages_per_run).links


def run_source(
    ctx: Context, source: Source, *, stop: threading.Event, today: date | None = None
) -> RunReport:
    """Discover the source's newest listing pages and archive the links the archive lacks."""
    today = today or datetime.now(UTC).date()
    with recorded_run(ctx, source.name, "discover") as run:
        listings = expand_listing_urls(source, today)
        links = discover(ctx, source, listings, source.pages_per_run, stop).links
        _archive_unknown(ctx, source, links, stop, run)
    return run.report


def _archive_unknown(
    ctx: Context,
    source: Source,
    links: tuple[str, ...],
    stop: threading.Event,
    run: OpenRun,
) -> bool:
    """Archive the links the archive does not know yet; False when `stop` cut the work short."""
    known = known_urls(ctx.archive, links)
    unknown = [url for url in links if url not in known]
    run.saw_links(len(links), len(links) - len(unknown))
    # Found, known and new apart: "seen 0" alone cannot tell a quiet day from a broken listing.
    log.info(
        "%s: %d links found, %d known, %d new",
        source.name,
        len(links),
        len(links) - len(unknown),
        len(unknown),
        extra={"source": source.name},
    )

    def archive(lane: Context, url: str) -> FetchOutcome:
        return archive_url(lane, url, source=source)

    return run_in_lanes(
        ctx, unknown, archive, stop=stop, count=run.count, lane_context=lane_context
    )


def recheck_due(ctx: Context, *, stop: threading.Event) -> RunReport:
    """Fetch again the known documents whose next check is due (conditional GETs)."""
    with recorded_run(ctx, "recheck", "recheck") as run:
        due = due_for_recheck(ctx.archive, datetime.now(UTC), ctx.config.recheck.per_run)
        run_in_lanes(ctx, due, archive_url, stop=stop, count=run.count, lane_context=lane_context)
    return run.report


def backfill(
    ctx: Context,
    source: Source,
    *,
    pages: int | None,
    since: date | None,
    stop: threading.Event,
    progress: Progress | None = None,
) -> RunReport:
    """Walk the source's listings into the past, archiving what the archive lacks.

    Resumable: the listing page to read next is saved after each one, so a run that was
    interrupted (Ctrl-C, kill) carries on from there. `since` stops the walk once the listings go
    back past that date (and skips older items), or bounds the months of a monthly index.
    """
    state = get_backfill(ctx.archive, source.name)
    resume = state.next_url if state and not state.done else None
    limit = pages or source.backfill_pages
    queue = _backfill_listings(source, resume, since)
    done_pages = state.pages_done if state is not None and resume else 0
    with recorded_run(ctx, source.name, "backfill") as run:
        walked = 0
        while queue and walked < limit and not stop.is_set():
            found = discover(ctx, source, [queue[0]], 1, require_links=False)
            if not _archive_unknown(ctx, source, found.since(since), stop, run):
                break  # stopped part-way through this listing: it is read again next time
            queue.pop(0)
            if found.next_url and not found.reaches_before(since) and found.next_url not in queue:
                queue.insert(0, found.next_url)
            walked += 1
            done_pages += 1
            save_backfill(
                ctx.archive,
                source.name,
                next_url=queue[0] if queue else None,
                pages_done=done_pages,
                done=not queue,
            )
            if progress is not None:
                progress.update(walked, limit)
    return run.report


def _backfill_listings(source: Source, resume: str | None, since: date | None) -> list[str]:
    """The listing pages to walk, newest first; from `resume` on when a walk was interrupted.

    A paginated listing is followed page by page from its first page; a monthly index is every
    month back to `since` (default: ten years). A resumed walk of months keeps the months after
    the one it stopped at.
    """
    today = datetime.now(UTC).date()
    listings: list[str] = []
    for template in source.listing_urls:
        if "{year" in template or "{month" in template:
            listings.extend(months_back(template, today, since or date(today.year - 10, 1, 1)))
        else:
            listings.append(template)
    if resume is None:
        return listings
    if resume in listings:
        return listings[listings.index(resume) :]
    # A later page of one listing's pagination: go on with it, then with the listings after it.
    for index, url in enumerate(listings):
        if _without_query(url) == _without_query(resume):
            return [resume, *listings[index + 1 :]]
    return [resume]


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class OpenRun:
    """A run being recorded: its `runs` row, the outcomes counted so far, then its report."""

    def __init__(self, name: str, kind: RunKind, run_id: int, started_at: str) -> None:
        self.name = name
        self.kind = kind
        self.run_id = run_id
        self.started_at = started_at
        self.counts = RunCounts()
        self.links: tuple[int, int] | None = None  # (found, known) over the listings read
        self.error: str | None = None
        self._report: RunReport | None = None

    def count(self, outcome: FetchOutcome) -> None:
        self.counts = self.counts.plus(outcome.outcome)

    def saw_links(self, found: int, known: int) -> None:
        before_found, before_known = self.links or (0, 0)
        self.links = (before_found + found, before_known + known)

    def finish(self, finished_at: str) -> None:
        self._report = RunReport(
            self.name, self.kind, self.started_at, finished_at, self.counts, self.error
        )

    @property
    def report(self) -> RunReport:
        assert self._report is not None, "the run's `with` block has not ended"
        return self._report


@contextmanager
def recorded_run(ctx: Context, name: str, kind: RunKind) -> Iterator[OpenRun]:
    """A `runs` row around the block, its outcomes tallied through `run.count`.

    A `BriefingsError` in the block is the run's failure: recorded, logged, and the block ends
    there (the caller reads `run.report`). Anything else (Ctrl-C, a disk or database error) still
    gives the row its end and its counts, then goes on to the caller.
    """
    started = _now()
    run = OpenRun(name, kind, start_run(ctx.archive, name, kind, now=started), started)
    try:
        yield run
    except BriefingsError as failure:
        run.error = str(failure)
        # Info, not warning: the daemon decides when a failing source is worth a warning (once).
        log.info("%s run of %s failed: %s", kind, name, run.error, extra={"source": name})
    except BaseException as interrupted:
        error = type(interrupted).__name__
        finish_run(ctx.archive, run.run_id, run.counts, error=error, now=_now(), links=run.links)
        raise
    run.finish(_now())
    finished = run.report.finished_at
    finish_run(ctx.archive, run.run_id, run.counts, error=run.error, now=finished, links=run.links)


def _now() -> str:
    return clock.stamp(None)
