"""Raw captures: the bytes a server sent, kept compressed and addressed by their sha256.

Identical bytes are stored once however often, and from wherever, they arrive: a capture's
`url` and `document_id` say where they were first kept, and each fetch and version that used
them points at the row. Keeping the bytes lets `reparse` re-derive any record without fetching.
A capture is compressed against a base capture of its host (below): `dictionary_id` names that
base, or is null for a base itself.

Compressing a capture against a base capture of its site: most of a page is the site's chrome.

Alone, zstd shrinks a briefing page ~3x: its markup, menus and scripts are new to it every time.
Pages of one site share that chrome, so a capture is compressed with the raw bytes of a *base*
capture of the same host as its dictionary (zstd raw-content dictionary), which leaves little
more than the page's own text. A base is stored with plain zstd, never with a dictionary. A later
capture of a document that already has one (the page was edited) may instead use the document's
first capture as its dictionary, which leaves little more than the edit; that first capture is a
base or compressed against one, so reading any capture needs at most two extra rows.

`pack` picks the dictionary: of the host's few most recent bases, the one that compresses the
capture best, if that is at most `GOOD` of its size (or the capture is too small to be a useful
base); else the capture becomes a new base (the site was redesigned, or serves another kind of
page). Trying a few recent bases, not only the newest, keeps a host that serves two templates
from making every other capture a base, or compressing half of them poorly. The candidates are
compared at a fast level (`TRIAL_LEVEL`) and only the winner is compressed at `LEVEL`: trying
every base at `LEVEL` was the largest single cost of storing a page (~1 ms a base), and the fast
level picks the same base (measured on 400 generated pages: the same stored size to 4 digits).

Prepared dictionaries are cached per `Archive`, by the base's sha256 (so a base row rolled back
and its id reused can never be mistaken for another), a bounded number at a time.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import zstandard

from worker import urls
from worker.archive import clock
from worker.errors import ArchiveError
from worker.page import Page

if TYPE_CHECKING:
    from worker.archive.db import Archive




@dataclass(frozen=True)
class StoredCapture:
    id: int
    url: str
    status: int
    fetched_at: str
    headers: dict[str, str]
    body: bytes


def host_of(url: str) -> str:
    """The host (and a non-default port) of a canonical URL: the site whose bases it shares."""
    return urls.check(url).netloc


def keep(archive: Archive, page: Page, url: str, document_id: int | None, fetched_at: str) -> int:
    """The id of the capture holding `page.body`, inserting it if these bytes are new; call
    inside the caller's write transaction."""
    conn = archive.conn
    digest = hashlib.sha256(page.body).hexdigest()
    found = conn.execute("SELECT id FROM captures WHERE sha256 = ?", (digest,)).fetchone()
    if found is not None:
        _adopt(conn, int(found[0]), document_id)
        return int(found[0])
    host = host_of(url)
    packed = archive.dictionaries.pack(conn, host, page.body, _earlier(conn, document_id))
    cursor = conn.execute(
        "INSERT INTO captures (document_id, url, host, fetched_at, status, headers, sha256, size,"
        " dictionary_id, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            document_id,
            url,
            host,
            clock.stamp(page.fetched_at) if page.fetched_at else fetched_at,
            page.status,
            json.dumps(page.headers, ensure_ascii=False, sort_keys=True),
            digest,
            len(page.body),
            packed.dictionary_id,
            packed.blob,
        ),
    )
    return int(cursor.lastrowid or 0)


# A document's first capture, if it is a base or is compressed against one (so a capture made
# against it is at most two steps from plain zstd).
_EARLIER = """
SELECT c.id, c.sha256 FROM captures AS c
LEFT JOIN captures AS b ON b.id = c.dictionary_id
WHERE c.document_id = ? AND (c.dictionary_id IS NULL OR b.dictionary_id IS NULL)
  AND c.size <= ?
ORDER BY c.id LIMIT 1
"""


def _earlier(conn: sqlite3.Connection, document_id: int | None) -> list[tuple[int, str]]:
    if document_id is None:
        return []
    return [(int(row[0]), str(row[1])) for row in conn.execute(_EARLIER, (document_id, MAX_BASE))]


def _adopt(conn: sqlite3.Connection, capture_id: int, document_id: int | None) -> None:
    """Bytes first kept without a document belong to the document that now has them."""
    if document_id is not None:
        conn.execute(
            "UPDATE captures SET document_id = ? WHERE id = ? AND document_id IS NULL",
            (document_id, capture_id),
        )


def load(archive: Archive, capture_id: int) -> StoredCapture:
    row = archive.conn.execute(
        "SELECT c.id, c.url, c.status, c.fetched_at, c.headers, c.body, c.dictionary_id, b.sha256"
        " FROM captures AS c LEFT JOIN captures AS b ON b.id = c.dictionary_id WHERE c.id = ?",
        (capture_id,),
    ).fetchone()
    if row is None:
        raise ArchiveError(f"capture {capture_id} is missing")
    return StoredCapture(
        id=row[0],
        url=row[1],
        status=row[2],
        fetched_at=row[3],
        headers=json.loads(row[4]),
        body=archive.dictionaries.unpack(archive.conn, row[5], row[6], row[7]),
    )


# ---- compressing against a base capture of the same host ------------------------------------



BASE_LEVEL = 19  # bases are few: spend the time once
# A capture over MAX_BASE bytes is stored alone at BIG_LEVEL and never serves as a base. Real
# briefing pages are 30-500 KB; a multi-megabyte body is a hostile or broken page (usually
# refused by extract). Before this rule a 16 MB one took 16 s at level 19, became its host's
# newest base, and then cost every later page of the host a second to be tried against.
MAX_BASE = 2 * 1024 * 1024
BIG_LEVEL = 3
LEVEL = 9  # a page against its base: ~0.3-1 ms, within 2% of level 19
TRIAL_LEVEL = 1  # comparing bases: ~0.13 ms a try, and it ranks them as LEVEL does
GOOD = 0.25  # compressed/raw at or under which a base serves a capture
RECENT_BASES = 4  # how many of a host's newest bases are tried
MIN_BASE = 2048  # bytes: smaller captures never replace a host's bases (they would serve poorly)
CACHED = 8  # prepared dictionaries kept per Archive (~0.5 MiB each)

_BASES = """
SELECT id, sha256 FROM captures WHERE host = ? AND dictionary_id IS NULL AND size <= ?
ORDER BY id DESC LIMIT ?
"""


@dataclass
class _Prepared:
    """One base's raw bytes, ready to compress and decompress with."""

    data: zstandard.ZstdCompressionDict
    compressor: zstandard.ZstdCompressor  # at LEVEL
    trial: zstandard.ZstdCompressor  # at TRIAL_LEVEL, to compare bases
    decompressor: zstandard.ZstdDecompressor = field(init=False)

    def __post_init__(self) -> None:
        self.decompressor = zstandard.ZstdDecompressor(dict_data=self.data)


@dataclass(frozen=True)
class Packed:
    """A capture's stored bytes and the base they need (None: this capture is a base)."""

    blob: bytes
    dictionary_id: int | None


class Dictionaries:
    """The prepared dictionaries of recently used bases, least recently used dropped first."""

    def __init__(self, size: int = CACHED) -> None:
        self.size = size
        self._prepared: OrderedDict[str, _Prepared] = OrderedDict()

    def __len__(self) -> int:
        return len(self._prepared)

    def _get(self, conn: sqlite3.Connection, base_id: int, sha256: str) -> _Prepared:
        prepared = self._prepared.get(sha256)
        if prepared is None:
            row = conn.execute(
                "SELECT c.body, c.dictionary_id, b.sha256 FROM captures AS c"
                " LEFT JOIN captures AS b ON b.id = c.dictionary_id WHERE c.id = ?",
                (base_id,),
            ).fetchone()
            if row is None:
                raise ArchiveError(_missing(base_id))
            raw = self.unpack(conn, row[0], row[1], row[2])
            prepared = _Prepared(
                _dictionary(raw), _compressor(raw, LEVEL), _compressor(raw, TRIAL_LEVEL)
            )
            self._prepared[sha256] = prepared
            while len(self._prepared) > self.size:
                self._prepared.popitem(last=False)
        self._prepared.move_to_end(sha256)
        return prepared

    def pack(
        self,
        conn: sqlite3.Connection,
        host: str,
        body: bytes,
        earlier: list[tuple[int, str]] | None = None,
    ) -> Packed:
        """`body` compressed against one of the host's recent bases or an `earlier` capture of
        its document (an edited page is nearly its first capture), or as a new base."""
        if len(body) > MAX_BASE:
            return Packed(compress(body, BIG_LEVEL), None)
        candidates = conn.execute(_BASES, (host, MAX_BASE, RECENT_BASES)).fetchall() + (earlier or [])
        best: tuple[int, int, _Prepared] | None = None  # trial size, base id, its dictionary
        for base_id, sha256 in candidates:
            prepared = self._get(conn, base_id, sha256)
            size = len(prepared.trial.compress(body)) if len(candidates) > 1 else 0
            if best is None or size < best[0]:
                best = (size, base_id, prepared)
        if best is not None:
            _, base_id, prepared = best
            blob = bytes(prepared.compressor.compress(body))
            if len(blob) <= GOOD * len(body) or len(body) < MIN_BASE:
                return Packed(blob, base_id)
        return Packed(compress(body), None)

    def unpack(
        self,
        conn: sqlite3.Connection,
        blob: bytes,
        dictionary_id: int | None,
        base_sha256: str | None,
    ) -> bytes:
        """The raw bytes of a stored capture (`base_sha256`: its base's, if it has one)."""
        if dictionary_id is None:
            return decompress(blob)
        if base_sha256 is None:  # no row for the base
            raise ArchiveError(_missing(dictionary_id))
        prepared = self._get(conn, dictionary_id, base_sha256)
        return bytes(prepared.decompressor.decompress(blob))


def _dictionary(raw: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(raw, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def _compressor(raw: bytes, level: int) -> zstandard.ZstdCompressor:
    """A compressor with `raw` as its dictionary, prepared for `level`. Each level needs a
    dictionary object of its own: preparing one again frees the form a compressor still uses."""
    data = _dictionary(raw)
    data.precompute_compress(level=level)
    return zstandard.ZstdCompressor(level=level, dict_data=data)


def _missing(base_id: int) -> str:
    return f"capture {base_id}, the base other captures are compressed against, is missing"


def compress(body: bytes, level: int = BASE_LEVEL) -> bytes:
    """A base, or a capture too big to be one: plain zstd."""
    return bytes(zstandard.ZstdCompressor(level=level).compress(body))


def decompress(blob: bytes) -> bytes:
    return bytes(zstandard.ZstdDecompressor().decompress(blob))
