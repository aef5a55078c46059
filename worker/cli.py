"""The `briefings` command line: each command parses options, makes one library call, prints.

Exit codes: 0 ok, 1 operational failure (network, archive, daemon), 2 usage or input error
(bad file, bad config, refused page, unknown document). Errors print one line on stderr
(`error: <thing at fault>: <what happened>`), never a traceback.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import sqlite3
import sys
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from worker.config import DEFAULT_CONFIG_PATH, WorkerConfig, bundled_config_path, load_config
from worker.errors import (
    ArchiveError,
    BadURL,
    BriefingsError,
    ConfigError,
    DocumentNotFound,
    ExtractError,
    SearchQueryError,
    VersionNotFound,
    shown,
)
from worker.profiles import Profiles, load_profiles
from worker.urls import check as check_url

if TYPE_CHECKING:
    from worker.daemon.status import WorkerStatus
    from worker.pipeline import Context

DEMO_WEB_PORT = 8401  # `demo --serve`: the web view of the demo archive, beside the sample site

# Input errors are the user's to fix (exit 2); the rest are operational (exit 1).
# The largest id or number SQLite stores: a larger one is a usage error, not an OverflowError.
MAX_NUMBER = 2**63 - 1
NUMBER = click.IntRange(min=1, max=MAX_NUMBER)
_INPUT_ERRORS: tuple[type[BriefingsError], ...] = (
    BadURL,
    ConfigError,
    ExtractError,
    DocumentNotFound,
    VersionNotFound,
    SearchQueryError,
)


@dataclass
class Options:
    """The global options, resolved lazily so `parse` works without any config file."""

    config_path: Path
    config_explicit: bool
    db: Path | None
    verbosity: int
    _config: WorkerConfig | None = None
    _profiles: Profiles | None = None

    @property
    def config(self) -> WorkerConfig:
        if self._config is None:
            if not self.config_explicit and not self.config_path.exists():
                # Installed outside a checkout (pipx, a wheel): the bundled config, said so.
                self.config_path = bundled_config_path()
                logging.getLogger("worker.cli").warning(
                    "no %s here: using the bundled config %s", DEFAULT_CONFIG_PATH, self.config_path
                )
            if self.config_path.exists() or self.config_explicit:
                # Read twice: the first read says where the site profiles are, the second checks
                # every source's `site` against them, so a typo stops the start with its key.
                first = load_config(self.config_path)
                self._profiles = load_profiles(first.sites_dir)
                self._config = load_config(self.config_path, known_sites=self._profiles.names)
                _check_listing_rules(self._config, self._profiles)
            else:
                self._config = WorkerConfig(path=None)
        return self._config

    @property
    def profiles(self) -> Profiles:
        if self._profiles is None:
            self._profiles = load_profiles(self.config.sites_dir)
        return self._profiles

    @property
    def archive_path(self) -> Path:
        return self.db or self.config.archive

    def existing_archive(self) -> Path:
        """The archive for a command that only reads: a mistyped `--db` must not make a new one."""
        path = self.archive_path
        if not path.is_file():
            raise ConfigError(
                str(path), "--db", "no such archive (fetch or run first, or check the path)"
            )
        return path


def _check_listing_rules(config: WorkerConfig, profiles: Profiles) -> None:
    """Every source's profile must say how to read its listings, or its runs could only fail."""
    for index, source in enumerate(config.sources):
        first = source.listing_urls[0] if source.listing_urls else None
        profile = profiles.choose(first, source.site)
        if profile.listing is None:
            key = f"sources[{index}].site"
            raise ConfigError(
                str(config.path), key, f"profile {profile.name!r} has no [listing] rules"
            )


def fail(error: BriefingsError) -> NoReturn:
    click.echo(f"error: {shown(str(error), 1000)}", err=True)
    sys.exit(2 if isinstance(error, _INPUT_ERRORS) else 1)


class BriefingsGroup(click.Group):
    """Turns errors into one line naming what is at fault, and an exit code; never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BriefingsError as error:
            fail(error)
        except click.UsageError as error:
            # One line like every other error (click's own form adds a usage block).
            hint = f" (see `briefings {error.ctx.info_name} --help`)" if error.ctx else ""
            click.echo(f"error: {shown(error.format_message(), 1000)}{hint}", err=True)
            sys.exit(2)
        except BrokenPipeError:
            # The reader of the output went away (`briefings export | head`): stop quietly, as
            # the Python docs advise: no message, and no second error when stdout is flushed.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except OSError as error:
            # A path the user gave (--out, --db, --config) that cannot be opened or written; with
            # no file named (a full disk under SQLite), the archive is what failed.
            archive = ctx.obj.archive_path if isinstance(ctx.obj, Options) else "archive"
            where = error.filename or archive
            click.echo(f"error: {shown(str(where))}: {error.strerror or error}", err=True)
            sys.exit(2 if error.filename else 1)
        except sqlite3.DatabaseError as error:
            archive = ctx.obj.archive_path if isinstance(ctx.obj, Options) else "archive"
            click.echo(f"error: {archive}: {shown(str(error))}", err=True)
            sys.exit(1)


@click.group(cls=BriefingsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help=f"Worker config (default: {DEFAULT_CONFIG_PATH}).",
)
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    default=None,
    help="Archive file (default: the config's `archive`, archive.db).",
)
@click.option("-v", "--verbose", count=True, help="More log output (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.version_option(package_name="briefings-worker")
@click.pass_context
def main(
    ctx: click.Context, config_path: Path | None, db: Path | None, verbose: int, quiet: bool
) -> None:
    """Archive government briefings: discover, fetch, parse and version them in SQLite."""
    from worker.logs import setup_logging

    ctx.obj = Options(
        config_path=config_path or DEFAULT_CONFIG_PATH,
        config_explicit=config_path is not None,
        db=db,
        verbosity=-1 if quiet else verbose,
    )
    # Commands print their own results; the pipeline's log lines show only with -v (`run` sets
    # its own level), so a failure is not printed twice.
    setup_logging({0: logging.ERROR, 1: logging.INFO}.get(max(ctx.obj.verbosity, 0), logging.DEBUG))


@main.command()
@click.argument("page")
@click.option("--url", help="The URL the page was served from (chooses the site profile).")
@click.option("--site", help="Site profile to use instead of the one chosen by the URL.")
@click.option(
    "--content-type", help="The Content-Type header the server sent (its charset counts)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@click.pass_obj
def parse(
    options: Options,
    page: str,
    url: str | None,
    site: str | None,
    content_type: str | None,
    as_json: bool,
) -> None:
    """Print the record of PAGE (a saved HTML file or a URL). Touches no archive."""
    from worker.pipeline import parse_target
    from worker.render import render_text

    try:
        record = parse_target(
            options.config, options.profiles, page, url=url, site=site, content_type=content_type
        )
    except ExtractError as error:
        detail = f": {error.detail}" if error.detail else ""
        click.echo(f"error: {page}: not a briefing page ({error.reason}){detail}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(record.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(record))


def _context(options: Options, *, reading: bool = False) -> AbstractContextManager[Context]:
    """The pipeline's context; `reading` commands refuse an archive that does not exist."""
    from worker.pipeline import open_context

    path = options.existing_archive() if reading else options.archive_path
    return open_context(options.config, path, profiles=options.profiles, offline=reading)


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@main.command()
@click.argument("urls", nargs=-1)
@click.option("--source", "source_name", help="Archive the newest listing pages of this source.")
@click.option("--force", is_flag=True, help="Ignore stored validators (no conditional GET).")
@click.option("--site", help="Site profile for these URLs (default: the source's, else by host).")
@click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON list of {url, outcome, version}."
)
@click.pass_obj
def fetch(
    options: Options,
    urls: tuple[str, ...],
    source_name: str | None,
    force: bool,
    site: str | None,
    as_json: bool,
) -> None:
    """Fetch and archive URLs now (safe while the daemon runs)."""
    from worker.pipeline import archive_url, newest_links

    if not urls and not source_name:
        raise click.UsageError("give one or more URLs, or --source NAME")
    for url in urls:
        check_url(url)  # BadURL: one line naming the URL and what is wrong, exit 2
    if site:
        options.profiles.get(site)  # an unknown name stops here, before any fetch
    source = options.config.source(source_name) if source_name else None
    outcomes = []
    with _context(options) as ctx:
        targets = list(urls) if urls or source is None else list(newest_links(ctx, source))
        for url in targets:
            outcome = archive_url(ctx, url, source=source, force=force, site=site)
            outcomes.append(outcome)
            if not as_json:
                version = f" (version {outcome.version})" if outcome.version else ""
                error = outcome.error or ""
                if error.startswith(f"{outcome.url}: "):  # the line names the URL already
                    error = error[len(outcome.url) + 2 :]
                detail = f": {shown(error, 1000)}" if error else ""
                click.echo(f"{outcome.outcome:<13} {outcome.url}{version}{detail}")
    if as_json:
        _echo_json([o.to_dict() for o in outcomes])
    if any(o.failed for o in outcomes):
        sys.exit(1)


@main.command()
@click.argument("query")
@click.option("--speaker", help="Only passages by this speaker: each word whole or as a beginning.")
@click.option("--since", help="Only briefings published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only briefings published on or before this date.")
@click.option("--site", help="Only documents parsed with this site profile.")
@click.option("--all-versions", is_flag=True, help="Search every version, not only the latest.")
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=MAX_NUMBER),
    default=50,
    show_default=True,
    help="At most this many results.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of hits.")
@click.pass_obj
def search(
    options: Options,
    query: str,
    speaker: str | None,
    since: str | None,
    until: str | None,
    site: str | None,
    all_versions: bool,
    limit: int,
    as_json: bool,
) -> None:
    """Full-text search over every paragraph and turn."""
    from worker.archive.search import search as search_archive

    with _context(options, reading=True) as ctx:
        hits = search_archive(
            ctx.archive,
            query,
            speaker=speaker,
            since=since,
            until=until,
            site=site,
            all_versions=all_versions,
            limit=limit,
        )
    if as_json:
        _echo_json([hit.to_dict() for hit in hits])
        return
    if not hits:
        click.echo("no results")
    for hit in hits:
        click.echo(f"{hit.published or '????-??-??'}  {hit.title}  (v{hit.version})")
        where = " / ".join(x for x in (hit.heading, hit.speaker) if x)
        if where:
            click.echo(f"    {where}")
        click.echo(f"    {hit.snippet}")
        click.echo(f"    {hit.url}")


@main.command()
@click.argument("doc")
@click.option("--version", "number", type=NUMBER, help="Version number (default: the latest).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)
@click.option("--raw", is_flag=True, help="Print the bytes the server sent for this version.")
@click.pass_obj
def show(options: Options, doc: str, number: int | None, fmt: str, raw: bool) -> None:
    """Print one version of a document (a URL, document id or document number)."""
    from worker.archive.captures import load
    from worker.archive.queries import get_version, other_copies, resolve_document
    from worker.render import render_markdown, render_text

    with _context(options, reading=True) as ctx:
        document = resolve_document(ctx.archive, doc)
        stored = get_version(ctx.archive, document.id, number)
        copies = other_copies(ctx.archive, document.id)
        if raw:
            if stored.capture_id is None:
                raise VersionNotFound(f"{doc}: version {stored.number} has no stored capture")
            sys.stdout.buffer.write(load(ctx.archive, stored.capture_id).body)
            return
    if fmt == "json":
        _echo_json(stored.record.to_dict())
        return
    click.echo((render_markdown if fmt == "markdown" else render_text)(stored.record))
    click.echo(
        f"\nversion {stored.number} of {document.versions}, seen {stored.seen_at} ({stored.cause})"
    )
    if document.gone_at:
        click.echo(f"gone from the site since {document.gone_at}")
    for copy in copies:
        click.echo(f"other copy: {copy.url}")


@main.command()
@click.argument("doc")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of versions.")
@click.pass_obj
def versions(options: Options, doc: str, as_json: bool) -> None:
    """Every version of a document, with time, cause and what changed."""
    from worker.archive.queries import list_versions, resolve_document

    with _context(options, reading=True) as ctx:
        document = resolve_document(ctx.archive, doc)
        infos = list_versions(ctx.archive, document.id)
    if as_json:
        _echo_json([info.to_dict() for info in infos])
        return
    click.echo(f"{document.title}\n{document.url}")
    if document.gone_at:
        click.echo(f"gone from the site since {document.gone_at}")
    for info in infos:
        click.echo(f"  v{info.number}  {info.seen_at}  {info.cause:<7}  {info.summary}")


@main.command(name="list")
@click.option("--site", help="Only documents of this site profile.")
@click.option(
    "--speaker", help="Only briefings by this speaker: each word whole or as a beginning."
)
@click.option("--since", help="Only briefings published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only briefings published on or before this date.")
@click.option("--gone", is_flag=True, help="Only documents gone from their site.")
@click.option("--edited", is_flag=True, help="Only documents with more than one version.")
@click.option("--limit", default=50, show_default=True, help="At most this many (0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of documents.")
@click.pass_obj
def list_command(
    options: Options,
    site: str | None,
    speaker: str | None,
    since: str | None,
    until: str | None,
    gone: bool,
    edited: bool,
    limit: int,
    as_json: bool,
) -> None:
    """The documents in the archive, newest briefing first."""
    from worker.archive.follow import list_documents

    with _context(options, reading=True) as ctx:
        documents = list_documents(ctx.archive, site=site, speaker=speaker, since=since,
                                   until=until, gone=gone, edited=edited,
                                   limit=limit or None)  # fmt: skip
    if as_json:
        _echo_json([document.to_dict() for document in documents])
        return
    if not documents:
        click.echo("no documents")
    for d in documents:
        versions = f"{d.versions} version{'' if d.versions == 1 else 's'}"
        click.echo(
            f"{(d.published or '????-??-??')[:10]}  {d.site or '-':<14}  {versions:<10}  {d.title}"
        )
        click.echo(f"{'':12}id {d.id}  {d.url}")
        if d.gone_at:
            click.echo(f"{'':12}gone from the site since {d.gone_at}")


@main.command()
@click.option("--since", required=True, help="A date, an ISO time, or an age: 24h, 7d, 2w.")
@click.option("--site", help="Only documents of this site profile.")
@click.option(
    "--speaker", help="Only briefings by this speaker: each word whole or as a beginning."
)
@click.option("--limit", type=click.IntRange(min=1), help="Only the latest N changes.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of changes.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "atom"]),
    default="text",
    show_default=True,
    help="atom: an Atom feed, one entry per change with its diff.",
)
@click.pass_obj
def changes(
    options: Options,
    since: str,
    site: str | None,
    speaker: str | None,
    limit: int | None,
    as_json: bool,
    fmt: str,
) -> None:
    """New briefings, new versions and briefings gone from their site since WHEN, oldest first."""
    from worker.archive.follow import changes as find_changes
    from worker.feeds import changes_feed

    if as_json and fmt == "atom":
        raise click.UsageError("give --json or --format atom, not both")
    with _context(options, reading=True) as ctx:
        if fmt == "atom":
            feed = changes_feed(ctx.archive, since, site=site, speaker=speaker, limit=limit)
            sys.stdout.buffer.write(feed)
            return
        found = find_changes(ctx.archive, since, site=site, speaker=speaker, limit=limit)
    if as_json:
        _echo_json([change.to_dict() for change in found])
        return
    if not found:
        click.echo(f"no changes since {since}")
    for change in found:
        version = f" (v{change.version})" if change.version else ""
        click.echo(f"{change.at}  {change.kind:<7}  {change.title}{version}")
        if change.kind != "new":
            click.echo(f"{'':36}{change.summary}")
        click.echo(f"{'':36}{change.url}")


@main.command()
@click.argument("doc")
@click.option("--from", "old", type=NUMBER, help="Older version (default: the one before --to).")
@click.option("--to", "new", type=NUMBER, help="Newer version (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@click.option(
    "--color/--no-color", default=None, help="Colour the marked words (default: on a terminal)."
)
@click.pass_obj
def diff(
    options: Options, doc: str, old: int | None, new: int | None, as_json: bool, color: bool | None
) -> None:
    """Section-by-section and turn-by-turn changes between two versions."""
    from worker.archive.queries import get_version, resolve_document
    from worker.diff import diff_records, diff_to_dict, render_diff_text

    with _context(options, reading=True) as ctx:
        document = resolve_document(ctx.archive, doc)
        newer = get_version(ctx.archive, document.id, new)
        older_number = old if old is not None else max(1, newer.number - 1)
        older = get_version(ctx.archive, document.id, older_number)
    changes = diff_records(older.record, newer.record)
    if as_json:
        _echo_json({"from": older.number, "to": newer.number, **diff_to_dict(changes)})
        return
    use_color = sys.stdout.isatty() if color is None else color
    click.echo(f"{document.url}: version {older.number} → {newer.number}")
    click.echo(render_diff_text(changes, color=use_color))


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "warc"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one record per line; csv: one passage per row; warc: every raw capture.",
)
@click.option(
    "--since",
    "since_date",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only versions seen on or after this date (YYYY-MM-DD).",
)
@click.option("--site", help="warc: only captures of documents of this site profile.")
@click.option("--out", type=click.Path(path_type=Path), help="Write here instead of stdout.")
@click.pass_obj
def export(
    options: Options, fmt: str, since_date: datetime | None, site: str | None, out: Path | None
) -> None:
    """Export the latest version of every document, streamed (warc: every capture)."""
    from worker.archive.models import PASSAGE_COLUMNS
    from worker.archive.queries import export_passages, export_records
    from worker.progress import progress_bar

    since = since_date.isoformat() if since_date else None
    if fmt == "warc":
        _export_warc(options, since, site, out)
        return
    if site is not None:
        raise click.UsageError("--site works with --format warc only")
    # A bar only when writing to a file: on stdout it would mix with the records.
    unit = "export records" if fmt == "jsonl" else "export passages"
    with (
        _context(options, reading=True) as ctx,
        progress_bar(unit, None, shown=out is not None) as bar,
    ):
        stream = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
        try:
            if fmt == "jsonl":
                for version in export_records(ctx.archive, since):
                    stream.write(json.dumps(version.to_dict(), ensure_ascii=False) + "\n")
                    bar.advance()
            else:
                writer = csv.DictWriter(stream, fieldnames=PASSAGE_COLUMNS)
                writer.writeheader()  # also for an empty archive: the columns are the format
                for passage in export_passages(ctx.archive, since):
                    writer.writerow(passage.to_dict())
                    bar.advance()
        finally:
            if out:
                stream.close()


def _export_warc(options: Options, since: str | None, site: str | None, out: Path | None) -> None:
    from importlib.metadata import version

    from worker.archive.follow import iter_captures
    from worker.progress import progress_bar
    from worker.warc import write_warc

    software = f"briefings-worker {version('briefings-worker')}"
    with (
        _context(options, reading=True) as ctx,
        progress_bar("export captures", None, shown=out is not None) as bar,
    ):
        stream = out.open("wb") if out else sys.stdout.buffer
        try:
            captures = bar.counted(iter_captures(ctx.archive, since=since, site=site))
            gzip = out is None or out.suffix != ".warc"
            count = write_warc(stream, captures, gzip=gzip, software=software)
        finally:
            if out:
                stream.close()
    if out:
        click.echo(f"{count} captures written to {out}", err=True)


@main.command()
@click.option(
    "--all",
    "all_versions",
    is_flag=True,
    help="Every capture that made a version, not only the latest.",
)
@click.pass_obj
def reparse(options: Options, all_versions: bool) -> None:
    """Re-derive records from stored captures with today's parser."""
    from worker.pipeline import reparse as reparse_archive
    from worker.progress import progress_bar

    with _context(options, reading=True) as ctx, progress_bar("reparse", None) as bar:
        report = reparse_archive(ctx, all_versions=all_versions, progress=bar)
    click.echo(
        f"checked {report.checked}: {report.new} new, {report.changed} changed, "
        f"{report.unchanged} unchanged, {report.failed} failed"
    )


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 when something needs a person (a failing or overdue source): for cron.",
)
@click.pass_obj
def status(options: Options, as_json: bool, check: bool) -> None:
    """Sources with their last and next runs, failures, counts and archive size."""
    from worker.daemon.status import worker_status

    with _context(options, reading=True) as ctx:
        report = worker_status(options.config, ctx.archive)
    problems = report.problems()
    if as_json:
        _echo_json(report.to_dict())
    else:
        _print_status(report)
    if check:
        for problem in problems:
            click.echo(f"check: {problem}", err=True)
        sys.exit(1 if problems else 0)


def _print_status(report: WorkerStatus) -> None:
    archive = report.archive
    daemon = report.daemon
    click.echo(
        f"archive   {archive.path} ({archive.size_bytes / 1e6:.1f} MB, schema {archive.schema_version})"
    )
    click.echo(
        f"daemon    running (PID {daemon.pid})"
        if daemon.running
        else "daemon    not running (no process holds " + daemon.lock + ")"
    )
    click.echo(
        f"contents  {archive.documents} documents ({archive.gone} gone), {archive.versions} versions, "
        f"{archive.passages} passages, {archive.captures} captures, {archive.fetches} fetches"
    )
    for source in report.sources:
        last = source.last_run
        links = (
            f"{last.links_found} links found ({last.links_known} known), "
            if last and last.links_found is not None
            else ""
        )
        ran = (
            f"last run {last.started_at}: {links}{last.counts.seen} seen, {last.counts.new} new, "
            f"{last.counts.changed} changed, {last.counts.failed} failed"
            if last
            else "never run"
        )
        streak = f", failing {source.failure_streak}x" if source.failure_streak else ""
        upcoming = f"; next {source.next_run}" if source.next_run else ""
        overdue = " (overdue)" if source.overdue else ""
        click.echo(f"source    {source.name} ({source.schedule}): {ran}{streak}{upcoming}{overdue}")
        if source.last_error:
            click.echo(f"          last error: {shown(source.last_error)}")
    for error in archive.recent_errors:
        click.echo(f"error     {error.fetched_at} {error.outcome} {shown(error.url)}")


@main.command()
@click.option("--test", "send_test", is_flag=True, help="Send a test message to every target.")
@click.pass_obj
def notify(options: Options, send_test: bool) -> None:
    """The [[notify]] targets: what each has not been sent yet; --test sends a test message."""
    from worker.notify import send_apprise, target_status, trial_message

    targets = options.config.notify
    if not targets:
        raise ConfigError(str(options.config.path), "notify", "no [[notify]] table is configured")
    if send_test:
        failed = False
        for target in targets:
            error = send_apprise(target, trial_message(target))
            failed = failed or error is not None
            click.echo(f"{target.name}: " + ("sent" if error is None else f"not sent: {error}"))
        if failed:
            sys.exit(1)
        return
    with _context(options, reading=True) as ctx:
        for status in target_status(ctx.archive, targets):
            click.echo(status.describe())


@main.command()
@click.argument("doc")
@click.option("--yes", is_flag=True, help="Really remove it; without --yes nothing is removed.")
@click.pass_obj
def forget(options: Options, doc: str, yes: bool) -> None:
    """Remove a document (URL, id or number), its versions and its own captures, for good."""
    from worker.archive.forget import forget as forget_document

    if not yes:
        raise click.UsageError(
            f"forget removes {shown(doc)} and all its versions for good: add --yes"
        )
    with _context(options, reading=True) as ctx:
        gone = forget_document(ctx.archive, doc)
    rebased = f"; {gone.rebased} other captures stored on their own" if gone.rebased else ""
    click.echo(
        f"forgot {gone.url} ({gone.title or 'untitled'}): {gone.versions} versions,"
        f" {gone.captures} captures, {gone.fetches} fetches{rebased}"
    )


def _log_level(options: Options) -> int:
    return {-1: logging.ERROR, 0: logging.INFO}.get(options.verbosity, logging.DEBUG)


@main.command()
@click.option("--once", is_flag=True, help="Run every source and the recheck job once, then exit.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines on stderr: readable text or JSON lines.",
)
@click.pass_obj
def run(options: Options, once: bool, log_format: str) -> None:
    """The daemon: archive every configured source on its schedule (one per archive)."""
    from worker.daemon import run_daemon
    from worker.logs import setup_logging

    setup_logging(_log_level(options), "json" if log_format == "json" else "text")
    options.profiles  # refuse a bad site profile before taking the lock  # noqa: B018
    if not options.config.sources:
        # A daemon with nothing to do would idle silently for ever.
        raise ConfigError(
            str(options.config.path), "sources", "no sources configured: nothing to run"
        )
    sys.exit(run_daemon(options.config, db_path=options.archive_path, once=once))


@main.command()
@click.option("--source", "source_name", required=True, help="The configured source to walk.")
@click.option(
    "--pages",
    type=click.IntRange(min=1),
    help="Listing pages to walk this time (default: the source's backfill_pages).",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="For monthly indexes: walk back to this month (YYYY-MM-DD).",
)
@click.pass_obj
def backfill(options: Options, source_name: str, pages: int | None, since: datetime | None) -> None:
    """Walk a source's listings into the past; resumes where an interrupted run stopped."""
    from worker.logs import setup_logging
    from worker.pipeline import backfill as walk_back
    from worker.progress import progress_bar

    setup_logging(logging.WARNING if options.verbosity < 1 else logging.INFO)
    source = options.config.source(source_name)
    stop = threading.Event()
    total = pages or source.backfill_pages
    with _context(options) as ctx, progress_bar(f"backfill {source.name}", total) as bar:

        def advance(done: int, total: int | None) -> None:
            bar.update(done, total)

        try:
            report = walk_back(
                ctx,
                source,
                pages=pages,
                since=since.date() if since else None,
                stop=stop,
                progress=advance,
            )
        except KeyboardInterrupt:
            # Every listing page done so far is saved; the page in hand is read again next time.
            click.echo("interrupted: run the same command again to resume", err=True)
            sys.exit(1)
    click.echo(
        f"{report.counts.seen} seen, {report.counts.new} new, {report.counts.changed} changed, "
        f"{report.counts.unchanged} unchanged, {report.counts.failed} failed"
        + (f"; stopped: {report.error}" if report.error else "")
    )
    if report.error:
        sys.exit(1)


@main.command()
@click.option(
    "--serve", is_flag=True, help="Keep the sample site running afterwards (Ctrl-C stops)."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port of the sample site (default: 8400 with --serve, else any free port).",
)
@click.pass_obj
def demo(options: Options, serve: bool, port: int | None) -> None:
    """Offline: serve a sample site on 127.0.0.1, archive it, edit a page, archive again."""
    from worker.demo import demo_config_path, run_demo
    from worker.demo.site import DEMO_PORT

    db = options.db or Path("archive.db")
    if port is None:
        port = DEMO_PORT if serve else 0
    result = run_demo(db, click.echo, port=port, serve=serve)
    prefix = "briefings" if db == Path("archive.db") else f"briefings --db {db}"
    click.echo("Try next:")
    click.echo(f'  {prefix} search "Arctic" --speaker Zakharova')
    click.echo(f"  {prefix} versions 1012-29-05-2024")
    click.echo(f"  {prefix} show 1012-29-05-2024 --format markdown")
    click.echo(f"  {prefix} serve    # the archive in a browser (Datasette), read-only")
    if result.site is not None:
        web = _demo_web_view(db)
        click.echo(f"The sample site stays up at {result.site.base_url} (Ctrl-C stops it); try")
        click.echo(f"  {prefix} fetch --site mid.ru {result.edited_url}")
        if result.site.port == DEMO_PORT:
            click.echo(f"  briefings --config {demo_config_path()} --db demo-daemon.db run --once")
        if web is not None:
            click.echo(f"The web view of {db} is up at {web.url} (Datasette, read-only).")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            result.site.close()
            if web is not None:
                web.close()


def _demo_web_view(db: Path) -> Any:
    """`briefings serve` on the demo archive, in the background, if Datasette is installed."""
    from worker.serve import Running

    try:
        return Running(db, "127.0.0.1", DEMO_WEB_PORT)
    except BriefingsError as error:  # Datasette missing, or the archive refused
        click.echo(f"No web view: {error}")
    return None


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8001, show_default=True, help="Port."
)
@click.pass_obj
def serve(options: Options, host: str, port: int) -> None:
    """Datasette over the archive (read-only): tables, search, facets, briefing pages."""
    from worker.serve import check_archive
    from worker.serve import serve as serve_archive

    path = options.archive_path
    try:
        check_archive(path)
    except ArchiveError as error:  # the user's file: a usage error, not an operational one
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    serve_archive(path, host, port, say=click.echo)
