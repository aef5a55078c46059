"""The commands that hand the archive on: serve (Datasette), notify, and the offline demo."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import click

from worker.cli.group import Options, archive_context, main
from worker.errors import ArchiveError, BriefingsError, ConfigError

DEMO_WEB_PORT = 8401  # `demo --serve`: the web view of the demo archive, beside the sample site


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
    with archive_context(options, reading=True) as ctx:
        for status in target_status(ctx.archive, targets):
            click.echo(status.describe())


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
