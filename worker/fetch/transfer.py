"""One GET attempt, streamed and bounded: a byte cap on the decoded body and a total deadline.

The body is read raw (`iter_raw`, so httpx decodes nothing) and its Content-Encoding undone by
`worker.fetch.decoding` at most 64 KiB at a time, so the cap stops a gzip or deflate bomb before
it inflates in memory; a coding we cannot decode is a `TransportError` before the body is read.

httpx's timeouts bound each network operation, not the whole response, so a server that drips a
byte at a time would never time out; the page's `Deadline` (`worker.fetch.deadline`) is checked
after the headers and after every chunk, and every network operation is given at most the time
the deadline has left, so one silent read cannot outlast it.

A response that breaks HTTP (a malformed status line or header, a bad Content-Length, headers
too large) is a `ProtocolViolation` at once: sending the same request again gets the same
answer. A connection closed early is `Transient`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from worker.errors import BadRedirect, NotHTML, ProtocolViolation, ResponseTooLarge, TransportError
from worker.fetch.deadline import Deadline
from worker.fetch.decoding import BodyDecoder, DecodeFailure, UnsupportedEncoding
from worker.fetch.guard import bounded_by

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_SECONDS = re.compile(r"^\s*(\d+)\s*$")
_DRAIN_LIMIT = 64 * 1024
# What httpx says when a connection ended early: worth another attempt, unlike other violations.
_CLOSED_EARLY = ("disconnected", "peer closed", "without sending", "connection closed")


@dataclass(frozen=True)
class Hop:
    """The URL requested now, and the URL the caller asked for, which every error names."""

    origin: str
    url: str

    def detail(self, text: str) -> str:
        return text if self.url == self.origin else f"{text} (at {self.url})"


@dataclass(frozen=True)
class Limits:
    timeout: float  # seconds for one network operation (also bounded by the page's deadline)
    max_bytes: int  # decoded body
    truncate: bool = False  # keep the first `max_bytes` instead of refusing (robots.txt)


@dataclass(frozen=True)
class Response:
    """A response whose body was read only for 2xx statuses; header names are lower-case."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes


class Transient(Exception):
    """A failure worth another attempt: connect error, timeout, broken connection, 5xx or 429.

    Internal to the fetch stage; the fetcher turns the last one into a `FetchError`.
    """

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` value (delay-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    seconds = _SECONDS.match(value)
    if seconds:
        return float(seconds.group(1))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def require_html(hop: Hop, response: httpx.Response) -> None:
    """Refuse a declared non-HTML type before its body is read; a missing type is allowed."""
    declared = response.headers.get("content-type", "")
    mime = declared.split(";", 1)[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        raise NotHTML(hop.origin, hop.detail(f"Content-Type {mime} is not HTML"))


def get_once(
    client: httpx.Client,
    hop: Hop,
    headers: dict[str, str],
    limits: Limits,
    deadline: Deadline,
    check: Callable[[Hop, httpx.Response], None] | None = None,
) -> Response:
    """One GET of `hop.url`. Raises `Transient` for what a retry may fix, `FetchError` otherwise."""
    left = deadline.remaining()
    if left <= 0:
        raise _deadline(hop, deadline)
    timeout = httpx.Timeout(min(limits.timeout, left))
    try:
        with (
            bounded_by(deadline.remaining),
            client.stream("GET", hop.url, headers=headers, timeout=timeout) as response,
        ):
            _check_deadline(hop, deadline)
            status = response.status_code
            if status == 429 or status >= 500:
                retry_after = parse_retry_after(
                    response.headers.get("retry-after"), datetime.now(UTC)
                )
                _drain(response)
                raise Transient(f"HTTP {status}", status=status, retry_after=retry_after)
            body = b""
            if 200 <= status < 300:
                if check is not None:
                    check(hop, response)
                body = _read_body(hop, response, limits, deadline)
            else:
                _drain(response)
            return Response(
                url=hop.url,
                status=status,
                headers={k.lower(): v for k, v in response.headers.items()},
                body=body,
            )
    except httpx.TimeoutException as error:
        # With the operation timeout capped by the time left, one timed-out operation used it up.
        if left <= limits.timeout or deadline.expired():
            raise _deadline(hop, deadline) from None
        raise Transient(_reason("timed out", error)) from None
    except httpx.RemoteProtocolError as error:
        if any(words in str(error).lower() for words in _CLOSED_EARLY):
            raise Transient(_reason("connection failed", error)) from None
        if "location header" in str(error).lower():
            # httpx reads a redirect's Location even when it does not follow it.
            raise BadRedirect(hop.origin, hop.detail(_reason("unusable Location", error))) from None
        raise ProtocolViolation(
            hop.origin, hop.detail(_reason("the server broke HTTP", error))
        ) from None
    except httpx.NetworkError as error:
        raise Transient(_reason("connection failed", error)) from None
    except UnicodeError as error:
        # idna's errors for a Location such as `http://xn--.com/`, which httpx lets through.
        raise BadRedirect(hop.origin, hop.detail(_reason("unusable Location", error))) from None
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise TransportError(hop.origin, hop.detail(_reason("request failed", error))) from None


def _drain(response: httpx.Response) -> None:
    """Read and drop a small unwanted body (a 304's, an error page's) so the connection goes
    back to the pool: without this, every re-check of an unchanged page costs a new TCP (and
    TLS) connection. A large body is not worth reading; the connection is dropped instead."""
    read = 0
    with suppress(httpx.StreamConsumed):  # a transport that hands over a body already read
        for chunk in response.iter_raw():
            read += len(chunk)
            if read > _DRAIN_LIMIT:
                return


def _read_body(
    hop: Hop,
    response: httpx.Response,
    limits: Limits,
    deadline: Deadline,
) -> bytes:
    try:
        decoder = BodyDecoder(response.headers.get("content-encoding"))
    except UnsupportedEncoding as error:
        raise TransportError(hop.origin, hop.detail(error.reason)) from None
    declared = response.headers.get("content-length", "").strip()
    if not limits.truncate and declared.isdigit() and len(declared) > 18:
        declared = "9" * 19  # a number no cap reaches; not turned into an int of any size
    if not limits.truncate and declared.isdigit() and int(declared) > limits.max_bytes:
        raise ResponseTooLarge(
            hop.origin,
            hop.detail(f"Content-Length {declared} is over the cap of {limits.max_bytes} bytes"),
        )
    chunks: list[bytes] = []
    size = 0
    # Pieces are decoded bytes, at most 64 KiB each, so a body inflating past the cap is stopped
    # with no more than that decoded beyond it.
    try:
        for piece in decoder.decode(_raw(hop, response, deadline)):
            size += len(piece)
            if size > limits.max_bytes:
                if not limits.truncate:
                    raise ResponseTooLarge(
                        hop.origin, hop.detail(f"body is over the cap of {limits.max_bytes} bytes")
                    )
                chunks.append(piece[: len(piece) - (size - limits.max_bytes)])
                break
            chunks.append(piece)
    except DecodeFailure as error:
        raise TransportError(
            hop.origin, hop.detail(f"cannot decode body ({error.reason})")
        ) from None
    return b"".join(chunks)


def _raw(hop: Hop, response: httpx.Response, deadline: Deadline) -> Iterator[bytes]:
    """The body as sent (Content-Encoding not undone), the deadline checked after every chunk."""
    for chunk in response.iter_raw():
        _check_deadline(hop, deadline)
        yield chunk


def _check_deadline(hop: Hop, deadline: Deadline) -> None:
    if deadline.expired():
        raise _deadline(hop, deadline)


def _deadline(hop: Hop, deadline: Deadline) -> Exception:
    return deadline.error(at=hop.url)


def _reason(what: str, error: Exception) -> str:
    message = " ".join(str(error).split())
    kind = type(error).__name__
    return f"{what} ({kind}: {message})" if message else f"{what} ({kind})"
