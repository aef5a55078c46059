"""The page step: one page through fetch → extract → store, and the Context it runs in.

    archive_url(ctx, url)          a URL of a run, of `briefings fetch`, or due for its recheck
      ├── 2. fetch                 conditional with the stored validators (an unchanged page: 304);
      │                            404/410 → `gone`; a redirect logs the old address `moved`
      ├── 3. extract_whole         the record, or why the page is refused (the extractor's
      │                            refusals, a parser bug, a page that stops part-way)
      └── 4. store_page            a version only when the record's identity changed
    reparse(ctx)                   stored captures → extract_whole → store_reparse
    parse_target(config, ...)      a saved file or a URL fetched once → its record; no archive

`archive_url` logs and returns every outcome as a `FetchOutcome`, never raises it: a page's
failure is that page's, and is recorded in the fetch log with its reason.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from worker import urls
from worker.archive import (
    iter_reparse_candidates,
    store_failure,
    store_gone,
    store_moved,
    store_not_modified,
    store_page,
    store_reparse,
    validators_for,
)
from worker.archive.db import Archive
from worker.archive.models import ReparseCandidate, error_outcome
from worker.archive.queries import resolve_document
from worker.archive.reparse import count_reparse_candidates
from worker.config import Source, WorkerConfig
from worker.errors import BadURL, ConfigError, ExtractError, FetchError, HTTPStatusError
from worker.extract import PARSER_VERSION, extract, looks_truncated
from worker.fetch import Fetcher, make_client
from worker.page import Page
from worker.profiles import Profiles, SiteProfile, load_profiles
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


# ---- reparse: stored captures through the same extract step -----------------------------------


class Progress(Protocol):
    """What a long step reports to (the command line's progress bar, `worker.cli.progress`)."""

    def update(self, completed: int, total: int | None = None) -> None: ...

    def advance(self, steps: int = 1) -> None: ...


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
    ctx: Context, *, all_versions: bool = False, progress: Progress | None = None
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
