"""Every socket operation of a fetch bounded by the time its page has left.

httpx gives each network operation its own timeout, and h11 reads the status line and headers
in as many reads as the server cares to send: a server dripping one header byte a second would
never time out, and we would not get control back to check the deadline until the headers were
complete. So the HTTP client's connections go through `DeadlineBackend`, which clamps the
timeout of every connect, TLS handshake, read and write to what the current fetch has left
(`bounded_by`, set per thread by `get_once`). A read past the deadline is a timeout at once.
"""

from __future__ import annotations

import ssl
import threading
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpcore

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
