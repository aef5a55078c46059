"""Content-Encoding, undone by us from the raw body, a bounded piece at a time.

httpx decodes each network chunk whole before handing it over, so one 64 KiB chunk of a gzip
"bomb" can become tens of megabytes in memory before any byte cap sees it. Here every
`decompress` call is given `max_length`, and what it could not yet use (`unconsumed_tail`) is fed
again, so no piece is ever larger than `CHUNK` and a caller counting pieces stops a bomb after at
most `CHUNK` bytes past its cap.

Codings (case-insensitive; `identity` entries are ignored):

    none, identity     the raw bytes as they come
    gzip, x-gzip       gzip; concatenated members are read in turn, anything else after the
                       last member is ignored (as httpx and browsers do)
    deflate            zlib-wrapped (RFC 1950) when the body starts with a valid zlib header,
                       raw deflate (RFC 1951) otherwise, as browsers accept both; bytes after
                       the end of the stream are ignored

Anything else (br, zstd, compress, or two codings stacked) is `UnsupportedEncoding`; corrupt or
cut-short compressed data is `DecodeFailure`. An empty body is empty whatever its coding.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

CHUNK = 64 * 1024  # the most one decompress call may produce
SUPPORTED = ("gzip", "deflate")
_ALIASES = {"x-gzip": "gzip"}
_GZIP_MAGIC = b"\x1f\x8b"


class DecodeFailure(Exception):
    """The body cannot be decoded; `reason` says why, naming the coding."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedEncoding(DecodeFailure):
    """A Content-Encoding we neither asked for nor can decode."""


class BodyDecoder:
    """The decoder for one response's Content-Encoding header value (None: no header).

    Raises `UnsupportedEncoding` at once, before any of the body is read.
    """

    def __init__(self, content_encoding: str | None, chunk: int = CHUNK) -> None:
        self.coding = _coding(content_encoding)
        self.chunk = chunk

    def decode(self, raw: Iterable[bytes]) -> Iterator[bytes]:
        """Decoded pieces of the raw body `raw`, each non-empty and, if compressed, at most
        `chunk` bytes; raw chunks are pulled only as they are needed."""
        if self.coding == "identity":
            yield from (data for data in raw if data)
            return
        try:
            if self.coding == "gzip":
                yield from _gunzip(raw, self.chunk)
            else:
                yield from _inflate(raw, self.chunk)
        except zlib.error as error:
            raise DecodeFailure(f"{self.coding}: {error}") from None


def _coding(value: str | None) -> str:
    codings = [c.strip().lower() for c in (value or "").split(",")]
    codings = [_ALIASES.get(c, c) for c in codings if c and c != "identity"]
    if not codings:
        return "identity"
    if len(codings) == 1 and codings[0] in SUPPORTED:
        return codings[0]
    what = "stacked codings" if len(codings) > 1 else "coding"
    raise UnsupportedEncoding(
        f"Content-Encoding {value!r}: {what} not supported (only {', '.join(SUPPORTED)})"
    )


def _drain(stream: zlib._Decompress, data: bytes, limit: int) -> Iterator[bytes]:
    """Feed `data` to `stream`, at most `limit` bytes of output per call, until all of it is
    used (or the stream ends) and nothing decoded is left waiting inside zlib."""
    while True:
        out = stream.decompress(data, limit)
        data = stream.unconsumed_tail
        if out:
            yield out
        if stream.eof or (not data and len(out) < limit):
            return


def _gunzip(raw: Iterable[bytes], limit: int) -> Iterator[bytes]:
    member: zlib._Decompress | None = None
    seen = False  # a member has started
    pending = b""  # after a member's end: too few bytes yet to tell whether another follows
    ignoring = False  # trailing bytes that are not another member
    for chunk in raw:
        data = pending + chunk
        pending = b""
        while data and not ignoring:
            if member is None:
                if seen:
                    if len(data) < len(_GZIP_MAGIC):
                        pending = data
                        break
                    if not data.startswith(_GZIP_MAGIC):
                        ignoring = True
                        break
                member = zlib.decompressobj(16 + zlib.MAX_WBITS)
                seen = True
            yield from _drain(member, data, limit)
            if not member.eof:
                break
            data = member.unused_data
            member = None
    if member is not None:
        raise DecodeFailure("gzip: compressed data ends early")


def _inflate(raw: Iterable[bytes], limit: int) -> Iterator[bytes]:
    stream: zlib._Decompress | None = None
    head = b""  # the first byte, until the second shows whether there is a zlib header
    for chunk in raw:
        data = chunk
        if stream is None:
            head += chunk
            if len(head) < 2:
                continue
            wbits = zlib.MAX_WBITS if _zlib_header(head) else -zlib.MAX_WBITS
            stream = zlib.decompressobj(wbits)
            data, head = head, b""
        if data and not stream.eof:
            yield from _drain(stream, data, limit)
    if head or (stream is not None and not stream.eof):
        raise DecodeFailure("deflate: compressed data ends early")


def _zlib_header(head: bytes) -> bool:
    """RFC 1950: method 8 (deflate), window at most 32 KiB, check bits, no preset dictionary."""
    cmf, flg = head[0], head[1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf << 8 | flg) % 31 == 0 and not flg & 0x20
