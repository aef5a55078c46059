"""Datasette plugin hooks: a readable page per briefing version and its diff, and links to them.

`/-/briefing/{document}` (the latest version), `/-/briefing/{document}/{version}` (its sections,
turns with speakers, links to its other versions and to the diff) and
`/-/briefing/{document}/{version}/diff` (what changed since the version before) read the archive
through Datasette's own read-only connection; an unknown briefing or version is a 404 page.
`render_cell` turns a `document_id` in the worker's views and canned queries into a link to the
briefing's page (at the row's version when the row has one).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from worker.archive import texts
from worker.diff import RecordDiff, diff_records
from worker.record import Record, Turn
from worker.render import turn_label
from worker.serve import atom

ROUTE = "/-/briefing"


class NotFound(Exception):
    """An unknown briefing or version: a 404 page saying which (`_briefing`)."""


@dataclass(frozen=True)
class VersionRow:
    number: int
    seen_at: str
    cause: str
    changes: str | None


@dataclass(frozen=True)
class Briefing:
    document_id: int
    url: str
    gone_at: str | None
    version: VersionRow
    versions: tuple[VersionRow, ...]
    record: Record
    before: Record | None  # the version before, for the diff


def _read(conn: sqlite3.Connection, document_id: int, number: int | None) -> Briefing:
    document = conn.execute(
        "SELECT canonical_url, gone_at FROM documents WHERE id = ?", (document_id,)
    ).fetchone()
    if document is None:
        raise NotFound(f"No briefing with document id {document_id} in this archive")
    versions = tuple(
        VersionRow(*row)
        for row in conn.execute(
            "SELECT number, seen_at, cause, changes FROM versions WHERE document_id = ?"
            " ORDER BY number",
            (document_id,),
        )
    )
    if not versions:
        raise NotFound(f"Briefing {document_id} has no versions yet")
    wanted = versions[-1].number if number is None else number
    if not 1 <= wanted <= versions[-1].number:
        raise NotFound(
            f"Briefing {document_id} has no version {wanted} (versions 1 to {versions[-1].number})"
        )
    return Briefing(
        document_id=document_id,
        url=document[0],
        gone_at=document[1],
        version=versions[wanted - 1],
        versions=versions,
        record=_record(conn, document_id, wanted),
        before=_record(conn, document_id, wanted - 1) if wanted > 1 else None,
    )


def _record(conn: sqlite3.Connection, document_id: int, number: int) -> Record:
    row = conn.execute(
        f"SELECT {texts.VERSION_COLUMNS} FROM versions WHERE document_id = ? AND number = ?",
        (document_id, number),
    ).fetchone()
    return texts.record_of(conn, row)


def _sections(record: Record) -> list[dict[str, Any]]:
    """The record's sections as the template shows them: each paragraph or turn with a label."""
    shown = []
    for section in record.sections:
        items = []
        for turn in section.turns or (
            Turn("answer", record.speaker, p) for p in section.paragraphs
        ):
            statement = section.part == "statements"
            label = "" if statement else turn_label(turn, record.language)
            role = "statement" if statement else turn.role
            items.append({"role": role, "speaker": turn.speaker, "label": label, "text": turn.text})
        shown.append({"part": section.part, "heading": section.heading, "items": items})
    return shown


def _chunks(chunks: tuple[tuple[str, str], ...]) -> Markup:
    """A word diff as HTML: deleted words in <del>, inserted ones in <ins>."""
    html = []
    for op, text in chunks:
        if op == "delete":
            html.append(Markup("<del>{}</del>").format(text))
        elif op == "insert":
            html.append(Markup("<ins>{}</ins>").format(text))
        else:
            html.append(escape(text))
    return Markup("").join(html)


def _item_text(item: Any) -> str:
    return item if isinstance(item, str) else f"{item.speaker or item.role}: {item.text}"


def _diff(diff: RecordDiff) -> dict[str, Any]:
    sections = []
    for section in diff.changed_sections:
        items = []
        for item in section.items:
            if item.status == "changed" and item.words:
                body = _chunks(item.words)
            else:
                body = escape(_item_text(item.new if item.new is not None else item.old))
            items.append({"status": item.status, "kind": item.kind, "html": body})
        sections.append(
            {
                "status": section.status,
                "heading": section.heading,
                "heading_html": _chunks(section.heading_words) if section.heading_words else None,
                "items": items,
            }
        )
    return {
        "fields": [(f.field, f.old, f.new) for f in diff.fields],
        "toc": [(t.status, t.entry.heading) for t in diff.toc],
        "sections": sections,
        "empty": diff.is_empty,
    }


async def _briefing(datasette: Any, request: Any, diff: bool) -> Response:
    args = request.url_vars
    document_id = int(args["document_id"])
    number = int(args["version"]) if args.get("version") else None
    database = datasette.get_database()

    def read(conn: sqlite3.Connection) -> Briefing:
        return _read(conn, document_id, number)

    try:
        briefing: Briefing = await database.execute_fn(read)
        if diff and briefing.before is None:
            raise NotFound(
                f"Version 1 of briefing {document_id} is its first:"
                " there is nothing to compare it with"
            )
    except NotFound as missing:
        # Datasette's own error page, answered here: a raised error would also print a
        # traceback to the server's console for what is only a wrong address.
        error = {"ok": False, "error": str(missing), "status": 404, "title": "Not found"}
        page = await datasette.render_template("error.html", error, request=request)
        return Response.html(page, status=404)
    context = {
        "briefing": briefing,
        "record": briefing.record,
        "database": database.name,
        "route": f"{ROUTE}/{document_id}",
        "feeds": _feeds(briefing.record),
        "sections": _sections(briefing.record),
        "diff": _diff(diff_records(briefing.before, briefing.record))
        if diff and briefing.before is not None
        else None,
    }
    template = "briefing_diff.html" if diff else "briefing.html"
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html)


def _feeds(record: Record) -> list[dict[str, str]]:
    """The Atom feeds a briefing's page links: all changes, its site's, its speaker's."""
    feeds = [{"title": "All changes", "href": f"{atom.ROUTE}/changes.atom"}]
    if record.site:
        site = quote(record.site, safe="")
        feeds.append(
            {"title": f"Changes on {record.site}", "href": f"{atom.ROUTE}/site/{site}.atom"}
        )
    if record.speaker:
        speaker = quote(record.speaker, safe="")
        feeds.append(
            {
                "title": f"Briefings by {record.speaker}",
                "href": f"{atom.ROUTE}/speaker/{speaker}.atom",
            }
        )
    return feeds


async def briefing_page(datasette: Any, request: Any) -> Response:
    return await _briefing(datasette, request, diff=False)


async def briefing_diff(datasette: Any, request: Any) -> Response:
    return await _briefing(datasette, request, diff=True)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (rf"^{ROUTE}/(?P<document_id>\d+)$", briefing_page),
        (rf"^{ROUTE}/(?P<document_id>\d+)/(?P<version>\d+)$", briefing_page),
        (rf"^{ROUTE}/(?P<document_id>\d+)/(?P<version>\d+)/diff$", briefing_diff),
        *atom.ROUTES,  # the Atom feeds of changes (`atom.py`)
    ]


@hookimpl
def render_cell(row: Any, value: Any, column: str) -> Markup | None:
    """A `document_id` links to its briefing's page, at the row's version if it names one."""
    if column != "document_id" or not isinstance(value, int):
        return None
    keys = row.keys()
    number = row["version"] if "version" in keys else None
    href = f"{ROUTE}/{value}" + (f"/{number}" if isinstance(number, int) else "")
    return Markup('<a href="{}">{}</a>').format(href, value)
