"""Compressing a capture against a base capture of its site: most of a page is the site's chrome.

Alone, zstd shrinks a briefing page ~3x: its markup, menus and scripts are new to it every time.
Pages of one site share that chrome, so a capture is compressed with the raw bytes of a *base*
capture of the same host as its dictionary (zstd raw-content dictionary), which leaves little
more than the page's own text. A base is stored with plain zstd, never with a dictionary, so
reading any capture needs at most one extra row.

`pack` picks the dictionary: of the host's few most recent bases, the one that compresses the
capture best, if that is at most `GOOD` of its size (or the capture is too small to be a useful
base); else the capture becomes a new base (the site was redesigned, or serves another kind of
page). Trying a few recent bases, not only the newest, keeps a host that serves two templates
from making every other capture a base, or compressing half of them poorly.

Prepared dictionaries are cached per `Archive`, by the base's sha256 (so a base row rolled back
and its id reused can never be mistaken for another), a bounded number at a time.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from dataclasses import dataclass, field

import zstandard

from worker.errors import ArchiveError

BASE_LEVEL = 19  # bases are few: spend the time once
LEVEL = 9  # a page against its base: ~0.3 ms, within 2% of level 19
GOOD = 0.25  # compressed/raw at or under which a base serves a capture
RECENT_BASES = 4  # how many of a host's newest bases are tried
MIN_BASE = 2048  # bytes: smaller captures never replace a host's bases (they would serve poorly)
CACHED = 8  # prepared dictionaries kept per Archive (~0.5 MiB each)

_BASES = """
SELECT id, sha256 FROM captures WHERE host = ? AND dictionary_id IS NULL ORDER BY id DESC LIMIT ?
"""


@dataclass
class _Prepared:
    """One base's raw bytes, ready to compress and decompress with."""

    data: zstandard.ZstdCompressionDict
    compressor: zstandard.ZstdCompressor
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
            row = conn.execute("SELECT body FROM captures WHERE id = ?", (base_id,)).fetchone()
            if row is None:
                raise ArchiveError(_missing(base_id))
            raw = zstandard.ZstdCompressionDict(
                decompress(row[0]), dict_type=zstandard.DICT_TYPE_RAWCONTENT
            )
            raw.precompute_compress(level=LEVEL)
            prepared = _Prepared(raw, zstandard.ZstdCompressor(level=LEVEL, dict_data=raw))
            self._prepared[sha256] = prepared
            while len(self._prepared) > self.size:
                self._prepared.popitem(last=False)
        self._prepared.move_to_end(sha256)
        return prepared

    def pack(self, conn: sqlite3.Connection, host: str, body: bytes) -> Packed:
        """`body` compressed against one of the host's recent bases, or as a new base."""
        best: Packed | None = None
        for base_id, sha256 in conn.execute(_BASES, (host, RECENT_BASES)).fetchall():
            blob = bytes(self._get(conn, base_id, sha256).compressor.compress(body))
            if best is None or len(blob) < len(best.blob):
                best = Packed(blob, base_id)
        if best is not None and (len(best.blob) <= GOOD * len(body) or len(body) < MIN_BASE):
            return best
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


def _missing(base_id: int) -> str:
    return f"capture {base_id}, the base other captures are compressed against, is missing"


def compress(body: bytes) -> bytes:
    """A base: plain zstd."""
    return bytes(zstandard.ZstdCompressor(level=BASE_LEVEL).compress(body))


def decompress(blob: bytes) -> bytes:
    return bytes(zstandard.ZstdDecompressor().decompress(blob))
