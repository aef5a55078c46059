"""Following the archive: what it holds (`list`), what happened since a time (`changes`), and
its raw captures in order (`export --format warc`).

Read-only queries that hand out frozen dataclasses; the CLI, the Atom writer (`worker.feeds`),
the notifier (`worker.notify`) and the WARC writer (`worker.warc`) format them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

from worker.archive import captures, clock
from worker.archive.captures import StoredCapture
from worker.archive.db import Archive
from worker.errors import ArchiveError

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
