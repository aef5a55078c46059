"""Configuration, declared once as frozen dataclasses and read from one TOML file.

`load_config(path)` is the only reader: it validates every key and raises `ConfigError` naming the
file and the key at fault, so a daemon never starts on a half-understood config. Nothing else in
the worker reads the environment or a settings dict by string key.

Listing URLs may be templates: `{year}` and `{month:02d}` (`str.format` fields) are filled per run
by the discover stage.

The TOML reading at the end of this module is shared with the site profiles (`worker.profiles`):
`read_toml` turns a missing, unreadable, non-UTF-8 or malformed file into one `ConfigError`;
`Table` hands out a table's values typed and checked, refusing unknown keys, so every reader
reports a bad value the same way: the file, the dotted key, what was expected.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from worker import urls
from worker.errors import BadURL, ConfigError, shown

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
    apprise_urls = table.strings("urls")
    import apprise  # here, not at the top: it takes most of a second to import

    for i, url in enumerate(apprise_urls):
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
        urls=apprise_urls,
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


# ---- reading TOML: files and tables (the config's and the site profiles') ----------------------

_DURATION = re.compile(r"^\s*(\d{1,15}(?:\.\d{1,9})?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
# Ten years: no wait, interval or age the worker deals in is longer, and every longer value
# (`"99999999999999d"`) would overflow a date or a timer somewhere down the line.
MAX_DURATION = 10 * 365 * 86400.0
# No count (retries, pages, bytes) the worker uses comes near this; larger ones overflow SQLite.
MAX_COUNT = 10**12
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def read_toml(path: Path) -> dict[str, Any]:
    """The file's TOML document; any reason it cannot be read is a `ConfigError` naming it."""
    where = str(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(where, "(file)", "no such file") from None
    except OSError as error:
        raise ConfigError(where, "(file)", error.strerror or str(error)) from None
    except UnicodeDecodeError:
        raise ConfigError(where, "(file)", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(where, "(syntax)", str(error)) from None


def parse_duration(value: Any, where: str, key: str) -> float:
    """`90`, `1.5`, `"30s"`, `"5m"`, `"1h"`, `"7d"` → seconds."""
    if isinstance(value, bool):
        raise ConfigError(where, key, f"expected a duration such as '1h', got {value!r}")
    if isinstance(value, int | float):
        if value != value:  # NaN: TOML allows `nan`
            raise ConfigError(where, key, f"expected a duration such as '1h', got {value!r}")
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ConfigError(
                where, key, f"expected a duration such as '30s', '5m', '1h' or '7d', got {value!r}"
            )
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds < 0:
        raise ConfigError(where, key, "must not be negative")
    if seconds > MAX_DURATION:
        raise ConfigError(where, key, "longer than ten years (3650d); no duration here needs that")
    return seconds


class Table:
    """One TOML table being read: hands out typed values and refuses unknown keys."""

    def __init__(self, data: Any, where: str, prefix: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(where, prefix or "(top level)", "expected a table")
        self.data: dict[str, Any] = data
        self.where = where
        self.prefix = prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def check_known(self, known: set[str]) -> None:
        for name in self.data:
            if name not in known:
                hint = ", ".join(sorted(known))
                raise ConfigError(self.where, self.key(name), f"unknown key (known: {hint})")

    def get(self, name: str, kind: type | tuple[type, ...], default: Any) -> Any:
        if name not in self.data:
            return default
        value = self.data[name]
        if isinstance(value, bool) and kind is not bool and kind != (bool,):
            raise ConfigError(
                self.where, self.key(name), f"expected {_kind_name(kind)}, got {value!r}"
            )
        if not isinstance(value, kind):
            raise ConfigError(
                self.where, self.key(name), f"expected {_kind_name(kind)}, got {shown(repr(value))}"
            )
        if isinstance(value, str):
            _check_text(value, self.where, self.key(name))
        return value

    def count(self, name: str, default: int, minimum: int = 1) -> int:
        value = int(self.get(name, int, default))
        if value < minimum:
            raise ConfigError(self.where, self.key(name), f"must be at least {minimum}")
        if value > MAX_COUNT:
            raise ConfigError(self.where, self.key(name), f"must be at most {MAX_COUNT}")
        return value

    def duration(self, name: str, default: float) -> float:
        return (
            parse_duration(self.data[name], self.where, self.key(name))
            if name in self.data
            else default
        )

    def strings(self, name: str, default: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """A list of strings; without a default the key is required and must not be empty."""
        if name not in self.data:
            if default is None:
                raise ConfigError(self.where, self.key(name), "missing")
            return default
        value = self.data[name]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(self.where, self.key(name), "expected a list of non-empty strings")
        for index, item in enumerate(value):
            _check_text(item, self.where, f"{self.key(name)}[{index}]")
        if not value and default is None:
            raise ConfigError(self.where, self.key(name), "must not be empty")
        return tuple(value)

    def required_str(self, name: str) -> str:
        value = self.get(name, str, None)
        if not value:
            raise ConfigError(self.where, self.key(name), "missing")
        return str(value)


def _check_text(value: str, where: str, key: str) -> None:
    """No control characters (a newline in a header value breaks every request); tabs pass."""
    found = _CONTROL.search(value)
    if found:
        raise ConfigError(
            where, key, f"contains a control character ({shown(found.group())}): {shown(value)}"
        )


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {bool: "true or false", int: "a number", float: "a number", str: "a string"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))
