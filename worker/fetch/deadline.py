"""One total time per page: `politeness.deadline` across all of a page's requests.

A page's fetch may take several requests: its robots.txt, redirects, retries of transient
failures, each with a connect, headers and a body. The deadline bounds them all together, from
the moment the fetch starts: every network operation gets at most the time that is left (so a
stalled server ends the fetch at the deadline, not after `timeout` per retry), a retry whose
backoff or `Retry-After` would end past the deadline is not waited for, and the body is checked
after every chunk. Only the per-host pacing wait is not counted: it is our politeness, not the
server's slowness, and a long Crawl-delay must not eat a page's time.
"""

from __future__ import annotations

from collections.abc import Callable

from worker.errors import DeadlineExceeded


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
