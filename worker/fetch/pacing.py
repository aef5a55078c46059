"""Per-host pacing: the starts of two requests to one host are at least an interval apart."""

from __future__ import annotations

from collections.abc import Callable

from worker.fetch.locks import KeyedLocks


class HostPacer:
    """Thread-safe: a caller holds its host's lock while it waits, so waits queue up in order.

    The interval of a host is `max(min_interval, crawl delay)`; 0 means no pacing. Only requests
    made in this process are seen; the daemon and a manual fetch pace independently. `sleep` may
    raise (`worker.fetch.waits.Stopped`) to give the wait up; no start is recorded then.
    """

    def __init__(
        self, min_interval: float, sleep: Callable[[float], None], clock: Callable[[], float]
    ) -> None:
        self._min_interval = min_interval
        self._sleep = sleep
        self._clock = clock
        self._locks = KeyedLocks()
        self._crawl_delays: dict[str, float] = {}
        self._last_start: dict[str, float] = {}

    def set_crawl_delay(self, host: str, seconds: float) -> None:
        self._crawl_delays[host] = seconds

    def interval(self, host: str) -> float:
        return max(self._min_interval, self._crawl_delays.get(host, 0.0))

    def wait(self, host: str) -> None:
        """Sleep until `host` may be sent the next request, and record that it starts now."""
        with self._locks(host):
            interval = self.interval(host)
            last = self._last_start.get(host)
            if last is not None and interval > 0:
                remaining = last + interval - self._clock()
                if remaining > 0:
                    self._sleep(remaining)
            self._last_start[host] = self._clock()
