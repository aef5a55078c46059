"""Every wait inside a fetch (pacing, Crawl-delay, retry backoff, `Retry-After`) ends on stop.

A page in retry may have minutes of waits ahead (a few retries of a `Retry-After` up to
`max_retry_after` each); a daemon asked to stop must not sit them out, or it would outlive
systemd's stop timeout. So a wait is `stop.wait(seconds)`, and a stop set before or during it
gives the fetch up at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


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
