"""Configuration, declared once as frozen dataclasses and read from one TOML file.

`load_config(path)` is the only reader: it validates every key and raises `ConfigError` naming the
file and the key at fault, so a daemon never starts on a half-understood config. Nothing else in
the worker reads the environment or a settings dict by string key.

Listing URLs may be templates: `{year}` and `{month:02d}` (`str.format` fields) are filled per run
by the discover stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from worker import urls
from worker.errors import BadURL, ConfigError
from worker.tomlfile import Table, parse_duration, read_toml

DEFAULT_CONFIG_PATH = Path("config/worker.toml")
DEFAULT_ARCHIVE_PATH = Path("archive.db")
DEFAULT_USER_AGENT = "briefings-worker/0.1 (+https://github.com/briefings-archive/briefings-worker)"


def bundled_config_path() -> Path:
    """The config shipped with the worker (in the wheel, or the checkout's config/worker.toml)."""
    from worker.profiles import default_sites_dir

    return default_sites_dir().parent / "worker.toml"


@dataclass(frozen=True)
class Politeness:
    """How the fetcher treats other people's servers."""

    user_agent: str = DEFAULT_USER_AGENT
    min_interval: float = 1.0  # seconds between two requests to one host
    timeout: float = 30.0  # connect, read and write timeout of one network operation
    deadline: float = 120.0  # total seconds for one request, body included
    max_bytes: int = 20_000_000  # cap on the decoded body
    retries: int = 4  # attempts after the first, for transient failures
    max_retry_after: float = 600.0  # a longer Retry-After makes the fetch fail instead of sleep
    max_crawl_delay: float = 600.0  # a longer robots.txt Crawl-delay: the host is not crawled
    respect_robots: bool = True


@dataclass(frozen=True)
class RecheckPolicy:
    """When known documents are fetched again: `after` first seen, then `every`."""

    after: tuple[float, ...] = (3600.0, 86400.0, 7 * 86400.0, 30 * 86400.0)
    every: float = 90 * 86400.0
    per_run: int = 50
    interval: float = 3600.0  # how often the recheck job runs


@dataclass(frozen=True)
class Schedule:
    """Either `interval` seconds or a five-field `cron` expression (UTC), plus random jitter."""

    interval: float | None = 3600.0
    cron: str | None = None
    jitter: float = 0.0


@dataclass(frozen=True)
class Source:
    name: str
    site: str | None
    listing_urls: tuple[str, ...]
    link_pattern: str
    allowed_hosts: tuple[str, ...]
    schedule: Schedule = field(default_factory=Schedule)
    pages_per_run: int = 1
    backfill_pages: int = 50  # how far `backfill` walks when not told otherwise
    backfill_start: str | None = None  # listing URL template for walking by month (`{year}`)


NOTIFY_EVENTS = ("new", "changed", "gone", "source-failing", "source-recovered")


@dataclass(frozen=True)
class Notify:
    """A `[[notify]]` table: where to send which events (`worker.notify`), by Apprise URL."""

    name: str  # keys the target's place in the archive's outbox: renaming it starts afresh
    urls: tuple[str, ...]
    events: tuple[str, ...] = NOTIFY_EVENTS
    digest_after: int = 5  # more events than this in one run: one digest message


@dataclass(frozen=True)
class WorkerConfig:
    path: Path | None
    archive: Path = DEFAULT_ARCHIVE_PATH
    sites_dir: Path | None = None
    politeness: Politeness = field(default_factory=Politeness)
    recheck: RecheckPolicy = field(default_factory=RecheckPolicy)
    sources: tuple[Source, ...] = ()
    notify: tuple[Notify, ...] = ()

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(str(self.path), f"sources.{name}", f"no such source (known: {known})")


def _politeness(table: Table) -> Politeness:
    table.check_known(set(Politeness.__dataclass_fields__))
    d = Politeness()
    user_agent = table.get("user_agent", str, d.user_agent)
    if not user_agent.isascii() or not user_agent.isprintable() or not user_agent.strip():
        # Sent as a header with every request: anything else fails every fetch.
        raise ConfigError(
            table.where, table.key("user_agent"), "must be printable ASCII text, not empty"
        )
    return Politeness(
        user_agent=user_agent,
        min_interval=table.duration("min_interval", d.min_interval),
        timeout=table.duration("timeout", d.timeout) or d.timeout,
        deadline=table.duration("deadline", d.deadline) or d.deadline,
        max_bytes=table.count("max_bytes", d.max_bytes),
        retries=table.count("retries", d.retries, minimum=0),
        max_retry_after=table.duration("max_retry_after", d.max_retry_after),
        max_crawl_delay=table.duration("max_crawl_delay", d.max_crawl_delay),
        respect_robots=table.get("respect_robots", bool, d.respect_robots),
    )


def _recheck(table: Table) -> RecheckPolicy:
    table.check_known({"after", "every", "per_run", "interval"})
    d = RecheckPolicy()
    after = d.after
    if "after" in table.data:
        raw = table.data["after"]
        if not isinstance(raw, list):
            raise ConfigError(table.where, table.key("after"), "expected a list of durations")
        after = tuple(
            parse_duration(v, table.where, f"{table.key('after')}[{i}]") for i, v in enumerate(raw)
        )
    return RecheckPolicy(
        after=after,
        every=table.duration("every", d.every),
        per_run=table.count("per_run", d.per_run, minimum=0),
        interval=_positive_duration(table, "interval", d.interval),
    )


def _positive_duration(table: Table, name: str, default: float) -> float:
    value = table.duration(name, default)
    if value <= 0:
        raise ConfigError(table.where, table.key(name), "must be greater than 0")
    return value


def _schedule(table: Table) -> Schedule:
    table.check_known({"interval", "cron", "jitter"})
    cron = table.get("cron", str, None)
    interval = _positive_duration(table, "interval", 0.0) if "interval" in table.data else None
    if cron and interval:
        raise ConfigError(table.where, table.prefix, "give either interval or cron, not both")
    if cron:
        fields = cron.split()
        if len(fields) != 5:
            raise ConfigError(
                table.where,
                table.key("cron"),
                f"expected five fields (m h dom mon dow), got {cron!r}",
            )
        # APScheduler 3 counts weekdays from Monday = 0, cron from Sunday = 0; names are clear.
        if re.search(r"\d", fields[4]):
            raise ConfigError(
                table.where,
                table.key("cron"),
                "write the day of week as names (mon-sun, *), not numbers",
            )
        # The daemon's own parser checks the expression; imported only for a config that has one.
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(cron, timezone=UTC)
        except ValueError as error:
            raise ConfigError(
                table.where, table.key("cron"), f"not a valid cron expression: {error}"
            ) from None
    elif not interval:
        interval = 3600.0
    return Schedule(
        interval=None if cron else interval, cron=cron, jitter=table.duration("jitter", 0.0)
    )


def _source(table: Table, known_sites: set[str] | None) -> Source:
    table.check_known(
        {
            "name",
            "site",
            "listing_urls",
            "link_pattern",
            "allowed_hosts",
            "schedule",
            "pages_per_run",
            "backfill_pages",
            "backfill_start",
        }
    )
    name = table.required_str("name")
    site = table.get("site", str, None)
    if site is not None and known_sites is not None and site not in known_sites:
        raise ConfigError(
            table.where,
            table.key("site"),
            f"unknown site profile {site!r} (known: {', '.join(sorted(known_sites))})",
        )
    pattern = table.required_str("link_pattern")
    try:
        re.compile(pattern)
    except re.error as error:
        raise ConfigError(
            table.where, table.key("link_pattern"), f"not a regular expression: {error}"
        ) from None
    allowed_hosts = tuple(
        _host(table, f"{table.key('allowed_hosts')}[{i}]", host)
        for i, host in enumerate(table.strings("allowed_hosts"))
    )
    listing_urls = tuple(
        _listing_url(table, f"{table.key('listing_urls')}[{i}]", url, allowed_hosts)
        for i, url in enumerate(table.strings("listing_urls"))
    )
    backfill_start = table.get("backfill_start", str, None)
    if backfill_start is not None:
        backfill_start = _listing_url(
            table, table.key("backfill_start"), backfill_start, allowed_hosts
        )
    schedule_data = table.data.get("schedule", {})
    return Source(
        name=name,
        site=site,
        listing_urls=listing_urls,
        link_pattern=pattern,
        allowed_hosts=allowed_hosts,
        schedule=_schedule(Table(schedule_data, table.where, table.key("schedule"))),
        pages_per_run=table.count("pages_per_run", 1),
        backfill_pages=table.count("backfill_pages", 50),
        backfill_start=backfill_start,
    )


def _listing_url(table: Table, key: str, value: str, allowed_hosts: tuple[str, ...]) -> str:
    """Check that only `{year}` and `{month}` are left for the discover stage and that the URL
    lies within the source's hosts, since nothing outside them is fetched."""
    try:
        example = value.format(year=2000, month=1)
    except (KeyError, IndexError, ValueError) as error:
        raise ConfigError(
            table.where, key, f"bad placeholder ({error}); known: {{year}}, {{month:02d}}"
        ) from None
    try:
        host = urls.host_of(example)
    except BadURL as error:
        raise ConfigError(table.where, key, str(error)) from None
    if host not in allowed_hosts:
        raise ConfigError(table.where, key, f"host {host!r} is not in allowed_hosts")
    return value


def _notify(table: Table) -> Notify:
    table.check_known({"name", "urls", "events", "digest_after"})
    urls = table.strings("urls")
    import apprise  # here, not at the top: it takes most of a second to import

    for i, url in enumerate(urls):
        if not apprise.Apprise().add(url):
            raise ConfigError(
                table.where, f"{table.key('urls')}[{i}]", f"not an Apprise URL it can use: {url!r}"
            )
    events = table.strings("events", NOTIFY_EVENTS)
    for i, event in enumerate(events):
        if event not in NOTIFY_EVENTS:
            raise ConfigError(
                table.where,
                f"{table.key('events')}[{i}]",
                f"unknown event {event!r} (known: {', '.join(NOTIFY_EVENTS)})",
            )
    return Notify(
        name=table.required_str("name"),
        urls=urls,
        events=tuple(dict.fromkeys(events)),
        digest_after=table.count("digest_after", Notify.digest_after),
    )


def _host(table: Table, key: str, value: str) -> str:
    try:
        return urls.check_host(value.strip())
    except BadURL as error:
        raise ConfigError(table.where, key, str(error)) from None


def load_config(path: Path, known_sites: set[str] | None = None) -> WorkerConfig:
    """Read and validate `path`. Relative paths in it are relative to the current directory.

    `known_sites` (profile names) lets a source's `site` be checked.
    """
    where = str(path)
    raw = read_toml(path)
    top = Table(raw, where, "")
    top.check_known({"archive", "sites_dir", "politeness", "recheck", "sources", "notify"})
    sources_raw = raw.get("sources", [])
    if not isinstance(sources_raw, list):
        raise ConfigError(where, "sources", "expected an array of tables ([[sources]])")
    sources = tuple(
        _source(Table(s, where, f"sources[{i}]"), known_sites)
        for i, s in enumerate(sources_raw)
    )
    names = [s.name for s in sources]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ConfigError(where, f"sources[{i}].name", f"duplicate source name {name!r}")
    notify_raw = raw.get("notify", [])
    if not isinstance(notify_raw, list):
        raise ConfigError(where, "notify", "expected an array of tables ([[notify]])")
    notify = tuple(_notify(Table(n, where, f"notify[{i}]")) for i, n in enumerate(notify_raw))
    for i, target in enumerate(notify):
        if target.name in [t.name for t in notify[:i]]:
            raise ConfigError(where, f"notify[{i}].name", f"duplicate name {target.name!r}")
    sites_dir = top.get("sites_dir", str, None)
    return WorkerConfig(
        path=path,
        archive=Path(top.get("archive", str, str(DEFAULT_ARCHIVE_PATH))),
        sites_dir=Path(sites_dir) if sites_dir else None,
        politeness=_politeness(Table(raw.get("politeness", {}), where, "politeness")),
        recheck=_recheck(Table(raw.get("recheck", {}), where, "recheck")),
        sources=sources,
        notify=notify,
    )
