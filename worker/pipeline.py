"""The pipeline: the one place where the stages meet.

    Source (config) ──1. discover──▶ URLs ──2. fetch──▶ Page ──3. extract──▶ Record ──4. store──▶ Version | unchanged

1. discover (`worker.discover`): read a source's listing pages, follow their pagination, keep
   links that match the source's pattern and hosts and that the archive does not know yet.
2. fetch (`worker.fetch`): one polite, bounded GET per page; conditional with the stored
   validators, so an unchanged page costs a 304.
3. extract (`worker.extract`): the page's record, or a refusal (challenge, error page, empty).
4. store (`worker.archive.store`): one transaction per page; a version only when the record's
   identity changed; every attempt logged with its outcome.

Within a run, pages on different hosts are archived at once, a lane (thread) per host
(`worker.lanes`); every request still goes through the one per-host pacer of the shared Fetcher.

The daemon (`worker.daemon`) and the manual commands (`briefings fetch`, `backfill`, `reparse`,
`parse`) call these functions and never the stages directly. Every function takes a `Context`:
one archive connection, one HTTP client and the loaded profiles, for one thread.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from worker import urls
from worker.archive import (
    clock,
    due_for_recheck,
    finish_run,
    get_backfill,
    iter_reparse_candidates,
    known_urls,
    save_backfill,
    start_run,
    store_failure,
    store_gone,
    store_moved,
    store_not_modified,
    store_page,
    store_reparse,
    validators_for,
)
from worker.archive.db import Archive
from worker.archive.models import ReparseCandidate, RunCounts, RunKind, error_outcome
from worker.archive.queries import resolve_document
from worker.archive.reparse import count_reparse_candidates
from worker.config import Source, WorkerConfig
from worker.discover import expand_listing_urls, months_back, parse_listing
from worker.errors import (
    BadURL,
    BriefingsError,
    ConfigError,
    DiscoverError,
    ExtractError,
    FetchError,
    HTTPStatusError,
)
from worker.extract import PARSER_VERSION, extract, looks_truncated
from worker.fetch import Fetcher, make_client
from worker.lanes import run_in_lanes
from worker.page import Page
from worker.profiles import Profiles, SiteProfile, load_profiles
from worker.progress import Bar
from worker.record import Record
from worker.urls import canonical_url

log = logging.getLogger("worker.pipeline")

GONE_STATUSES = frozenset({404, 410})


@dataclass(frozen=True)
class Context:
    """Everything one thread needs to run the pipeline."""

    config: WorkerConfig
    profiles: Profiles
    archive: Archive
    fetcher: Fetcher


@contextmanager
def open_context(
    config: WorkerConfig,
    db_path: Path | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    profiles: Profiles | None = None,
    fetcher: Fetcher | None = None,
    offline: bool = False,
) -> Iterator[Context]:
    """Open the archive (and an HTTP client, unless a `fetcher` is shared) for this thread.

    A long-lived caller (the daemon) passes one `fetcher` to every context, so its robots.txt
    cache and per-host pacing outlive each job. `offline` (commands that only read the archive)
    gives a client that refuses to fetch: a real one loads the system's CA certificates, about
    0.2 s, which would be most of a search's time.
    """
    if offline:
        transport = httpx.MockTransport(_refuse_to_fetch)
    profiles = profiles or load_profiles(config.sites_dir)
    archive = Archive.open(db_path or config.archive, config.recheck)
    try:
        if fetcher is not None:
            yield Context(config, profiles, archive, fetcher)
            return
        with make_client(config.politeness, transport=transport) as client:
            yield Context(config, profiles, archive, Fetcher(client, config.politeness))
    finally:
        archive.close()


def _refuse_to_fetch(request: httpx.Request) -> httpx.Response:
    raise RuntimeError(f"{request.url}: an offline context (reading the archive) never fetches")


@contextmanager
def lane_context(ctx: Context) -> Iterator[Context]:
    """A Context for another thread (`worker.lanes`): its own archive connection, the same
    fetcher (one pacer and robots.txt cache for every thread) and profiles."""
    archive = Archive.open(ctx.archive.path, ctx.archive.policy)
    try:
        yield Context(ctx.config, ctx.profiles, archive, ctx.fetcher)
    finally:
        archive.close()


@dataclass(frozen=True)
class FetchOutcome:
    """What archiving one URL did: `new`, `changed`, `unchanged`, `not-modified`, `gone`, `error: ...`."""

    url: str
    outcome: str
    version: int | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.outcome.startswith("error")

    def to_dict(self) -> dict[str, object]:
        """`{url, outcome, version}`, and `error` (the one-line reason) when it failed."""
        data: dict[str, object] = {
            "url": self.url,
            "outcome": self.outcome,
            "version": self.version,
        }
        if self.error:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class RunReport:
    source: str
    kind: str
    started_at: str
    finished_at: str
    counts: RunCounts
    error: str | None = None


def source_for_url(config: WorkerConfig, url: str) -> Source | None:
    """The configured source whose link pattern the URL matches, if any."""
    for source in config.sources:
        if re.search(source.link_pattern, url):
            return source
    return None


def allowed_hosts_for(url: str, profile: SiteProfile, source: Source | None) -> tuple[str, ...]:
    """A source's hosts; for a URL outside every source, its own host and its site's hosts."""
    if source is not None:
        return source.allowed_hosts
    try:
        host = urls.host_of(url)
    except BadURL:
        return profile.hosts  # the fetch refuses the URL itself, naming what is wrong
    return (host, *profile.hosts)


def archive_url(
    ctx: Context,
    url: str,
    *,
    source: Source | None = None,
    force: bool = False,
    site: str | None = None,
) -> FetchOutcome:
    """Fetch, extract and store one page; the outcome is logged and returned, never raised.

    The site profile is `site` if given, else the source's, else the one for the URL's host.
    Credentials in the URL (`user:password@`) are dropped: never sent, never stored.
    """
    url = urls.without_credentials(url)
    try:
        url = canonical_url(url)
    except BadURL as error:
        # Nothing to key a fetches row by: the failure is logged and counted.
        return _logged(FetchOutcome(url, "error: bad url", error=str(error)))
    source = source or source_for_url(ctx.config, url)
    site = site or (source.site if source else None)
    profile = ctx.profiles.choose(url, site)
    name = source.name if source else None
    validators = None if force else validators_for(ctx.archive, url)
    started = time.monotonic()
    try:
        page = ctx.fetcher.fetch(
            url,
            allowed_hosts=allowed_hosts_for(url, profile, source),
            etag=validators.etag if validators else None,
            last_modified=validators.last_modified if validators else None,
        )
    except HTTPStatusError as error:
        if error.status in GONE_STATUSES:
            store_gone(ctx.archive, url, error.status, source=name, duration=_since(started))
            return _logged(FetchOutcome(url, "gone"))
        return _failed(ctx, url, name, f"http {error.status}", str(error), None, started)
    except FetchError as error:
        return _failed(ctx, url, name, error.outcome, str(error), None, started)
    if page.status == 304 and validators is None:
        # Not Modified since what? Nothing was asked conditionally: the server is wrong, and
        # saying `not-modified` would hide that the page was never archived.
        detail = f"{url}: HTTP 304 Not Modified to a request that was not conditional"
        return _failed(ctx, url, name, "protocol", detail, None, started)
    if page.status == 304:
        store_not_modified(ctx.archive, url, source=name, duration=_since(started))
        return _logged(FetchOutcome(url, "not-modified"))
    if page.url is not None and canonical_url(page.url) != canonical_url(url):
        # The address redirects: the page lives on at its new address, and the old one (a known
        # document, or an address waiting for a retry) is logged `moved` (a document there is
        # marked gone), so its checks follow the schedule instead of coming due every run, and
        # discovery counts the address as known (recheck.known_urls).
        store_moved(ctx.archive, url, source=name, duration=0.0)
    return _store_page(
        ctx,
        url,
        page,
        ctx.profiles.choose(page.url, site),
        name,
        started,
    )


@dataclass(frozen=True)
class Refused:
    """A page that makes no version: `reason` is logged as `error: <reason>`."""

    reason: str
    message: str


def extract_whole(page: Page, profile: SiteProfile, url: str) -> Record | Refused:
    """The page's record, or why it is refused: the extractor's refusals, and a page that stops
    part-way. The one rule for fetch and reparse alike, so a cut-off page never makes a version."""
    try:
        record = extract(page, profile)
    except ExtractError as error:
        return Refused(error.reason, str(error))
    except Exception as bug:  # a parser bug is this page's failure, never the run's
        # Logged with its traceback so the bug is seen and fixed; the page is kept (its
        # capture can be parsed again by `reparse` once it is), retried later, and counted.
        log.exception("parser bug on %s", url, extra={"url": url})
        detail = f"{url}: the parser failed ({type(bug).__name__}: {' '.join(str(bug).split())})"
        return Refused("parser bug", detail[:500])
    if looks_truncated(page, record):
        detail = f"{url}: the page stops part-way; kept for a later try, not made a version"
        return Refused("truncated", detail)
    return record


def _store_page(
    ctx: Context, url: str, page: Page, profile: SiteProfile, name: str | None, started: float
) -> FetchOutcome:
    record = extract_whole(page, profile, url)
    if isinstance(record, Refused):
        return _failed(ctx, url, name, record.reason, record.message, page, started)
    result = store_page(
        ctx.archive,
        page,
        record,
        source=name,
        parser_version=PARSER_VERSION,
        duration=_since(started),
    )
    return _logged(FetchOutcome(result.url, result.outcome, result.version))


def _failed(
    ctx: Context,
    url: str,
    source: str | None,
    reason: str,
    message: str,
    page: Page | None,
    started: float,
) -> FetchOutcome:
    store_failure(
        ctx.archive,
        url,
        source=source,
        reason=reason,
        page=page,
        duration=_since(started),
    )
    return _logged(FetchOutcome(url, error_outcome(reason), error=message))


def _logged(outcome: FetchOutcome) -> FetchOutcome:
    level = logging.WARNING if outcome.failed else logging.INFO
    log.log(
        level,
        "%s %s",
        outcome.outcome,
        outcome.url,
        extra={"url": outcome.url, "outcome": outcome.outcome, "error": outcome.error},
    )
    return outcome


def _since(started: float) -> float:
    return round(time.monotonic() - started, 4)


def fetch_page(
    ctx_config: WorkerConfig,
    profiles: Profiles,
    url: str,
    *,
    site: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Page:
    """One polite GET outside any archive (for `briefings parse URL`)."""
    profile = profiles.choose(url, site)
    with make_client(ctx_config.politeness, transport=transport) as client:
        fetcher = Fetcher(client, ctx_config.politeness)
        return fetcher.fetch(
            url, allowed_hosts=allowed_hosts_for(url, profile, source_for_url(ctx_config, url))
        )


def parse_target(
    config: WorkerConfig,
    profiles: Profiles,
    target: str,
    *,
    url: str | None = None,
    site: str | None = None,
    content_type: str | None = None,
) -> Record:
    """The record of a saved file or of a URL fetched once; touches no archive."""
    if re.match(r"^https?://", target):
        page = fetch_page(config, profiles, target, site=site)
    else:
        body = _read_capped(Path(target), config.politeness.max_bytes)
        headers = {"content-type": content_type} if content_type else {}
        page = Page.from_bytes(body, url=url, headers=headers)
    return extract(page, profiles.choose(url or page.url, site))


def _read_capped(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refused past the fetcher's byte cap (`parse /dev/zero` ends at once)."""
    try:
        with path.open("rb") as file:
            body = file.read(max_bytes + 1)
    except OSError as error:
        raise ConfigError(str(path), "(file)", error.strerror or "cannot read") from None
    if len(body) > max_bytes:
        raise ConfigError(
            str(path), "(file)", f"larger than the cap of {max_bytes} bytes (politeness.max_bytes)"
        )
    return body


# ---- 1. discover, and whole runs -------------------------------------------------------------


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

    return run_in_lanes(ctx, unknown, archive, stop=stop, count=run.count, lane_context=lane_context)


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
    progress: Callable[[int, int | None], None],
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
            progress(walked, limit)
    return run.report


def _backfill_listings(source: Source, resume: str | None, since: date | None) -> list[str]:
    """The listing pages to walk, newest first; from `resume` on when a walk was interrupted.

    A paginated listing is followed page by page from its first page; a monthly index is every
    month back to `since` (default: ten years). A resumed walk of months keeps the months after
    the one it stopped at.
    """
    today = datetime.now(UTC).date()
    urls: list[str] = []
    for template in source.listing_urls:
        if "{year" in template or "{month" in template:
            urls.extend(months_back(template, today, since or date(today.year - 10, 1, 1)))
        else:
            urls.append(template)
    if resume is None:
        return urls
    if resume in urls:
        return urls[urls.index(resume) :]
    # A later page of one listing's pagination: go on with it, then with the listings after it.
    for index, url in enumerate(urls):
        if _without_query(url) == _without_query(resume):
            return [resume, *urls[index + 1 :]]
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


# ---- reparse ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReparseReport:
    checked: int
    new: int
    changed: int
    unchanged: int
    failed: int


def _reparse_site(ctx: Context, candidate: ReparseCandidate) -> str | None:
    """The profile to re-derive with: the source's, else the one that made the stored record.

    Parsing again by the URL's host alone would move a page archived with a forced profile (a
    mirror, the demo site) to the generic rules and make a spurious version.
    """
    source = source_for_url(ctx.config, candidate.url)
    if source is not None and source.site:
        return source.site
    if candidate.document_id is not None:
        stored = resolve_document(ctx.archive, str(candidate.document_id)).site
        if stored in ctx.profiles.names:
            return stored
    return None


def reparse(
    ctx: Context, *, all_versions: bool = False, progress: Bar | None = None
) -> ReparseReport:
    """Re-derive records from stored captures with today's parser; a changed record is a version.

    `progress` is told the number of captures first, then advanced after each one.
    """
    counts = {"new": 0, "changed": 0, "unchanged": 0, "failed": 0}
    if progress is not None:
        progress.update(0, count_reparse_candidates(ctx.archive, all_versions))
    for candidate in iter_reparse_candidates(ctx.archive, all_versions):
        if progress is not None:
            progress.advance()
        page = Page.from_bytes(
            candidate.body,
            url=candidate.url,
            headers=candidate.headers,
            status=candidate.status,
            fetched_at=candidate.fetched_at,
        )
        profile = ctx.profiles.choose(candidate.url, _reparse_site(ctx, candidate))
        record = extract_whole(page, profile, candidate.url)
        if isinstance(record, Refused):
            log.info("reparse: %s", record.message, extra={"url": candidate.url})
            counts["failed"] += 1
            continue
        result = store_reparse(ctx.archive, candidate, record, PARSER_VERSION)
        counts[result.outcome] += 1
    return ReparseReport(
        sum(counts.values()),
        counts["new"],
        counts["changed"],
        counts["unchanged"],
        counts["failed"],
    )
