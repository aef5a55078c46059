"""The commands that fill the archive or watch it fill: parse, fetch, backfill, reparse, forget,
run (the daemon) and status.

Each makes one call into the pipeline (`worker.pipeline`) or the daemon (`worker.daemon`) and
prints its outcome; `parse` touches no archive.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import datetime
from typing import TYPE_CHECKING

import click

from worker.cli.group import Options, archive_context, echo_json, log_level, main, setup_logging
from worker.errors import ConfigError, ExtractError, shown
from worker.urls import check as check_url

if TYPE_CHECKING:
    from worker.daemon.status import WorkerStatus


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
    with archive_context(options) as ctx:
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
        echo_json([o.to_dict() for o in outcomes])
    if any(o.failed for o in outcomes):
        sys.exit(1)


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
    from worker.cli.progress import progress_bar
    from worker.pipeline import reparse as reparse_archive

    with archive_context(options, reading=True) as ctx, progress_bar("reparse", None) as bar:
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

    with archive_context(options, reading=True) as ctx:
        report = worker_status(options.config, ctx.archive)
    problems = report.problems()
    if as_json:
        echo_json(report.to_dict())
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
    with archive_context(options, reading=True) as ctx:
        gone = forget_document(ctx.archive, doc)
    rebased = f"; {gone.rebased} other captures stored on their own" if gone.rebased else ""
    click.echo(
        f"forgot {gone.url} ({gone.title or 'untitled'}): {gone.versions} versions,"
        f" {gone.captures} captures, {gone.fetches} fetches{rebased}"
    )


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

    setup_logging(log_level(options), "json" if log_format == "json" else "text")
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
    from worker.cli.progress import progress_bar
    from worker.pipeline import backfill as walk_back

    setup_logging(logging.WARNING if options.verbosity < 1 else logging.INFO)
    source = options.config.source(source_name)
    stop = threading.Event()
    total = pages or source.backfill_pages
    with archive_context(options) as ctx, progress_bar(f"backfill {source.name}", total) as bar:
        try:
            report = walk_back(
                ctx,
                source,
                pages=pages,
                since=since.date() if since else None,
                stop=stop,
                progress=bar,
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
