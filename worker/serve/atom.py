"""Atom feeds in the web view: the changes `briefings changes --format atom` writes, served.

    /-/feeds/changes.atom              every site and speaker
    /-/feeds/site/{site}.atom          one site profile (`mid.ru`, `globalsecurity`, …)
    /-/feeds/speaker/{speaker}.atom    one speaker, matched as `--speaker` matches

Each feed has the latest 50 changes (`?since=7d` or a date keeps those since then); it is read
through Datasette's own read-only connection, like every other page of the web view.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from datasette.utils.asgi import Response

from worker.archive.db import Archive
from worker.errors import BriefingsError
from worker.feeds import changes_feed

ROUTE = "/-/feeds"
LATEST = 50
ATOM = "application/atom+xml; charset=utf-8"


async def feed_page(datasette: Any, request: Any) -> Response:
    site = request.url_vars.get("site")
    speaker = request.url_vars.get("speaker")
    since = request.args.get("since") or None
    database = datasette.get_database()
    link = datasette.absolute_url(request, request.path)

    def make(conn: sqlite3.Connection) -> bytes:
        archive = Archive(Path(database.path), conn)
        return changes_feed(
            archive,
            since,
            site=unquote(site) if site else None,
            speaker=unquote(speaker) if speaker else None,
            limit=LATEST,
            link=link,
        )

    try:
        feed: bytes = await database.execute_fn(make)
    except BriefingsError as error:  # a bad `since` or speaker: the reader's to fix
        return Response.text(f"error: {error}\n", status=400)
    return Response(feed, content_type=ATOM)


ROUTES: list[tuple[str, Any]] = [
    (rf"^{ROUTE}/changes\.atom$", feed_page),
    (rf"^{ROUTE}/site/(?P<site>[^/]+)\.atom$", feed_page),
    (rf"^{ROUTE}/speaker/(?P<speaker>[^/]+)\.atom$", feed_page),
]
