"""Retries of transient failures: stamina's exponential backoff with jitter, or `Retry-After`.

A server's `Retry-After` is waited through the fetcher's injected `sleep` at the start of the next
attempt (never after the last one), so tests can assert the exact wait and nothing sleeps for real.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import stamina

from worker.fetch.transfer import Transient

T = TypeVar("T")


def _backoff(error: Exception) -> bool | float:
    if not isinstance(error, Transient):
        return False
    # A float replaces stamina's own backoff; the Retry-After wait itself happens in `with_retries`.
    return True if error.retry_after is None else 0.0


def with_retries(call: Callable[[], T], retries: int, sleep: Callable[[float], None]) -> T:
    """Return `call()`, calling again after each `Transient`, at most `retries` more times.

    The last `Transient` propagates; any other exception propagates at once.
    """
    wait = 0.0
    # timeout=None: the attempt count bounds the retries, and a long Retry-After the caller
    # accepted must not be cut short by stamina's default wall-clock limit. The backoff starts at
    # a second, not stamina's 0.1 s, to give a struggling server room: about 1, 2, 4, 8 s + jitter.
    retrying = stamina.retry_context(
        on=_backoff, attempts=retries + 1, timeout=None, wait_initial=1.0, wait_max=60.0
    )
    for attempt in retrying:
        with attempt:
            if wait > 0:
                sleep(wait)
            try:
                return call()
            except Transient as transient:
                wait = transient.retry_after or 0.0
                raise
    raise AssertionError("stamina ended without a result or an exception")
