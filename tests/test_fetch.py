"""Stage 2, fetch: against real local servers (and MockTransport where a server cannot help)."""

from __future__ import annotations

import gzip
import itertools
import re
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from httpserver import LocalServer, Reply
from hypothesis import given
from hypothesis import strategies as st

from worker.config import Politeness
from worker.errors import (
    BadRedirect,
    DeadlineExceeded,
    FetchError,
    HostNotAllowed,
    HTTPStatusError,
    Interrupted,
    NotHTML,
    ResponseTooLarge,
    RobotsDisallowed,
    TransportError,
)
from worker.fetch import Fetcher, make_client
from worker.fetch.decoding import CHUNK, BodyDecoder, DecodeFailure, UnsupportedEncoding
from worker.fetch.politeness import UNREACHABLE_TTL, HostPacer
from worker.fetch.transfer import parse_retry_after

HTML = {"Content-Type": "text/html; charset=utf-8"}
PAGE = Reply(200, b"<html><body><p>Good afternoon.</p></body></html>", HTML)
BASE = Politeness(
    user_agent="briefings-test/1.0", min_interval=0.0, timeout=5.0, deadline=10.0, retries=3
)


@dataclass
class FakeTime:
    """A clock that moves only when slept on, so pacing and waits are asserted, never timed."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


MakeFetcher = Callable[..., Fetcher]


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as local:
        yield local


@pytest.fixture
def other() -> Iterator[LocalServer]:
    with LocalServer() as local:
        yield local


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def fetcher(fake: FakeTime) -> Iterator[MakeFetcher]:
    """`fetcher(**politeness_changes)`; `transport=` for MockTransport; `real_time=True`; `stop=`."""
    clients: list[httpx.Client] = []

    def make(
        *,
        transport: httpx.BaseTransport | None = None,
        real_time: bool = False,
        stop: threading.Event | None = None,
        **changes: object,
    ) -> Fetcher:
        politeness = replace(BASE, **changes)  # type: ignore[arg-type]
        client = make_client(politeness, transport)
        clients.append(client)
        if real_time:
            return Fetcher(client, politeness, stop=stop)
        return Fetcher(client, politeness, stop=stop, sleep=fake.sleep, clock=fake.clock)

    yield make
    for client in clients:
        client.close()


def streamed(status: int, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """A MockTransport reply as a server sends one: a raw stream. (`content=` would make httpx
    read and decode the body at once, leaving nothing for `iter_raw`.)"""
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


def one_line_naming(error: FetchError, url: str) -> str:
    message = str(error)
    assert "\n" not in message
    assert message.startswith(url)
    assert error.url == url
    return message


# --- the client -------------------------------------------------------------------------------


def test_request_headers(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/page", PAGE)
    fetcher().fetch(server.url("/page"))
    robots, page = server.requests
    assert robots.path == "/robots.txt"
    for seen in (robots, page):
        assert seen.headers["accept-encoding"] == "gzip, deflate"
        assert seen.headers["user-agent"] == "briefings-test/1.0"
    assert page.headers["accept"] == "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
    assert "if-none-match" not in page.headers


def test_make_client_settings() -> None:
    politeness = replace(BASE, timeout=7.0)
    with make_client(politeness) as client:
        assert client.follow_redirects is False
        assert client.timeout == httpx.Timeout(7.0)
        assert client.headers["accept-encoding"] == "gzip, deflate"


# --- pages and charsets -----------------------------------------------------------------------


def test_fetch_returns_page(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/page", Reply(200, PAGE.body, {"Content-Type": "text/html", "ETag": '"v1"'}))
    page = fetcher().fetch(server.url("/page"))
    assert page.status == 200
    assert page.url == server.url("/page")
    assert page.body == PAGE.body
    assert "Good afternoon." in page.text
    assert page.headers["etag"] == '"v1"'
    assert page.fetched_at is not None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", page.fetched_at)


def test_windows_1251_body_is_decoded(server: LocalServer, fetcher: MakeFetcher) -> None:
    text = "<html><body><p>Захарова: Добрый день, коллеги.</p></body></html>"
    server.route(
        "/ru",
        Reply(200, text.encode("cp1251"), {"Content-Type": "text/html; charset=windows-1251"}),
    )
    page = fetcher().fetch(server.url("/ru"))
    assert page.encoding == "cp1251"
    assert "Захарова: Добрый день, коллеги." in page.text


@pytest.mark.parametrize("content_type", ["application/pdf", "text/plain; charset=utf-8"])
def test_non_html_is_refused(server: LocalServer, fetcher: MakeFetcher, content_type: str) -> None:
    server.route("/file", Reply(200, b"%PDF-1.7", {"Content-Type": content_type}))
    with pytest.raises(NotHTML) as caught:
        fetcher().fetch(server.url("/file"))
    assert content_type.split(";")[0] in one_line_naming(caught.value, server.url("/file"))


@pytest.mark.parametrize("headers", [{}, {"Content-Type": "application/xhtml+xml"}])
def test_html_or_undeclared_is_accepted(
    server: LocalServer, fetcher: MakeFetcher, headers: dict[str, str]
) -> None:
    server.route("/page", Reply(200, PAGE.body, headers))
    assert fetcher().fetch(server.url("/page")).body == PAGE.body


# --- robots.txt -------------------------------------------------------------------------------


def test_robots_disallow(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/robots.txt", Reply(200, b"User-agent: briefings-test\nDisallow: /private\n"))
    server.route("/private/page", PAGE)
    server.route("/public", PAGE)
    fetch = fetcher()
    with pytest.raises(RobotsDisallowed) as caught:
        fetch.fetch(server.url("/private/page"))
    one_line_naming(caught.value, server.url("/private/page"))
    assert fetch.fetch(server.url("/public")).status == 200
    # robots.txt is read once per host, and the disallowed page is never requested.
    assert server.paths() == ["/robots.txt", "/public"]


def test_robots_crawl_delay_raises_the_interval(
    server: LocalServer, fetcher: MakeFetcher, fake: FakeTime
) -> None:
    server.route("/robots.txt", Reply(200, b"User-agent: *\nCrawl-delay: 5\n"))
    server.route("/page", PAGE)
    fetch = fetcher(min_interval=1.0)
    fetch.fetch(server.url("/page"))
    fetch.fetch(server.url("/page"))
    # robots.txt at t=0 (min_interval 1 s applies), then each page 5 s after the previous start.
    assert fake.sleeps == [5.0, 5.0]


def test_a_crawl_delay_over_the_maximum_leaves_the_host_alone(
    server: LocalServer, fetcher: MakeFetcher, fake: FakeTime
) -> None:
    server.route("/robots.txt", Reply(200, b"User-agent: *\nCrawl-delay: 3600\n"))
    server.route("/page", PAGE)
    with pytest.raises(RobotsDisallowed) as caught:
        fetcher(max_crawl_delay=600.0).fetch(server.url("/page"))
    message = one_line_naming(caught.value, server.url("/page"))
    assert "Crawl-delay of 3600 s, over politeness.max_crawl_delay (600 s)" in message
    assert server.paths() == ["/robots.txt"] and fake.sleeps == []
    assert fetcher(max_crawl_delay=3600.0).fetch(server.url("/page")).status == 200


@pytest.mark.parametrize("status", [404, 410])
def test_missing_robots_allows_all(server: LocalServer, fetcher: MakeFetcher, status: int) -> None:
    server.route("/robots.txt", Reply(status))
    server.route("/page", PAGE)
    assert fetcher().fetch(server.url("/page")).status == 200


@pytest.mark.parametrize("status", [401, 403])
def test_forbidden_robots_disallows_all(
    server: LocalServer, fetcher: MakeFetcher, status: int
) -> None:
    server.route("/robots.txt", Reply(status))
    server.route("/page", PAGE)
    with pytest.raises(RobotsDisallowed):
        fetcher().fetch(server.url("/page"))
    assert server.paths() == ["/robots.txt"]


def test_unreachable_robots_disallows_for_a_while(
    server: LocalServer, fetcher: MakeFetcher, fake: FakeTime
) -> None:
    server.route("/robots.txt", Reply(503))
    server.route("/page", PAGE)
    fetch = fetcher(retries=1)
    with pytest.raises(RobotsDisallowed) as caught:
        fetch.fetch(server.url("/page"))
    assert "robots.txt unreachable" in one_line_naming(caught.value, server.url("/page"))
    with pytest.raises(RobotsDisallowed):
        fetch.fetch(server.url("/page"))
    assert server.paths() == ["/robots.txt", "/robots.txt"]  # one try and one retry, then cached
    server.route("/robots.txt", Reply(404))
    fake.now += UNREACHABLE_TTL + 1
    assert fetch.fetch(server.url("/page")).status == 200


def test_robots_can_be_ignored(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /\n"))
    server.route("/page", PAGE)
    assert fetcher(respect_robots=False).fetch(server.url("/page")).status == 200
    assert server.paths() == ["/page"]


def test_robots_redirect_within_host_is_followed(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.redirect("/robots.txt", "/real-robots.txt", status=301)
    server.route("/real-robots.txt", Reply(200, b"User-agent: *\nDisallow: /page\n"))
    server.route("/page", PAGE)
    with pytest.raises(RobotsDisallowed):
        fetcher().fetch(server.url("/page"))


def test_robots_redirect_off_the_allowed_hosts_counts_as_missing(
    server: LocalServer, other: LocalServer, fetcher: MakeFetcher
) -> None:
    server.redirect("/robots.txt", other.url("/robots.txt", host="localhost"))
    other.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /\n"))
    server.route("/page", PAGE)
    assert fetcher().fetch(server.url("/page"), allowed_hosts=["127.0.0.1"]).status == 200
    assert other.paths() == []


def test_slow_robots_counts_as_unreachable(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/robots.txt", Reply(200, b"", delay=30.0))
    server.route("/page", PAGE)
    with pytest.raises(RobotsDisallowed) as caught:
        fetcher(deadline=0.2).fetch(server.url("/page"))
    assert "robots.txt unreachable" in one_line_naming(caught.value, server.url("/page"))
    assert server.paths() == ["/robots.txt"]


# --- pacing -----------------------------------------------------------------------------------


def test_pacing_per_host(server: LocalServer, fetcher: MakeFetcher, fake: FakeTime) -> None:
    server.route("/page", PAGE)
    fetch = fetcher(min_interval=2.0, respect_robots=False)
    for _ in range(3):
        fetch.fetch(server.url("/page"))
    assert fake.sleeps == [2.0, 2.0]
    # Another host name is another host: no wait.
    fetch.fetch(server.url("/page", host="localhost"))
    assert fake.sleeps == [2.0, 2.0]


def test_no_pacing_with_zero_interval(
    server: LocalServer, fetcher: MakeFetcher, fake: FakeTime
) -> None:
    server.route("/page", PAGE)
    fetch = fetcher(min_interval=0.0)
    for _ in range(3):
        fetch.fetch(server.url("/page"))
    assert fake.sleeps == []


def test_pacer_is_thread_safe() -> None:
    lock = threading.Lock()
    fake = FakeTime()
    starts: list[float] = []

    def sleep(seconds: float) -> None:
        with lock:
            fake.sleep(seconds)

    pacer = HostPacer(3.0, sleep, fake.clock)

    def worker() -> None:
        pacer.wait("example.org")
        starts.append(fake.clock())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    starts.sort()
    assert len(starts) == 8
    assert all(later - earlier >= 3.0 for earlier, later in itertools.pairwise(starts))


def test_www_and_the_bare_name_are_paced_as_one_server() -> None:
    fake = FakeTime()
    pacer = HostPacer(2.0, fake.sleep, fake.clock)
    pacer.wait("www.mid.ru")
    pacer.wait("mid.ru")
    pacer.wait("archive.mid.ru")  # another name under it is another server
    assert fake.sleeps == [2.0]


def test_a_crawl_delay_of_either_name_paces_the_server() -> None:
    fake = FakeTime()
    pacer = HostPacer(1.0, fake.sleep, fake.clock)
    pacer.set_crawl_delay("www.mid.ru", 5.0)
    pacer.set_crawl_delay("mid.ru", 0.0)  # the bare name's robots.txt has none
    assert pacer.interval("mid.ru") == pacer.interval("www.mid.ru") == 5.0


def test_a_hold_keeps_every_request_from_the_host_and_only_that_host() -> None:
    fake = FakeTime()
    pacer = HostPacer(0.0, fake.sleep, fake.clock)
    pacer.hold("example.org", 30.0)
    pacer.wait("other.example")
    assert fake.sleeps == []
    pacer.wait("www.example.org")
    assert fake.sleeps == [30.0]
    pacer.wait("example.org")  # the hold is over
    assert fake.sleeps == [30.0]


def test_retry_after_holds_the_other_pages_of_the_host(
    server: LocalServer, fetcher: MakeFetcher, fake: FakeTime
) -> None:
    """A `Retry-After` speaks for the server: the next page waits too, not only the retry."""
    server.route("/a", Reply(503, headers={"Retry-After": "7"}))
    server.route("/b", PAGE)
    fetch = fetcher(retries=0, respect_robots=False)
    with pytest.raises(HTTPStatusError):
        fetch.fetch(server.url("/a"))
    assert fake.sleeps == []
    assert fetch.fetch(server.url("/b")).status == 200
    assert fake.sleeps == [7.0]
    fetch.fetch(server.url("/b", host="localhost"))  # another host is not held
    assert fake.sleeps == [7.0]


def test_a_retry_after_beyond_the_limit_holds_the_host_for_the_limit(
    server: LocalServer, fetcher: MakeFetcher, fake: FakeTime
) -> None:
    server.route("/a", Reply(503, headers={"Retry-After": "3600"}))
    server.route("/b", PAGE)
    fetch = fetcher(max_retry_after=60.0, respect_robots=False)
    with pytest.raises(HTTPStatusError):
        fetch.fetch(server.url("/a"))
    assert fetch.fetch(server.url("/b")).status == 200
    assert fake.sleeps == [60.0]


# --- conditional GET --------------------------------------------------------------------------


def test_not_modified(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/page", Reply(304, headers={"ETag": '"v1"'}))
    last_modified = "Wed, 21 Oct 2015 07:28:00 GMT"
    page = fetcher().fetch(server.url("/page"), etag='"v1"', last_modified=last_modified)
    assert page.status == 304
    assert page.body == b""
    assert page.text == ""
    sent = server.requests[-1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == last_modified


def test_rechecks_reuse_one_connection(server: LocalServer, fetcher: MakeFetcher) -> None:
    """A 304 has no body to read; draining it keeps the connection, so re-checks are cheap."""
    accepted: list[object] = []
    accept = server._server.get_request

    def counting_accept() -> tuple[object, object]:
        request = accept()
        accepted.append(request)
        return request

    server._server.get_request = counting_accept  # type: ignore[method-assign,assignment]
    server.route("/page", Reply(304, headers={"ETag": '"v1"'}))
    fetch = fetcher(respect_robots=False)
    for _ in range(5):
        assert fetch.fetch(server.url("/page"), etag='"v1"').status == 304
    assert len(accepted) == 1


# --- retries ----------------------------------------------------------------------------------


def test_retries_503_then_success(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/page", Reply(503), Reply(503), PAGE)
    assert fetcher().fetch(server.url("/page")).status == 200
    assert server.paths().count("/page") == 3


def test_retry_after_seconds_is_honoured(
    server: LocalServer, fetcher: MakeFetcher, fake: FakeTime
) -> None:
    server.route("/page", Reply(503, headers={"Retry-After": "7"}), PAGE)
    assert fetcher().fetch(server.url("/page")).status == 200
    assert fake.sleeps == [7.0]


def test_retry_after_http_date_is_honoured(
    server: LocalServer, fetcher: MakeFetcher, fake: FakeTime
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    server.route("/page", Reply(429, headers={"Retry-After": when}), PAGE)
    # The wait counts against the page's deadline: give it room.
    assert fetcher(deadline=300.0).fetch(server.url("/page")).status == 200
    [slept] = fake.sleeps
    assert 100.0 < slept <= 120.0


def test_429_without_retry_after_is_retried(
    server: LocalServer, fetcher: MakeFetcher, fake: FakeTime
) -> None:
    server.route("/page", Reply(429), PAGE)
    assert fetcher().fetch(server.url("/page")).status == 200
    assert server.paths().count("/page") == 2
    [backoff] = fake.sleeps  # on the fake clock: nothing sleeps for real
    assert 1.0 <= backoff <= 2.0


def test_retry_after_too_long_fails_at_once(
    server: LocalServer, fetcher: MakeFetcher, fake: FakeTime
) -> None:
    server.route("/page", Reply(503, headers={"Retry-After": "3600"}), PAGE)
    with pytest.raises(HTTPStatusError) as caught:
        fetcher(max_retry_after=60.0).fetch(server.url("/page"))
    assert caught.value.status == 503
    assert "Retry-After 3600" in one_line_naming(caught.value, server.url("/page"))
    assert server.paths().count("/page") == 1
    assert fake.sleeps == []


def test_retries_run_out(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/page", Reply(502))
    with pytest.raises(HTTPStatusError) as caught:
        fetcher(retries=2).fetch(server.url("/page"))
    assert caught.value.status == 502
    assert "after 3 attempts" in one_line_naming(caught.value, server.url("/page"))
    assert server.paths().count("/page") == 3


def test_no_retries(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/page", Reply(500), PAGE)
    with pytest.raises(HTTPStatusError):
        fetcher(retries=0).fetch(server.url("/page"))
    assert server.paths().count("/page") == 1


def test_read_timeout_is_retried(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/page", Reply(200, PAGE.body, HTML, delay=30.0))
    with pytest.raises(TransportError) as caught:
        fetcher(timeout=0.2, retries=1, respect_robots=False).fetch(server.url("/page"))
    assert "timed out" in one_line_naming(caught.value, server.url("/page"))
    assert server.paths() == ["/page", "/page"]


def test_connection_refused(fetcher: MakeFetcher) -> None:
    with LocalServer() as gone:
        url = gone.url("/page")
    with pytest.raises(TransportError) as caught:
        fetcher(retries=1, respect_robots=False).fetch(url)
    assert "connection failed" in one_line_naming(caught.value, url)


def test_connect_errors_are_retried(fetcher: MakeFetcher) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) < 3:
            raise httpx.ConnectError("connection refused", request=request)
        return streamed(200, PAGE.body, HTML)

    fetch = fetcher(transport=httpx.MockTransport(handler), respect_robots=False)
    assert fetch.fetch("https://example.org/page").status == 200
    assert calls == ["/page"] * 3


def test_undecodable_body_is_a_transport_error(fetcher: MakeFetcher) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return streamed(200, b"not gzip", {"Content-Encoding": "gzip"})

    fetch = fetcher(transport=httpx.MockTransport(handler), respect_robots=False)
    with pytest.raises(TransportError) as caught:
        fetch.fetch("https://example.org/page")
    assert "cannot decode" in one_line_naming(caught.value, "https://example.org/page")


# --- stop: no wait outlives it ----------------------------------------------------------------


@contextmanager
def stop_soon(stop: threading.Event, after: float = 0.3) -> Iterator[None]:
    """Set `stop` from another thread after `after` seconds, as a signal handler would."""
    timer = threading.Timer(after, stop.set)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def test_stop_ends_a_retry_after_wait_at_once(server: LocalServer, fetcher: MakeFetcher) -> None:
    """A SIGTERM must not wait out minutes of Retry-After: the fetch gives up with Interrupted."""
    server.route("/page", Reply(503, headers={"Retry-After": "600"}), PAGE)
    stop = threading.Event()
    fetch = fetcher(
        real_time=True, stop=stop, max_retry_after=600.0, deadline=900.0, respect_robots=False
    )
    started = time.monotonic()
    with stop_soon(stop), pytest.raises(Interrupted) as caught:
        fetch.fetch(server.url("/page"))
    assert time.monotonic() - started < 5.0
    assert caught.value.outcome == "interrupted"
    assert "stopping" in one_line_naming(caught.value, server.url("/page"))
    assert server.paths() == ["/page"]  # the retry is never sent


def test_stop_ends_a_crawl_delay_wait_at_once(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/robots.txt", Reply(200, b"User-agent: *\nCrawl-delay: 600\n"))
    server.route("/page", PAGE)
    stop = threading.Event()
    started = time.monotonic()
    with stop_soon(stop), pytest.raises(Interrupted):
        # The page is due 600 s after robots.txt was asked for.
        fetcher(real_time=True, stop=stop).fetch(server.url("/page"))
    assert time.monotonic() - started < 5.0
    assert server.paths() == ["/robots.txt"]


def test_stop_ends_the_backoff(
    server: LocalServer, fetcher: MakeFetcher, fake: FakeTime
) -> None:
    """The backoff is waited through the fetcher's stop-aware wait, so a stop ends it too."""
    server.route("/page", Reply(503))
    stop = threading.Event()

    def signal_during_wait(seconds: float) -> None:
        fake.sleep(seconds)
        stop.set()

    politeness = replace(BASE, deadline=120.0)
    client = make_client(politeness)
    fetch = Fetcher(client, politeness, stop=stop, sleep=signal_during_wait, clock=fake.clock)
    with client, pytest.raises(Interrupted):
        fetch.fetch(server.url("/page"))
    [backoff] = fake.sleeps
    assert 1.0 <= backoff <= 2.0  # the first backoff: 1 s plus jitter
    assert server.paths().count("/page") == 1


def test_backoff_doubles_with_jitter(
    server: LocalServer, fetcher: MakeFetcher, fake: FakeTime
) -> None:
    server.route("/page", Reply(503))
    with pytest.raises(HTTPStatusError):
        fetcher(retries=3, respect_robots=False).fetch(server.url("/page"))
    assert len(fake.sleeps) == 3
    for slept, base in zip(fake.sleeps, (1.0, 2.0, 4.0), strict=True):
        assert base <= slept <= base + 1.0


def test_a_stopped_robots_txt_is_not_cached(
    server: LocalServer, fetcher: MakeFetcher, fake: FakeTime
) -> None:
    """Stopping while robots.txt is retried is no verdict on the site: it is asked again."""
    server.route("/robots.txt", Reply(503, headers={"Retry-After": "30"}), Reply(404))
    server.route("/page", PAGE)
    stop = threading.Event()

    def signal_during_wait(seconds: float) -> None:
        fake.sleep(seconds)
        stop.set()

    politeness = replace(BASE, deadline=120.0)
    client = make_client(politeness)
    fetch = Fetcher(client, politeness, stop=stop, sleep=signal_during_wait, clock=fake.clock)
    with client:
        with pytest.raises(Interrupted):
            fetch.fetch(server.url("/page"))
        assert fake.sleeps == [30.0]
        stop.clear()
        assert fetch.fetch(server.url("/page")).status == 200
    assert server.paths() == ["/robots.txt", "/robots.txt", "/page"]


def test_a_set_stop_skips_the_pacing_wait(
    server: LocalServer, fetcher: MakeFetcher, fake: FakeTime
) -> None:
    server.route("/page", PAGE)
    stop = threading.Event()
    fetch = fetcher(stop=stop, min_interval=5.0, respect_robots=False)
    fetch.fetch(server.url("/page"))
    stop.set()
    with pytest.raises(Interrupted):
        fetch.fetch(server.url("/page"))
    assert fake.sleeps == []
    assert server.paths() == ["/page"]


# --- statuses ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410, 403, 400])
def test_error_status(server: LocalServer, fetcher: MakeFetcher, status: int) -> None:
    server.route("/page", Reply(status, b"<html>gone</html>", HTML))
    with pytest.raises(HTTPStatusError) as caught:
        fetcher().fetch(server.url("/page"))
    assert caught.value.status == status
    assert one_line_naming(caught.value, server.url("/page")).endswith(f"HTTP {status}")
    assert server.paths().count("/page") == 1


# --- redirects --------------------------------------------------------------------------------


def test_redirect_to_another_host_is_refused(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.redirect("/old", server.url("/new", host="localhost"))
    server.route("/new", PAGE)
    with pytest.raises(HostNotAllowed) as caught:
        fetcher().fetch(server.url("/old"), allowed_hosts=["127.0.0.1"])
    assert "localhost" in one_line_naming(caught.value, server.url("/old"))
    assert "/new" not in server.paths()


def test_redirect_within_allowed_hosts_is_followed(
    server: LocalServer, other: LocalServer, fetcher: MakeFetcher
) -> None:
    server.redirect("/old", other.url("/new", host="localhost"), status=301)
    other.redirect("/new", "/final?x=1", status=308)
    other.route("/final", PAGE)
    page = fetcher().fetch(server.url("/old"), allowed_hosts=["127.0.0.1", "LocalHost"])
    assert page.url == other.url("/final?x=1", host="localhost")
    assert page.status == 200
    assert other.paths() == ["/robots.txt", "/new", "/final?x=1"]


def test_robots_checked_on_each_hop(
    server: LocalServer, other: LocalServer, fetcher: MakeFetcher
) -> None:
    server.redirect("/old", other.url("/new"))
    other.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /new\n"))
    other.route("/new", PAGE)
    with pytest.raises(RobotsDisallowed) as caught:
        fetcher().fetch(server.url("/old"))
    assert other.url("/new") in one_line_naming(caught.value, server.url("/old"))
    assert other.paths() == ["/robots.txt"]


def test_www_variant_is_not_implied(fetcher: MakeFetcher) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "example.org":
            return httpx.Response(301, headers={"Location": "https://www.example.org/page"})
        return streamed(200, PAGE.body, HTML)

    fetch = fetcher(transport=httpx.MockTransport(handler), respect_robots=False)
    with pytest.raises(HostNotAllowed):
        fetch.fetch("https://example.org/page", allowed_hosts=["example.org"])
    page = fetch.fetch("https://example.org/page", allowed_hosts=["example.org", "www.example.org"])
    assert page.url == "https://www.example.org/page"


def test_start_url_outside_allowed_hosts_is_refused(
    server: LocalServer, fetcher: MakeFetcher
) -> None:
    with pytest.raises(HostNotAllowed):
        fetcher().fetch(server.url("/page"), allowed_hosts=["example.org"])
    assert server.paths() == []


def test_redirect_loop_is_cut(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.redirect("/loop", "/loop")
    with pytest.raises(BadRedirect) as caught:
        fetcher().fetch(server.url("/loop"))
    assert "more than 10 redirects" in one_line_naming(caught.value, server.url("/loop"))
    assert server.paths().count("/loop") == 11


def test_non_http_redirect_is_refused(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.redirect("/old", "ftp://example.org/file")
    with pytest.raises(BadRedirect, match="not an http"):
        fetcher().fetch(server.url("/old"))


# --- bounds -----------------------------------------------------------------------------------


def test_content_length_over_cap(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/big", Reply(200, b"x" * 2000, HTML))
    with pytest.raises(ResponseTooLarge) as caught:
        fetcher(max_bytes=1000).fetch(server.url("/big"))
    assert "Content-Length 2000" in one_line_naming(caught.value, server.url("/big"))


def test_streamed_body_over_cap(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/big", Reply(200, b"x" * 2000, HTML, content_length=False))
    with pytest.raises(ResponseTooLarge):
        fetcher(max_bytes=1000).fetch(server.url("/big"))


def test_body_at_cap_is_accepted(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/page", Reply(200, b"x" * 1000, HTML, content_length=False))
    assert len(fetcher(max_bytes=1000).fetch(server.url("/page")).body) == 1000


def test_gzip_body_inflating_past_cap(server: LocalServer, fetcher: MakeFetcher) -> None:
    bomb = gzip.compress(b"<html>" + b" " * 300_000)
    assert len(bomb) < 100_000
    server.route("/bomb", Reply(200, bomb, {**HTML, "Content-Encoding": "gzip"}))
    with pytest.raises(ResponseTooLarge) as caught:
        fetcher(max_bytes=100_000).fetch(server.url("/bomb"))
    assert "body is over the cap" in str(caught.value)


def test_gzip_body_is_decoded(server: LocalServer, fetcher: MakeFetcher) -> None:
    gzipped = {**HTML, "Content-Encoding": "gzip"}
    server.route("/page", Reply(200, gzip.compress(PAGE.body), gzipped))
    assert fetcher().fetch(server.url("/page")).body == PAGE.body


def test_slow_drip_hits_the_deadline(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/drip", Reply(200, b"<html>", HTML, drip=0.1))
    fetch = fetcher(real_time=True, deadline=0.5, timeout=5.0, respect_robots=False)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded) as caught:
        fetch.fetch(server.url("/drip"))
    # The server never stops, so only the deadline can end this; the bound is a wide sanity check.
    assert time.monotonic() - started < 5.0
    assert "deadline of 0.5 s" in one_line_naming(caught.value, server.url("/drip"))
    assert server.paths() == ["/drip"]  # a blown deadline is not retried


def test_silent_server_hits_the_deadline(server: LocalServer, fetcher: MakeFetcher) -> None:
    server.route("/page", Reply(200, PAGE.body, HTML, delay=30.0))
    with pytest.raises(DeadlineExceeded):
        fetcher(deadline=0.3, timeout=5.0, respect_robots=False).fetch(server.url("/page"))
    assert server.paths() == ["/page"]


# --- Retry-After parsing ----------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**9))
def test_retry_after_seconds_parse_exactly(seconds: int) -> None:
    assert parse_retry_after(str(seconds), datetime.now(UTC)) == float(seconds)


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5"])
def test_unusable_retry_after(value: str | None) -> None:
    assert parse_retry_after(value, datetime.now(UTC)) is None


def test_retry_after_in_the_past_is_zero() -> None:
    now = datetime(2025, 1, 2, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 00:00:00 GMT", now) == 0.0


# --- Content-Encoding, decoded by us a bounded piece at a time ---------------------------------


def deflate_zlib(data: bytes) -> bytes:
    return zlib.compress(data, 9)


def deflate_raw(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def gzip_max(data: bytes) -> bytes:
    return gzip.compress(data, 9)


CODECS: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("gzip", gzip_max),
    ("deflate", deflate_zlib),
    ("deflate", deflate_raw),
]
CODEC_IDS = ["gzip", "deflate-zlib", "deflate-raw"]
BOMB_SIZE = 20 * 1024 * 1024


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """The peak of Python allocations made inside the block, in bytes, as `result[0]`."""
    result: list[int] = []
    tracemalloc.start()
    try:
        yield result
    finally:
        result.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


@pytest.mark.parametrize(("coding", "compress"), CODECS, ids=CODEC_IDS)
def test_decoder_never_produces_more_than_a_chunk_at_once(
    coding: str, compress: Callable[[bytes], bytes]
) -> None:
    bomb = compress(bytes(BOMB_SIZE))
    assert len(bomb) < 64 * 1024  # one network chunk
    assert CHUNK <= 64 * 1024
    total = 0
    largest = 0
    with peak_memory() as peak:
        for piece in BodyDecoder(coding).decode([bomb]):
            total += len(piece)
            largest = max(largest, len(piece))
    assert total == BOMB_SIZE
    assert largest <= CHUNK
    # One piece at a time is all that is ever held (plus zlib's window and a spare buffer).
    assert peak[0] < 1024 * 1024


def test_gzip_bomb_is_refused_before_it_inflates(server: LocalServer, fetcher: MakeFetcher) -> None:
    bomb = gzip_max(b"<html>" + bytes(BOMB_SIZE))
    assert len(bomb) < 64 * 1024
    server.route("/bomb", Reply(200, bomb, {**HTML, "Content-Encoding": "gzip"}))
    fetch = fetcher(max_bytes=256 * 1024, respect_robots=False)
    with peak_memory() as peak, pytest.raises(ResponseTooLarge) as caught:
        fetch.fetch(server.url("/bomb"))
    assert "body is over the cap of 262144 bytes" in one_line_naming(
        caught.value, server.url("/bomb")
    )
    # The cap (256 KiB) plus one 64 KiB piece, not 20 MB; the rest is httpx and the server.
    assert peak[0] < 2 * 1024 * 1024


@pytest.mark.parametrize(("coding", "compress"), CODECS, ids=CODEC_IDS)
def test_compressed_body_is_decoded(
    server: LocalServer, fetcher: MakeFetcher, coding: str, compress: Callable[[bytes], bytes]
) -> None:
    body = PAGE.body + b"<!-- " + b"briefing " * 50_000 + b"-->"  # several pieces decoded
    server.route("/page", Reply(200, compress(body), {**HTML, "Content-Encoding": coding}))
    page = fetcher().fetch(server.url("/page"))
    assert page.body == body
    assert "Good afternoon." in page.text


@pytest.mark.parametrize("coding", ["identity", "", "GZIP", "x-gzip", "identity, gzip"])
def test_coding_names(server: LocalServer, fetcher: MakeFetcher, coding: str) -> None:
    gzipped = "gzip" in coding.lower()
    body = gzip.compress(PAGE.body) if gzipped else PAGE.body
    server.route("/page", Reply(200, body, {**HTML, "Content-Encoding": coding}))
    assert fetcher().fetch(server.url("/page")).body == PAGE.body


def test_gzip_robots_txt_is_read(server: LocalServer, fetcher: MakeFetcher) -> None:
    rules = gzip.compress(b"User-agent: *\nDisallow: /private\n")
    server.route("/robots.txt", Reply(200, rules, {"Content-Encoding": "gzip"}))
    server.route("/private", PAGE)
    with pytest.raises(RobotsDisallowed):
        fetcher().fetch(server.url("/private"))


@pytest.mark.parametrize("coding", ["br", "zstd", "compress", "gzip, gzip", "deflate, br"])
def test_unsupported_encoding_is_refused(
    server: LocalServer, fetcher: MakeFetcher, coding: str
) -> None:
    server.route("/page", Reply(200, b"\x00" * 100, {**HTML, "Content-Encoding": coding}))
    with pytest.raises(TransportError) as caught:
        fetcher(retries=0).fetch(server.url("/page"))
    message = one_line_naming(caught.value, server.url("/page"))
    assert f"Content-Encoding {coding!r}" in message
    assert "not supported (only gzip, deflate)" in message
    assert server.paths().count("/page") == 1


@pytest.mark.parametrize(("coding", "compress"), CODECS, ids=CODEC_IDS)
def test_cut_short_compressed_body_is_a_transport_error(
    fetcher: MakeFetcher, coding: str, compress: Callable[[bytes], bytes]
) -> None:
    cut = compress(PAGE.body)[:-10]

    def handler(request: httpx.Request) -> httpx.Response:
        return streamed(200, cut, {**HTML, "Content-Encoding": coding})

    fetch = fetcher(transport=httpx.MockTransport(handler), respect_robots=False)
    with pytest.raises(TransportError) as caught:
        fetch.fetch("https://example.org/page")
    message = one_line_naming(caught.value, "https://example.org/page")
    assert f"cannot decode body ({coding}: " in message


@pytest.mark.parametrize(("coding", "compress"), CODECS, ids=CODEC_IDS)
def test_decoder_takes_a_byte_at_a_time(coding: str, compress: Callable[[bytes], bytes]) -> None:
    packed = compress(PAGE.body)
    drip = [packed[i : i + 1] for i in range(len(packed))]
    assert b"".join(BodyDecoder(coding).decode(drip)) == PAGE.body


def test_decoder_reads_concatenated_gzip_members_and_ignores_trailing_bytes() -> None:
    members = gzip.compress(b"one ") + gzip.compress(b"two")
    assert b"".join(BodyDecoder("gzip").decode([members + b"\x00\x00junk"])) == b"one two"
    drip = [members[i : i + 1] for i in range(len(members))]
    assert b"".join(BodyDecoder("gzip").decode(drip)) == b"one two"
    packed = deflate_zlib(b"page")
    assert b"".join(BodyDecoder("deflate").decode([packed, b"junk"])) == b"page"


@pytest.mark.parametrize("coding", ["gzip", "deflate", None, "identity"])
def test_decoder_empty_body(coding: str | None) -> None:
    assert list(BodyDecoder(coding).decode([b"", b""])) == []


def test_decoder_refuses_unknown_codings_before_reading() -> None:
    with pytest.raises(UnsupportedEncoding) as caught:
        BodyDecoder("br")
    assert caught.value.reason == "Content-Encoding 'br': coding not supported (only gzip, deflate)"
    with pytest.raises(UnsupportedEncoding, match="stacked codings"):
        BodyDecoder("gzip, deflate")
    with pytest.raises(DecodeFailure, match="gzip: "):
        list(BodyDecoder("gzip").decode([b"not gzip at all"]))
