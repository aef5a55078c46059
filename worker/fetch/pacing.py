"""Per-host pacing: one request at a time to a host, and `interval` between one and the next.

The pacer is shared by every job and every lane of the daemon (one `Fetcher`), so whichever
thread asks, a host sees the same pace: each request takes the host's turn for its whole length
(`turn`), and the next one starts at least `interval` after the previous one *ended*. Measured
from the end rather than the start, a slow host is never sent a request while it is still
answering the last one, and a server's own log shows its requests at least `interval` apart
(a request reaches it after it started and before it ended).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from worker.fetch.locks import KeyedLocks

# How often a thread waiting for a host's turn checks for the stop (via `sleep(0)`).
TURN_POLL = 0.05


class HostPacer:
    """Thread-safe: a caller holds its host's turn while it waits and while its request runs.

    The interval of a host is `max(min_interval, crawl delay)`; 0 means no pacing (one request
    at a time still). Only requests made in this process are seen; the daemon and a manual fetch
    pace independently. `sleep` may raise (`worker.fetch.waits.Stopped`) to give the wait up,
    also while waiting for another thread's request to the host; no request is recorded then.
    """

    def __init__(
        self, min_interval: float, sleep: Callable[[float], None], clock: Callable[[], float]
    ) -> None:
        self._min_interval = min_interval
        self._sleep = sleep
        self._clock = clock
        self._locks = KeyedLocks()
        self._crawl_delays: dict[str, float] = {}
        self._last_end: dict[str, float] = {}

    def set_crawl_delay(self, host: str, seconds: float) -> None:
        self._crawl_delays[host] = seconds

    def interval(self, host: str) -> float:
        return max(self._min_interval, self._crawl_delays.get(host, 0.0))

    @contextmanager
    def turn(self, host: str) -> Iterator[None]:
        """Wait for `host`'s turn and its interval, hold the turn for the request in the block."""
        lock = self._locks(host)
        while not lock.acquire(timeout=TURN_POLL):
            self._sleep(0.0)  # another thread's request to the host runs; raises on stop
        try:
            self._wait_interval(host)
        except BaseException:
            lock.release()
            raise
        try:
            yield
        finally:
            self._last_end[host] = self._clock()
            lock.release()

    def wait(self, host: str) -> None:
        """Wait as for a request, and record one that ends at once."""
        with self.turn(host):
            pass

    def _wait_interval(self, host: str) -> None:
        interval = self.interval(host)
        last = self._last_end.get(host)
        if last is not None and interval > 0:
            remaining = last + interval - self._clock()
            if remaining > 0:
                self._sleep(remaining)
