"""A real HTTP server on 127.0.0.1 (or .2, .3...) for tests: scripted replies per path, and a log
of requests with their arrival times.

    with LocalServer() as server:
        server.route("/page", Reply(200, b"<html>...</html>", {"Content-Type": "text/html"}))
        server.route("/flaky", Reply(503), Reply(200, b"ok"))   # in order, then the last again
        server.redirect("/old", server.url("/page"))
        fetch(server.url("/page"))
        assert server.paths() == ["/page"]

Unknown paths answer 404. Waits (`delay`, `drip`) end early when the server closes, so a test
never waits for a handler thread.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

Headers = Mapping[str, str] | Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: Headers = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line is sent
    drip: float | None = None  # after the headers, one byte every `drip` seconds, forever
    content_length: bool = True  # False: no Content-Length, the body ends when the socket closes

    def header_items(self) -> list[tuple[str, str]]:
        items = self.headers.items() if isinstance(self.headers, Mapping) else self.headers
        return list(items)


@dataclass(frozen=True)
class Seen:
    """One request the server received; header names are lower-case."""

    path: str
    headers: dict[str, str]
    at: float = 0.0  # time.monotonic() when the request arrived


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: LocalServer, address: str) -> None:
        self.owner = owner
        super().__init__((address, 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up (a deadline, a cap, a body left unread) is not a server fault.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        owner = self.server.owner
        reply = owner._take(self.path, {k.lower(): v for k, v in self.headers.items()})
        if reply.delay and owner._stopped.wait(reply.delay):
            return
        try:
            self._send(reply)
        except OSError:  # the client went away (deadline, cap); nothing left to answer
            self.close_connection = True

    def _send(self, reply: Reply) -> None:
        owner = self.server.owner
        self.send_response(reply.status)
        names = {name.lower() for name, _ in reply.header_items()}
        for name, value in reply.header_items():
            self.send_header(name, value)
        if reply.drip is not None or not reply.content_length:
            self.send_header("Connection", "close")
            self.close_connection = True
        elif "content-length" not in names:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)
        self.wfile.flush()
        if reply.drip is not None:
            while not owner._stopped.wait(reply.drip):
                self.wfile.write(b"x")
                self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        pass


class LocalServer:
    def __init__(self, address: str = "127.0.0.1") -> None:
        """A server on `address` (127.0.0.2, 127.0.0.3... are other hosts on the loopback)."""
        self.address = address
        self._lock = threading.Lock()
        self._routes: dict[str, list[Reply]] = {}
        self._stopped = threading.Event()
        self.requests: list[Seen] = []
        self._server = _Server(self, address)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def url(self, path: str = "/", host: str | None = None) -> str:
        """This server's URL; `host="localhost"` gives a second host name for the same server."""
        return f"http://{host or self.address}:{self.port}{path}"

    def route(self, path: str, *replies: Reply) -> None:
        """Answer `path` with `replies` in order, then keep answering with the last one."""
        with self._lock:
            self._routes[path] = list(replies) or [Reply()]

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.route(path, Reply(status, headers={"Location": location}))

    def paths(self) -> list[str]:
        with self._lock:
            return [seen.path for seen in self.requests]

    def _take(self, path: str, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(Seen(path, headers, time.monotonic()))
            replies = self._routes.get(path) or self._routes.get(path.split("?", 1)[0])
            if not replies:
                return Reply(404, b"not found")
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def close(self) -> None:
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
