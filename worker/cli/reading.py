"""The commands that read the archive: search, show, versions, list, changes, diff, export.

Each opens the archive read-only (a mistyped `--db` is refused, never created), makes one library
call (`worker.archive`), prints.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from pathlib import Path

import click

from worker.cli.group import MAX_NUMBER, NUMBER, Options, archive_context, echo_json, main
from worker.errors import VersionNotFound


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

    with archive_context(options, reading=True) as ctx:
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
        echo_json([hit.to_dict() for hit in hits])
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

    with archive_context(options, reading=True) as ctx:
        document = resolve_document(ctx.archive, doc)
        stored = get_version(ctx.archive, document.id, number)
        copies = other_copies(ctx.archive, document.id)
        if raw:
            if stored.capture_id is None:
                raise VersionNotFound(f"{doc}: version {stored.number} has no stored capture")
            sys.stdout.buffer.write(load(ctx.archive, stored.capture_id).body)
            return
    if fmt == "json":
        echo_json(stored.record.to_dict())
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

    with archive_context(options, reading=True) as ctx:
        document = resolve_document(ctx.archive, doc)
        infos = list_versions(ctx.archive, document.id)
    if as_json:
        echo_json([info.to_dict() for info in infos])
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

    with archive_context(options, reading=True) as ctx:
        documents = list_documents(ctx.archive, site=site, speaker=speaker, since=since,
                                   until=until, gone=gone, edited=edited,
                                   limit=limit or None)  # fmt: skip
    if as_json:
        echo_json([document.to_dict() for document in documents])
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
    with archive_context(options, reading=True) as ctx:
        if fmt == "atom":
            feed = changes_feed(ctx.archive, since, site=site, speaker=speaker, limit=limit)
            sys.stdout.buffer.write(feed)
            return
        found = find_changes(ctx.archive, since, site=site, speaker=speaker, limit=limit)
    if as_json:
        echo_json([change.to_dict() for change in found])
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
    from worker.diff import diff_records, diff_to_dict
    from worker.render import render_diff_text

    with archive_context(options, reading=True) as ctx:
        document = resolve_document(ctx.archive, doc)
        newer = get_version(ctx.archive, document.id, new)
        older_number = old if old is not None else max(1, newer.number - 1)
        older = get_version(ctx.archive, document.id, older_number)
    changes = diff_records(older.record, newer.record)
    if as_json:
        echo_json({"from": older.number, "to": newer.number, **diff_to_dict(changes)})
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
    from worker.cli.progress import progress_bar

    since = since_date.isoformat() if since_date else None
    if fmt == "warc":
        _export_warc(options, since, site, out)
        return
    if site is not None:
        raise click.UsageError("--site works with --format warc only")
    # A bar only when writing to a file: on stdout it would mix with the records.
    unit = "export records" if fmt == "jsonl" else "export passages"
    with (
        archive_context(options, reading=True) as ctx,
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
    from worker.cli.progress import progress_bar
    from worker.warc import write_warc

    software = f"briefings-worker {version('briefings-worker')}"
    with (
        archive_context(options, reading=True) as ctx,
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
