"""Politeness toward each host, shared by every job and lane: pacing and robots.txt.

    KeyedLocks    one lock per host or robots.txt origin
    HostPacer     one request at a time to a server, `max(min_interval, Crawl-delay)` apart, and
                  none while it said `Retry-After`
    RobotsCache   each origin's robots.txt, read once, cached, and what its status means
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from protego import Protego

from worker.urls import server_of


# One lock per key (a host, a robots.txt origin), created on first use.
class KeyedLocks:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def __call__(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


# Per-host pacing: one request at a time to a host, and `interval` between one and the next.
#
# The pacer is shared by every job and every lane of the daemon (one `Fetcher`), so whichever
# thread asks, a host sees the same pace: each request takes the host's turn for its whole length
# (`turn`), and the next one starts at least `interval` after the previous one *ended*. Measured
# from the end rather than the start, a slow host is never sent a request while it is still
# answering the last one, and a server's own log shows its requests at least `interval` apart
# (a request reaches it after it started and before it ended).

# How often a thread waiting for a host's turn checks for the stop (via `sleep(0)`).
TURN_POLL = 0.05


class HostPacer:
    """Thread-safe: a caller holds its host's turn while it waits and while its request runs.

    The interval of a host is `max(min_interval, crawl delay)`; 0 means no pacing (one request
    at a time still). A server's `Retry-After` (`hold`) keeps every request from the host for
    that long, not only the retry of the page that was told. Hosts are paced as servers
    (`worker.urls.server_of`: `www.mid.ru` and `mid.ru` are one). Only requests made in this
    process are seen; the daemon and a manual fetch pace independently. `sleep` may raise
    (`worker.fetch.fetcher.Stopped`) to give the wait up, also while waiting for another
    thread's request to the host; no request is recorded then.
    """

    def __init__(
        self, min_interval: float, sleep: Callable[[float], None], clock: Callable[[], float]
    ) -> None:
        self._min_interval = min_interval
        self._sleep = sleep
        self._clock = clock
        self._locks = KeyedLocks()
        # server -> host -> the Crawl-delay of that host's robots.txt (a server's is the longest)
        self._crawl_delays: dict[str, dict[str, float]] = {}
        self._last_end: dict[str, float] = {}
        self._held_until: dict[str, float] = {}

    def set_crawl_delay(self, host: str, seconds: float) -> None:
        self._crawl_delays.setdefault(server_of(host), {})[host] = seconds

    def interval(self, host: str) -> float:
        delays = self._crawl_delays.get(server_of(host), {}).values()
        return max([self._min_interval, *delays])

    @contextmanager
    def turn(self, host: str) -> Iterator[None]:
        """Wait for `host`'s turn and its interval, hold the turn for the request in the block."""
        server = server_of(host)
        lock = self._locks(server)
        while not lock.acquire(timeout=TURN_POLL):
            self._sleep(0.0)  # another thread's request to the host runs; raises on stop
        try:
            self._wait_interval(host, server)
        except BaseException:
            lock.release()
            raise
        try:
            yield
        finally:
            self._last_end[server] = self._clock()
            lock.release()

    def hold(self, host: str, seconds: float) -> None:
        """Send `host` nothing for `seconds` from now, whichever thread asks (a `Retry-After`).

        Called inside the host's `turn`, so no other request to it can start in between.
        """
        server = server_of(host)
        until = self._clock() + seconds
        self._held_until[server] = max(until, self._held_until.get(server, until))

    def wait(self, host: str) -> None:
        """Wait as for a request, and record one that ends at once."""
        with self.turn(host):
            pass

    def _wait_interval(self, host: str, server: str) -> None:
        ready = self._held_until.get(server, 0.0)
        interval = self.interval(host)
        last = self._last_end.get(server)
        if last is not None and interval > 0:
            ready = max(ready, last + interval)
        remaining = ready - self._clock()
        if remaining > 0:
            self._sleep(remaining)


# robots.txt: what a status and body mean, and a per-origin cache of the result.
#
#     2xx                      the rules in the body (first 512 KiB), parsed by protego
#     401, 403                 disallow everything (the site refuses to say what is allowed)
#     other 4xx (404, 410...)  allow everything: there is no robots.txt
#     5xx, 429, network error  unreachable: every URL is refused for now (`RobotsDisallowed`),
#     or a blown deadline      and robots.txt is asked again after `UNREACHABLE_TTL`, so a broken
#                              server is not hit once per page
#     redirects                followed by the fetcher up to 5 hops within the host or the allowed
#                              hosts; beyond that robots.txt counts as missing (RFC 9309 2.3.1.2)
#
# Parsed rules are kept for `ROBOTS_TTL` (RFC 9309 asks for at most 24 hours).

ROBOTS_MAX_BYTES = 512 * 1024
ROBOTS_MAX_REDIRECTS = 5
ROBOTS_TTL = 24 * 3600.0
UNREACHABLE_TTL = 600.0


@dataclass(frozen=True)
class RobotsPolicy:
    rules: Protego | None = None  # None: no rules
    disallow_all: bool = False
    unreachable: str | None = None  # why robots.txt could not be read

    def allows(self, url: str, user_agent: str) -> bool:
        if self.disallow_all or self.unreachable is not None:
            return False
        return self.rules is None or bool(self.rules.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float:
        delay = self.rules.crawl_delay(user_agent) if self.rules is not None else None
        return float(delay) if delay else 0.0


ALLOW_ALL = RobotsPolicy()


def policy_for(status: int, body: bytes) -> RobotsPolicy:
    """The policy a non-redirect robots.txt response stands for."""
    if 200 <= status < 300:
        return RobotsPolicy(rules=Protego.parse(body.decode("utf-8", errors="replace")))
    if status in (401, 403):
        return RobotsPolicy(disallow_all=True)
    if 400 <= status < 500:
        return ALLOW_ALL
    return RobotsPolicy(unreachable=f"HTTP {status}")


@dataclass(frozen=True)
class _Entry:
    policy: RobotsPolicy
    expires: float


class RobotsCache:
    """Policies by origin (`scheme://host:port`); one load per origin at a time, thread-safe."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._locks = KeyedLocks()
        self._entries: dict[str, _Entry] = {}

    def get(self, origin: str, load: Callable[[], RobotsPolicy]) -> RobotsPolicy:
        with self._locks(origin):
            entry = self._entries.get(origin)
            if entry is not None and self._clock() < entry.expires:
                return entry.policy
            policy = load()
            ttl = UNREACHABLE_TTL if policy.unreachable is not None else ROBOTS_TTL
            self._entries[origin] = _Entry(policy, self._clock() + ttl)
            return policy
