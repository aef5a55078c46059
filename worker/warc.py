"""WARC export (`briefings export --format warc`): every stored capture as a WARC 1.1 record.

Each capture becomes one `response` record holding the status, headers and bytes the server
sent, with `WARC-Target-URI`, `WARC-Date` (when it was fetched) and a payload digest that
warcio computes, so warcio's and pywb's tools read the file. A `warcinfo` record opens it.

The fetcher keeps the body as it was after content decoding (httpx undoes gzip/br), so the
`Content-Encoding` and `Transfer-Encoding` headers the server sent no longer describe the bytes:
they are kept under an `X-Archive-Orig-` name (as pywb does when it rewrites a header) and
`Content-Length` is set to the stored length. Without that a replay tool would try to gunzip
plain HTML.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from http import HTTPStatus
from typing import BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from worker.archive.captures import StoredCapture

WARC_VERSION = "1.1"
# Headers that describe the transfer, not the bytes kept: renamed, never replayed.
_TRANSFER_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
_RENAMED_PREFIX = "X-Archive-Orig-"


def write_warc(
    stream: BinaryIO, captures: Iterable[StoredCapture], *, gzip: bool = True, software: str
) -> int:
    """Write a `warcinfo` record, then one `response` record per capture; the count written."""
    writer = WARCWriter(stream, gzip=gzip, warc_version=WARC_VERSION)
    info = writer.create_warcinfo_record(
        "briefings-export.warc.gz" if gzip else "briefings-export.warc",
        {"software": software, "format": f"WARC File Format {WARC_VERSION}"},
    )
    writer.write_record(info)
    written = 0
    for capture in captures:
        writer.write_record(_response_record(writer, capture))
        written += 1
    return written


def http_headers(capture: StoredCapture) -> StatusAndHeaders:
    """The status line and headers of a capture as a replay tool must see them."""
    headers: list[tuple[str, str]] = []
    for name, value in sorted(capture.headers.items()):
        if name in _TRANSFER_HEADERS:
            if name != "content-length":
                headers.append((_RENAMED_PREFIX + _title(name), value))
            continue
        headers.append((_title(name), value))
    headers.append(("Content-Length", str(len(capture.body))))
    return StatusAndHeaders(f"{capture.status} {_reason(capture.status)}", headers, "HTTP/1.1")


def _response_record(writer: WARCWriter, capture: StoredCapture) -> object:
    return writer.create_warc_record(
        capture.url,
        "response",
        payload=io.BytesIO(capture.body),
        length=len(capture.body),
        http_headers=http_headers(capture),
        warc_headers_dict={"WARC-Date": _warc_date(capture.fetched_at)},
    )


def _warc_date(fetched_at: str) -> str:
    """The archive's `2024-05-29T10:00:00+00:00` as WARC's `2024-05-29T10:00:00Z`."""
    return fetched_at.replace("+00:00", "Z")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _title(name: str) -> str:
    """`content-type` as `Content-Type`: the archive keeps header names lower-case."""
    return "-".join(part.capitalize() for part in name.split("-"))
