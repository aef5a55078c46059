"""How a change reads: as an Atom entry (`briefings changes --format atom`) and as a message
(`worker.notify`). One title and one text per change, used by both.

The feed is written by feedgen, which escapes and orders the XML itself. An entry's id is the
briefing's URL with a fragment naming the version (`#version-2`) or the going (`#gone-<time>`),
so it stays the same however often the feed is made and a reader shows each change once.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from feedgen.feed import FeedGenerator

from worker.archive import clock
from worker.archive.db import Archive
from worker.archive.follow import Change, change_diff, changes
from worker.render import render_diff_text

MAX_DIFF_CHARS = 6000  # a longer diff is cut: `briefings diff` shows it whole
GENERATOR = "briefings-worker"


def change_title(change: Change) -> str:
    title = change.title or change.url
    if change.kind == "new":
        return f"New briefing: {title}"
    if change.kind == "changed":
        return f"Changed (version {change.version}): {title}"
    return f"Gone from the site: {title}"


def change_text(archive: Archive, change: Change, max_diff: int = MAX_DIFF_CHARS) -> str:
    """Date, site and speaker; the link; what happened; for a change, the turn-level diff."""
    facts = " · ".join(x for x in ((change.published or "")[:10], change.site, change.speaker) if x)
    happened = {
        "new": f"first seen {change.at}",
        "changed": f"{change.summary}; seen {change.at}",
        "gone": f"gone from the site since {change.at}",
    }[change.kind]
    lines = [facts, change.url, "", happened]
    diff = change_diff(archive, change)
    if diff is not None:
        text = render_diff_text(diff, color=False)
        if len(text) > max_diff:
            text = text[:max_diff] + f"\n… (cut: `briefings diff {change.url}` shows it whole)"
        lines += ["", text]
    return "\n".join(lines).strip()


def entry_id(change: Change) -> str:
    if change.kind == "gone":
        return f"{change.url}#gone-{change.at}"
    return f"{change.url}#version-{change.version}"


def atom_feed(
    archive: Archive, changes: Sequence[Change], *, feed_id: str, title: str, link: str | None
) -> bytes:
    """An Atom 1.0 document with one entry per change, newest first; `link` is the feed's own
    address when it has one."""
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    feed.author({"name": GENERATOR})
    feed.generator(GENERATOR)
    if link:
        feed.link(href=link, rel="self")
    newest = max((change.at for change in changes), default=clock.stamp(None))
    feed.updated(clock.parse(newest))
    for change in sorted(changes, key=lambda c: c.at, reverse=True):
        entry = feed.add_entry(order="append")
        entry.id(entry_id(change))
        entry.title(change_title(change))
        entry.link(href=change.url)
        entry.updated(clock.parse(change.at))
        entry.summary(change.summary)
        entry.content(change_text(archive, change), type="text")
        if change.site:
            entry.category(term=change.site)
    xml: bytes = feed.atom_str(pretty=True)
    return xml


def changes_feed(
    archive: Archive,
    since: str | None,
    *,
    site: str | None = None,
    speaker: str | None = None,
    limit: int | None = None,
    link: str | None = None,
) -> bytes:
    """The Atom feed of `changes(...)`, its id and title naming the site and speaker chosen (the
    same id for the same choice, wherever the feed is made)."""
    found = changes(archive, since, site=site, speaker=speaker, limit=limit)
    scope = " ".join(x for x in (site, speaker) if x)
    return atom_feed(
        archive,
        found,
        feed_id="urn:briefings-worker:changes:" + quote(scope or "all", safe=""),
        title=f"Briefings: changes{f' ({scope})' if scope else ''}",
        link=link,
    )
