"""Following the archive: what it holds (`list`), what happened since a time (`changes`), and
its raw captures in order (`export --format warc`).

Read-only queries that hand out frozen dataclasses; the CLI, the Atom writer (`worker.feeds`),
the notifier (`worker.notify`) and the WARC writer (`worker.warc`) format them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from worker.archive import captures, clock
from worker.archive.captures import StoredCapture
from worker.archive.db import Archive
from worker.archive.queries import get_version
from worker.archive.search import fold, words
from worker.diff import RecordDiff, diff_records
from worker.errors import ArchiveError, SearchQueryError

ChangeKind = Literal["new", "changed", "gone"]

_RELATIVE = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def moment(when: str, what: str = "since", *, now: datetime | None = None) -> str:
    """A user's WHEN as the archive's time text: a date (`2024-05-29`, that day's start), an
    ISO 8601 time, or an age (`24h`, `7d`, `2w`, `90m`) counted back from `now`."""
    text = when.strip()
    age = _RELATIVE.fullmatch(text)
    if age:
        seconds = int(age.group(1)) * _UNITS[age.group(2)]
        return clock.to_text((now or clock.utc_now()) - timedelta(seconds=seconds))
    try:
        return clock.stamp(text)
    except ArchiveError:
        raise ArchiveError(
            f"{what}: expected a date (YYYY-MM-DD), an ISO 8601 time or an age like 24h or 7d,"
            f" got {when!r}"
        ) from None


_CAPTURES = """
SELECT c.id FROM captures AS c
LEFT JOIN documents AS d ON d.id = c.document_id
WHERE (:since IS NULL OR c.fetched_at >= :since)
    AND (:site IS NULL OR d.site = :site)
ORDER BY c.fetched_at, c.id
"""


def iter_captures(
    archive: Archive, *, since: str | None = None, site: str | None = None
) -> Iterator[StoredCapture]:
    """Every stored capture (fetched at or after `since`; of documents of site profile `site`),
    oldest first, each read (and decompressed) only when it is reached."""
    bounds = {"since": None if since is None else moment(since), "site": site}
    ids = [int(row[0]) for row in archive.conn.execute(_CAPTURES, bounds)]
    for capture_id in ids:
        yield captures.load(archive, capture_id)


@dataclass(frozen=True)
class ListedDocument:
    """A document as `briefings list` shows it: its latest title and date, how many versions."""

    id: int
    url: str
    site: str | None
    title: str | None
    published: str | None
    document_number: str | None
    speaker: str | None  # the latest version's speaker
    versions: int
    first_seen: str
    last_seen: str | None
    gone_at: str | None  # gone from its site since then (404/410, or moved away)

    def to_dict(self) -> dict[str, object]:
        """The stable shape of `briefings list --json`."""
        return {
            "id": self.id,
            "url": self.url,
            "site": self.site,
            "title": self.title,
            "published": self.published,
            "document_number": self.document_number,
            "speaker": self.speaker,
            "versions": self.versions,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "gone_at": self.gone_at,
        }


_LIST = """
SELECT d.id, d.canonical_url, d.site, d.title, d.published, d.document_number, d.speaker,
    (SELECT count(*) FROM versions WHERE document_id = d.id) AS versions, d.first_seen,
    d.last_seen, d.gone_at
FROM documents AS d
WHERE (:site IS NULL OR d.site = :site)
    AND (:since IS NULL OR substr(d.published, 1, 10) >= :since)
    AND (:until IS NULL OR substr(d.published, 1, 10) <= :until)
    AND (NOT :gone OR d.gone_at IS NOT NULL)
    AND versions >= :min_versions
ORDER BY d.published IS NULL, d.published DESC, d.id DESC
"""


def list_documents(
    archive: Archive,
    *,
    site: str | None = None,
    speaker: str | None = None,
    since: str | None = None,
    until: str | None = None,
    gone: bool = False,
    edited: bool = False,
    limit: int | None = None,
) -> list[ListedDocument]:
    """The documents, newest briefing first: of site profile `site`; whose speaker has each
    word of `speaker` (whole or as a beginning, as `search --speaker`); published from `since`
    to `until` (dates, inclusive); only those gone from their site; only those `edited` (more
    than one version); at most `limit`."""
    speaks = _SpeakerFilter(speaker)
    params = {
        "site": site,
        "since": _day(since, "since"),
        "until": _day(until, "until"),
        "gone": gone,
        "min_versions": 2 if edited else 1,
    }
    found: list[ListedDocument] = []
    for row in archive.conn.execute(_LIST, params):
        if limit is not None and len(found) >= limit:
            break
        document = ListedDocument(*row)
        if speaks(document.speaker):
            found.append(document)
    return found


@dataclass(frozen=True)
class Change:
    """One thing that happened to the archive's briefings (`briefings changes`): a `new`
    briefing (its first version), a `changed` one (a later version fetched from its site) or
    one `gone` from its site. `version` is None for `gone`."""

    kind: ChangeKind
    at: str
    document_id: int
    url: str
    site: str | None
    title: str | None
    published: str | None
    speaker: str | None
    version: int | None
    summary: str  # one line: "first version", what changed, or "gone from the site"

    def to_dict(self) -> dict[str, object]:
        """The stable shape of `briefings changes --json`."""
        return {
            "kind": self.kind,
            "at": self.at,
            "document_id": self.document_id,
            "url": self.url,
            "site": self.site,
            "title": self.title,
            "published": self.published,
            "speaker": self.speaker,
            "version": self.version,
            "summary": self.summary,
        }


# A version made by `reparse` records a change of the parser, not of the site: not a change
# here, except a document's first version, which is a briefing new to the archive either way.
# A version's title, date and speaker are its own; a going shows the document's latest.
_CHANGES = """
SELECT c.kind, c.at, d.id, d.canonical_url, d.site, c.title, c.published, c.speaker, c.number,
    c.summary
FROM (
    SELECT CASE WHEN v.number = 1 THEN 'new' ELSE 'changed' END AS kind, v.seen_at AS at,
        v.document_id, v.title, v.published, v.speaker, v.number, v.changes AS summary
    FROM versions AS v
    WHERE v.seen_at >= :since AND (v.number = 1 OR v.cause = 'fetch')
        AND (:document_id IS NULL OR (v.document_id = :document_id AND v.number = :number))
    UNION ALL
    SELECT 'gone', g.gone_at, g.id, g.title, g.published, g.speaker, NULL,
        CASE (SELECT f.outcome FROM fetches AS f
              WHERE f.document_id = g.id AND f.outcome IN ('gone', 'moved')
              ORDER BY f.id DESC LIMIT 1)
            WHEN 'moved' THEN 'moved away: the address redirects elsewhere'
            ELSE 'gone from the site' END
    FROM documents AS g
    WHERE g.gone_at >= :since AND (:document_id IS NULL OR (g.id = :document_id AND :number IS NULL))
) AS c
JOIN documents AS d ON d.id = c.document_id
WHERE (:site IS NULL OR d.site = :site)
ORDER BY c.at, d.id, c.number
"""


def changes(
    archive: Archive,
    since: str | None,
    *,
    site: str | None = None,
    speaker: str | None = None,
    limit: int | None = None,
) -> list[Change]:
    """What happened since `since` (see `moment`), oldest first: new briefings, new versions,
    briefings gone from their site; of site profile `site`, by `speaker`; the latest `limit`.
    `since` None: from the start."""
    speaks = _SpeakerFilter(speaker)
    start = "" if since is None else moment(since)
    params = {"since": start, "site": site, "document_id": None, "number": None}
    rows = archive.conn.execute(_CHANGES, params).fetchall()
    found: list[Change] = []
    for row in reversed(rows):  # newest first, so `limit` keeps the latest
        if limit is not None and len(found) >= limit:
            break
        change = Change(*row)
        if speaks(change.speaker):
            found.append(change)
    return found[::-1]


def change_of(archive: Archive, document_id: int, number: int | None, at: str) -> Change:
    """The change version `number` of the document made (its arrival when 1), or its going
    (at `at`) when `number` is None."""
    params = {"since": "", "site": None, "document_id": document_id, "number": number}
    for row in archive.conn.execute(_CHANGES, params):
        change = Change(*row)
        if number is not None or change.at == at:
            return change
    if number is not None:
        raise ArchiveError(f"document {document_id} has no version {number}")
    # Gone then, but back since (or gone again later): still tell the going that happened.
    row = archive.conn.execute(
        "SELECT canonical_url, site, title, published, speaker FROM documents WHERE id = ?",
        (document_id,),
    ).fetchone()
    if row is None:
        raise ArchiveError(f"document {document_id} is missing")
    url, site, title, published, said_by = row
    return Change("gone", at, document_id, url, site, title, published, said_by, None,
                  "gone from the site (since back, or gone again later)")  # fmt: skip


def change_diff(archive: Archive, change: Change) -> RecordDiff | None:
    """The turn-level diff a `changed` change made; None for the others."""
    if change.kind != "changed" or change.version is None:
        return None
    before = get_version(archive, change.document_id, change.version - 1).record
    after = get_version(archive, change.document_id, change.version).record
    return diff_records(before, after)


class _SpeakerFilter:
    """Whether a speaker has each word of the one asked for, whole or as a beginning (as
    `search --speaker` matches), worked out once per distinct name: an archive has thousands
    of briefings and a handful of speakers."""

    def __init__(self, speaker: str | None) -> None:
        self.wanted = [] if speaker is None else [fold(word) for word in words(speaker)]
        if speaker is not None and not self.wanted:
            raise SearchQueryError(f"speaker: {speaker!r} has no words to look for")
        self._seen: dict[str | None, bool] = {}

    def __call__(self, speaker: str | None) -> bool:
        if not self.wanted:
            return True
        if speaker not in self._seen:
            said = [fold(word) for word in words(speaker or "")]
            self._seen[speaker] = all(any(w.startswith(x) for w in said) for x in self.wanted)
        return self._seen[speaker]


def _day(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise SearchQueryError(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None
