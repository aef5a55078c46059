"""Retries of transient failures: stamina's exponential backoff with jitter, or `Retry-After`.

stamina counts the attempts and reports the retries, but never sleeps itself: every wait, its
backoff or a server's `Retry-After`, goes through the fetcher's `wait` at the start of the next
attempt (never after the last one). So a stop cuts a wait short (`worker.fetch.waits`), and tests
assert the exact waits with nothing sleeping for real.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

import stamina

from worker.fetch.transfer import Transient

T = TypeVar("T")

# The backoff starts at a second, not stamina's 0.1 s, to give a struggling server room: about
# 1, 2, 4, 8 s, each plus up to JITTER s, as stamina would add it.
WAIT_INITIAL = 1.0
WAIT_MAX = 60.0
JITTER = 1.0


def _retry_without_sleeping(error: Exception) -> bool | float:
    # A float is the backoff stamina sleeps; 0 leaves the wait to `with_retries`.
    return 0.0 if isinstance(error, Transient) else False


def with_retries(call: Callable[[], T], retries: int, wait: Callable[[float], None]) -> T:
    """Return `call()`, calling again after each `Transient`, at most `retries` more times.

    The last `Transient` propagates; any other exception, one raised by `wait` included,
    propagates at once.
    """
    pause = 0.0
    # timeout=None: the attempt count bounds the retries, and a long Retry-After the caller
    # accepted must not be cut short by stamina's default wall-clock limit.
    retrying = stamina.retry_context(
        on=_retry_without_sleeping,
        attempts=retries + 1,
        timeout=None,
        wait_initial=WAIT_INITIAL,
        wait_max=WAIT_MAX,
    )
    for attempt in retrying:
        with attempt:
            if pause > 0:
                wait(pause)
            try:
                return call()
            except Transient as transient:
                pause = _pause(transient, attempt.next_wait)
                raise
    raise AssertionError("stamina ended without a result or an exception")


def _pause(transient: Transient, backoff: float) -> float:
    """The server's `Retry-After`, else stamina's backoff (0 in its test mode) with jitter."""
    if transient.retry_after is not None:
        return transient.retry_after
    if backoff <= 0:
        return 0.0
    return min(WAIT_MAX, backoff + random.uniform(0.0, JITTER))
