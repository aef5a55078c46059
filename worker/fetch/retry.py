"""Retries of transient failures: exponential backoff with jitter, or the server's `Retry-After`.

A plain loop rather than a retry library: every wait, the backoff or a server's `Retry-After`,
must go through the fetcher's `wait` (so that a stop cuts it short, `worker.fetch.waits`, and
tests see the exact waits with nothing sleeping for real), and the attempts are
`Politeness.retries`; what is left for a library to do is one multiplication.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from worker.fetch.transfer import Transient

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
