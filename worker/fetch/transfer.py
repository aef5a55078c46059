"""One HTTP exchange, bounded: the page's deadline, every socket operation under it, the body.

    Deadline         one total time per page, across all of its requests
    DeadlineBackend  clamps every connect, handshake, read and write to the time left
    get_once         one request and its response, capped, decoded, checked
"""

from __future__ import annotations

import re
import ssl
import threading
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpcore
import httpx

from worker.errors import (
    BadRedirect,
    DeadlineExceeded,
    NotHTML,
    ProtocolViolation,
    ResponseTooLarge,
    TransportError,
)
from worker.fetch.decoding import BodyDecoder, DecodeFailure, UnsupportedEncoding

# One total time per page: `politeness.deadline` across all of a page's requests.
#
# A page's fetch may take several requests: its robots.txt, redirects, retries of transient
# failures, each with a connect, headers and a body. The deadline bounds them all together, from
# the moment the fetch starts: every network operation gets at most the time that is left (so a
# stalled server ends the fetch at the deadline, not after `timeout` per retry), a retry whose
# backoff or `Retry-After` would end past the deadline is not waited for, and the body is checked
# after every chunk. Only the per-host pacing wait is not counted: it is our politeness, not the
# server's slowness, and a long Crawl-delay must not eat a page's time.

class Deadline:
    """The time left for one page's fetch. Not thread-safe: one per `Fetcher.fetch` call."""

    def __init__(self, url: str, seconds: float, clock: Callable[[], float]) -> None:
        self.url = url
        self.seconds = seconds
        self._clock = clock
        self._ends = clock() + seconds

    def remaining(self) -> float:
        return self._ends - self._clock()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def pause(self, wait: Callable[[], object]) -> None:
        """Run `wait` (the pacing wait) without counting its time against the deadline."""
        started = self._clock()
        try:
            wait()
        finally:
            self._ends += self._clock() - started

    def error(self, detail: str = "", *, at: str | None = None) -> DeadlineExceeded:
        """The error naming the page's URL, and `at` (robots.txt, a redirect) when it differs."""
        extra = f"; {detail}" if detail else ""
        where = f" (at {at})" if at and at != self.url else ""
        return DeadlineExceeded(
            self.url,
            f"no complete response within the deadline of {self.seconds:g} s{where}{extra}",
        )

    def sleep(self, wait: Callable[[float], None], seconds: float) -> None:
        """`wait(seconds)`, unless the deadline comes first: then fail now instead of waiting."""
        if seconds >= self.remaining():
            raise self.error(f"a retry in {seconds:g} s would end past it")
        wait(seconds)


# Every socket operation of a fetch bounded by the time its page has left.
#
# httpx gives each network operation its own timeout, and h11 reads the status line and headers
# in as many reads as the server cares to send: a server dripping one header byte a second would
# never time out, and we would not get control back to check the deadline until the headers were
# complete. So the HTTP client's connections go through `DeadlineBackend`, which clamps the
# timeout of every connect, TLS handshake, read and write to what the current fetch has left
# (`bounded_by`, set per thread by `get_once`). A read past the deadline is a timeout at once.

_MIN_TIMEOUT = 0.001  # a deadline already passed: let the socket time out at once
_current = threading.local()


@contextmanager
def bounded_by(remaining: Callable[[], float]) -> Iterator[None]:
    """Within the block, socket operations of this thread last at most `remaining()` seconds."""
    previous = getattr(_current, "remaining", None)
    _current.remaining = remaining
    try:
        yield
    finally:
        _current.remaining = previous


def _clamp(timeout: float | None) -> float | None:
    remaining: Callable[[], float] | None = getattr(_current, "remaining", None)
    if remaining is None:
        return timeout
    left = max(_MIN_TIMEOUT, remaining())
    return left if timeout is None else min(timeout, left)


class _BoundedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _BoundedStream(self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout)))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend with every operation's timeout clamped (see the module)."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _clamp(timeout), local_address, socket_options)
        return _BoundedStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        return _BoundedStream(
            self._inner.connect_unix_socket(path, _clamp(timeout), socket_options)
        )

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


# One GET attempt, streamed and bounded: a byte cap on the decoded body and a total deadline.
#
# The body is read raw (`iter_raw`, so httpx decodes nothing) and its Content-Encoding undone by
# `worker.fetch.decoding` at most 64 KiB at a time, so the cap stops a gzip or deflate bomb before
# it inflates in memory; a coding we cannot decode is a `TransportError` before the body is read.
#
# httpx's timeouts bound each network operation, not the whole response, so a server that drips a
# byte at a time would never time out; the page's `Deadline` (above) is checked
# after the headers and after every chunk, and every network operation is given at most the time
# the deadline has left, so one silent read cannot outlast it.
#
# A response that breaks HTTP (a malformed status line or header, a bad Content-Length, headers
# too large) is a `ProtocolViolation` at once: sending the same request again gets the same
# answer. A connection closed early is `Transient`.

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
