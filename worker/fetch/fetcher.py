"""The fetcher: one page's requests, in order (see `worker.fetch` for what it guarantees).

    Waits          every wait (pacing, backoff, `Retry-After`) ends on stop
    with_retries   transient failures again, with backoff or the server's `Retry-After`
    make_client    the `httpx.Client` the fetcher is given
    Fetcher        robots.txt, pacing, redirects within the allowed hosts, retries, a `Page`
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Collection
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import TypeVar

import httpx

from worker import urls
from worker.config import Politeness
from worker.errors import (
    BadAddress,
    BadRedirect,
    BadURL,
    DeadlineExceeded,
    HostNotAllowed,
    HTTPStatusError,
    Interrupted,
    ProtocolViolation,
    RobotsDisallowed,
    TransportError,
)
from worker.fetch.politeness import (
    ALLOW_ALL,
    ROBOTS_MAX_BYTES,
    ROBOTS_MAX_REDIRECTS,
    HostPacer,
    RobotsCache,
    RobotsPolicy,
    policy_for,
)
from worker.fetch.transfer import (
    Deadline,
    DeadlineBackend,
    Hop,
    Limits,
    Response,
    Transient,
    get_once,
    require_html,
)
from worker.page import Page

# Every wait inside a fetch (pacing, Crawl-delay, retry backoff, `Retry-After`) ends on stop.
#
# A page in retry may have minutes of waits ahead (a few retries of a `Retry-After` up to
# `max_retry_after` each); a daemon asked to stop must not sit them out, or it would outlive
# systemd's stop timeout. So a wait is `stop.wait(seconds)`, and a stop set before or during it
# gives the fetch up at once.

class Stopped(Exception):
    """The stop event was set at a wait. Internal: the fetcher turns it into `Interrupted`."""


class Waits:
    """`waits(seconds)`: sleep, or raise `Stopped` once `stop` is set.

    The sleep is `stop.wait` (a private event when there is no `stop`: a plain sleep); tests
    inject a fake `sleep`, after which `stop` is checked as well.
    """

    def __init__(
        self, stop: threading.Event | None, sleep: Callable[[float], object] | None = None
    ) -> None:
        self._stop = stop or threading.Event()
        self._sleep = sleep or self._stop.wait

    def __call__(self, seconds: float) -> None:
        if self._stop.is_set():
            raise Stopped
        self._sleep(seconds)
        if self._stop.is_set():
            raise Stopped


# Retries of transient failures: exponential backoff with jitter, or the server's `Retry-After`.
#
# A plain loop rather than a retry library: every wait, the backoff or a server's `Retry-After`,
# must go through the fetcher's `wait` (so that a stop cuts it short, `Waits` above, and
# tests see the exact waits with nothing sleeping for real), and the attempts are
# `Politeness.retries`; what is left for a library to do is one multiplication.

T = TypeVar("T")

# The backoff starts at a second to give a struggling server room: about 1, 2, 4, 8 s, each plus
# up to JITTER s so that many clients do not come back at the same instant.
WAIT_INITIAL = 1.0
WAIT_MAX = 60.0
JITTER = 1.0


def with_retries(call: Callable[[], T], retries: int, wait: Callable[[float], None]) -> T:
    """Return `call()`, calling again after each `Transient`, at most `retries` more times.

    The last `Transient` propagates; any other exception, one raised by `wait` included,
    propagates at once. There is no wait after the last attempt.
    """
    for attempt in range(retries + 1):
        try:
            return call()
        except Transient as transient:
            if attempt == retries:
                raise
            wait(pause_before_retry(transient, attempt))
    raise AssertionError("unreachable: the last attempt returns or raises")


def pause_before_retry(transient: Transient, attempt: int) -> float:
    """The server's `Retry-After`, else the backoff after attempt `attempt` (0 the first)."""
    if transient.retry_after is not None:
        return transient.retry_after
    return min(WAIT_MAX, WAIT_INITIAL * 2.0**attempt + random.uniform(0.0, JITTER))


# The `httpx.Client` the fetcher is given: our identity, our encodings, no automatic redirects.

ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
# Never zstd or br: a response of a few bytes can decode to gigabytes before any cap is checked.
ACCEPT_ENCODING = "gzip, deflate"


def make_client(
    politeness: Politeness, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """A client for `Fetcher`: TLS verified; redirects are left to the fetcher to check each hop.

    Without a `transport` (tests pass one), its connections are bounded by each page's deadline
    (`DeadlineBackend` in `worker.fetch.transfer`); httpx has no public way to give its pool a network backend.
    """
    if transport is None:
        real = httpx.HTTPTransport(verify=True, trust_env=False)
        pool = real._pool
        pool._network_backend = DeadlineBackend(pool._network_backend)
        transport = real
    return httpx.Client(
        headers={
            "User-Agent": politeness.user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        timeout=httpx.Timeout(politeness.timeout),
        follow_redirects=False,
        verify=True,
        # Proxies and CA bundles come from configuration, never from the environment.
        trust_env=False,
        transport=transport,
    )


# `Fetcher`: robots.txt, allowed hosts, pacing, retries and redirects around `get_once`.

MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class Fetcher:
    """Fetches pages politely; safe to share between threads. See `worker.fetch` for guarantees.

    `stop`, when set, ends any wait of a fetch at once with `Interrupted`. `sleep` and `clock` are
    test seams: by default waits are `stop.wait` (a plain sleep without `stop`).
    """

    def __init__(
        self,
        client: httpx.Client,
        politeness: Politeness,
        *,
        stop: threading.Event | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._politeness = politeness
        self._wait = Waits(stop, sleep)
        self._clock = clock
        self._pacer = HostPacer(politeness.min_interval, self._wait, clock)
        self._robots = RobotsCache(clock)
        self._page_limits = Limits(politeness.timeout, politeness.max_bytes)
        self._robots_limits = Limits(politeness.timeout, ROBOTS_MAX_BYTES, truncate=True)

    def fetch(
        self,
        url: str,
        *,
        allowed_hosts: Collection[str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Page:
        """GET `url`, following redirects, and return the final page (status 2xx or 304).

        `allowed_hosts` (exact host names, case-insensitive; None: any host) bounds the URL and
        every redirect. `etag` and `last_modified` make the request conditional. The whole
        fetch, robots.txt, redirects and retries included, ends within `politeness.deadline`.
        """
        try:
            start = str(urls.check(url))
        except BadURL as error:
            raise BadAddress(url, error.problem) from None
        allowed = _host_set(url, allowed_hosts)
        deadline = Deadline(url, self._politeness.deadline, self._clock)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        hop = Hop(origin=url, url=start)
        for _ in range(MAX_REDIRECTS + 1):
            self._admit(hop, allowed, deadline)
            response = self._get(hop, headers, self._page_limits, deadline, html_only=True)
            target = _redirect_target(hop, response)
            if target is None:
                return _page(hop, response)
            hop = Hop(origin=url, url=target)
        raise BadRedirect(url, hop.detail(f"more than {MAX_REDIRECTS} redirects"))

    def _admit(self, hop: Hop, allowed: frozenset[str] | None, deadline: Deadline) -> None:
        """Refuse a URL outside the allowed hosts or forbidden by its robots.txt."""
        host = _host(hop)
        if allowed is not None and not urls.host_allowed(host, allowed):
            hosts = ", ".join(sorted(allowed)) or "none"
            raise HostNotAllowed(
                hop.origin, hop.detail(f"host {host} is not one of the allowed hosts ({hosts})")
            )
        if not self._politeness.respect_robots:
            return
        origin = urls.check(hop.url).origin
        policy = self._robots.get(origin, lambda: self._load_robots(hop, origin, allowed, deadline))
        if policy.unreachable is not None:
            raise RobotsDisallowed(
                hop.origin,
                hop.detail(f"robots.txt unreachable, disallowed for now: {policy.unreachable}"),
            )
        user_agent = self._politeness.user_agent
        if not policy.allows(hop.url, user_agent):
            raise RobotsDisallowed(hop.origin, hop.detail("disallowed by robots.txt"))
        delay = policy.crawl_delay(user_agent)
        if delay > self._politeness.max_crawl_delay:
            # Waiting that long between pages would hold this host's pages (and any job on it)
            # for hours; asking faster would be rude. So the host is left alone, visibly.
            raise RobotsDisallowed(
                hop.origin,
                hop.detail(
                    f"robots.txt asks a Crawl-delay of {delay:g} s, over"
                    f" politeness.max_crawl_delay ({self._politeness.max_crawl_delay:g} s)"
                ),
            )
        self._pacer.set_crawl_delay(host, delay)

    def _load_robots(
        self, hop: Hop, origin: str, allowed: frozenset[str] | None, deadline: Deadline
    ) -> RobotsPolicy:
        robots = Hop(origin=hop.origin, url=f"{origin}/robots.txt")
        home = _host(robots)
        for _ in range(ROBOTS_MAX_REDIRECTS + 1):
            try:
                response = self._get(robots, {}, self._robots_limits, deadline, html_only=False)
                target = _redirect_target(robots, response)
            except BadRedirect:
                # A broken redirect is a robots.txt that is missing, not one that is unreachable.
                return ALLOW_ALL
            except (HTTPStatusError, TransportError, DeadlineExceeded, ProtocolViolation) as error:
                return RobotsPolicy(unreachable=error.detail)
            if target is None:
                return policy_for(response.status, response.body)
            robots = Hop(origin=hop.origin, url=target)
            host = _host(robots)
            if host != home and allowed is not None and not urls.host_allowed(host, allowed):
                return ALLOW_ALL
        return ALLOW_ALL

    def _get(
        self,
        hop: Hop,
        headers: dict[str, str],
        limits: Limits,
        deadline: Deadline,
        *,
        html_only: bool,
    ) -> Response:
        """One request with retries; raises `HTTPStatusError`/`TransportError` when they run out,
        `DeadlineExceeded` when the page's deadline comes first."""
        check = require_html if html_only else None
        host = _host(hop)

        def attempt() -> Response:
            with ExitStack() as turn:
                # Waiting for the host's turn is politeness, not the server's slowness: it
                # does not count against the deadline; the request, in its turn, does.
                deadline.pause(lambda: turn.enter_context(self._pacer.turn(host)))
                try:
                    return get_once(self._client, hop, headers, limits, deadline, check)
                except Transient as transient:
                    # The server asked the *host* to be left alone: every lane and job waits,
                    # not just this page's retry (never longer than `max_retry_after`).
                    if transient.retry_after is not None:
                        limit = self._politeness.max_retry_after
                        self._pacer.hold(host, min(transient.retry_after, limit))
                    self._refuse_long_wait(hop, transient)
                    raise

        def wait(seconds: float) -> None:
            deadline.sleep(self._wait, seconds)

        attempts = self._politeness.retries + 1
        try:
            return with_retries(attempt, self._politeness.retries, wait)
        except Stopped:
            raise Interrupted(
                hop.origin, hop.detail("stopping: gave up waiting to send the request")
            ) from None
        except Transient as transient:
            after = f"after {attempts} attempt{'s' if attempts > 1 else ''}"
            if transient.status is not None:
                raise HTTPStatusError(
                    hop.origin, transient.status, hop.detail(f"{transient.reason} {after}")
                ) from None
            raise TransportError(hop.origin, hop.detail(f"{transient.reason} {after}")) from None

    def _refuse_long_wait(self, hop: Hop, transient: Transient) -> None:
        limit = self._politeness.max_retry_after
        if transient.status is not None and (transient.retry_after or 0.0) > limit:
            raise HTTPStatusError(
                hop.origin,
                transient.status,
                hop.detail(
                    f"{transient.reason} with Retry-After {transient.retry_after:g} s,"
                    f" longer than max_retry_after {limit:g} s"
                ),
            )


def _page(hop: Hop, response: Response) -> Page:
    if response.status == 304 or 200 <= response.status < 300:
        return Page.from_bytes(
            response.body,
            url=hop.url,
            headers=response.headers,
            status=response.status,
            fetched_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    raise HTTPStatusError(hop.origin, response.status, hop.detail(f"HTTP {response.status}"))


def _redirect_target(hop: Hop, response: Response) -> str | None:
    """The absolute, checked URL a redirect points to; None for any other status."""
    if response.status not in REDIRECT_STATUSES:
        return None
    location = response.headers.get("location", "").strip()
    if not location:
        raise BadRedirect(hop.origin, hop.detail(f"HTTP {response.status} without a Location"))
    try:
        return str(urls.join(hop.url, location))
    except BadURL as error:
        raise BadRedirect(
            hop.origin,
            hop.detail(f"HTTP {response.status} to an unusable Location ({error.problem})"),
        ) from None


def _host_set(url: str, hosts: Collection[str] | None) -> frozenset[str] | None:
    if hosts is None:
        return None
    try:
        return urls.canonical_hosts(tuple(hosts))
    except BadURL as error:
        raise HostNotAllowed(url, f"allowed hosts: {error}") from None


def _host(hop: Hop) -> str:
    """The canonical host of `hop.url`; `HostNotAllowed` for anything but a usable http(s) URL."""
    try:
        return urls.host_of(hop.url)
    except BadURL as error:
        raise HostNotAllowed(hop.origin, hop.detail(error.problem)) from None
