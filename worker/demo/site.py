"""A small web site on 127.0.0.1 that serves sample briefing pages like the real sites do.

It answers conditional GETs (ETag and Last-Modified, 304 when unchanged), serves a robots.txt,
and lets a caller replace a page while it runs, which is how the demo shows a ministry's edit
becoming a new version. Tests and benchmarks use it as their stand-in for mid.ru.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

ROBOTS = b"User-agent: *\nAllow: /\n"
# Where `briefings demo --serve` keeps the sample site, and the address config/demo.toml names, so
# that `briefings --config config/demo.toml run` can archive it.
DEMO_PORT = 8400
DEMO_BASE_URL = f"http://127.0.0.1:{DEMO_PORT}"


@dataclass(frozen=True)
class Resource:
    body: bytes
    content_type: str
    etag: str
    last_modified: str


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, the client's delayed
    # ACK holds the second back ~40 ms, which would make every local fetch look slow.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        resource = self.server.site.resource(self.path)
        if resource is None:
            self._reply(404, b"not found", "text/plain")
            return
        if self.headers.get("If-None-Match") == resource.etag:
            self._reply(304, b"", None, resource)
            return
        self._reply(200, resource.body, resource.content_type, resource)

    def _reply(
        self, status: int, body: bytes, content_type: str | None, resource: Resource | None = None
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if resource is not None:
            self.send_header("ETag", resource.etag)
            self.send_header("Last-Modified", resource.last_modified)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the demo prints its own story."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: SampleSite) -> None:
        super().__init__((site.address, site.requested_port), _Handler)
        self.site = site


class SampleSite:
    """`with SampleSite(pages) as site:` serves `pages` (path → HTML bytes) at `site.base_url`."""

    def __init__(
        self, pages: dict[str, bytes], *, port: int = 0, address: str = "127.0.0.1"
    ) -> None:
        self.requested_port = port
        self.address = address  # 127.0.0.2, .3...: other hosts on the loopback
        self._lock = threading.Lock()
        self._resources: dict[str, Resource] = {"/robots.txt": self._resource(ROBOTS, "text/plain")}
        for path, body in pages.items():
            self.set_page(path, body)
        self._server = _Server(self)
        self.port = self._server.server_address[1]
        self.base_url = f"http://{address}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @staticmethod
    def _resource(body: bytes, content_type: str) -> Resource:
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        return Resource(body, content_type, etag, formatdate(usegmt=True))

    def set_page(
        self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8"
    ) -> None:
        """Serve `body` at `path` from now on (a new ETag when the bytes changed)."""
        with self._lock:
            self._resources[path] = self._resource(body, content_type)

    def page(self, path: str) -> bytes:
        with self._lock:
            return self._resources[path].body

    def resource(self, path: str) -> Resource | None:
        with self._lock:
            return self._resources.get(path) or self._resources.get(path.split("#", 1)[0])

    def url(self, path: str) -> str:
        return self.base_url + path

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SampleSite:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
