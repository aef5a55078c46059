"""A version's record, stored as zstd-compressed JSON with its own capture as the dictionary.

A record is made from its capture: nearly all of its text is in the capture's raw bytes. So
`versions.record` holds the record's JSON (`RECORD.md`, UTF-8) compressed by zstd with those
raw bytes as a raw-content dictionary, which leaves little more than the JSON's own shape: a
record costs ~0.04 of its page's HTML instead of ~0.39 as plain JSON (~0.15 as plain zstd).
Reading a record therefore reads its capture first (`versions.read_record`, well under a
millisecond), and checks it against the version's identity hash.
A version without a capture (none are written today) is plain zstd.

The dictionary is the capture's raw bytes exactly as stored, never anything derived from them
(decoded text, a parse), so no later change to the worker can make a stored record unreadable.
"""

from __future__ import annotations

import json

import zstandard

from worker.record import Record

LEVEL = 3  # ~0.1 ms a record; level 19 saves 15% of a small number for 25x the time


def to_json(record: Record) -> bytes:
    """The record's canonical JSON: the bytes that are compressed, UTF-8, no spaces."""
    return json.dumps(record.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()


def pack(record: Record, capture_body: bytes | None) -> bytes:
    """The record's JSON, zstd-compressed against the raw bytes of the capture it came from."""
    return _compressor(capture_body).compress(to_json(record))


class UnreadableRecord(Exception):
    """Stored bytes that do not decompress, with the dictionary given, to a record."""


def unpack(blob: bytes, capture_body: bytes | None) -> Record:
    """The record stored as `blob`, given the raw bytes of its capture."""
    try:
        data = _decompressor(capture_body).decompress(blob)
        return Record.from_dict(json.loads(data))
    except (zstandard.ZstdError, ValueError, KeyError, TypeError) as error:
        raise UnreadableRecord(str(error)) from None


def _compressor(capture_body: bytes | None) -> zstandard.ZstdCompressor:
    # A checksum (4 bytes) makes damage to a stored record an error, never a different record.
    if capture_body is None:
        return zstandard.ZstdCompressor(level=LEVEL, write_checksum=True)
    return zstandard.ZstdCompressor(
        level=LEVEL, dict_data=_dictionary(capture_body), write_checksum=True
    )


def _decompressor(capture_body: bytes | None) -> zstandard.ZstdDecompressor:
    if capture_body is None:
        return zstandard.ZstdDecompressor()
    return zstandard.ZstdDecompressor(dict_data=_dictionary(capture_body))


def _dictionary(capture_body: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(capture_body, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
