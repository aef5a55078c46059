"""Pages of one run, host by host at once: a lane (thread) per host.

    run_in_lanes(ctx, urls, work, stop, count)
      ├── one host        the caller's thread and Context, page after page (no thread at all)
      └── several hosts   a lane per host (at most MAX_LANES at once), each with its own
                          Context (its own SQLite connection) and the run's shared Fetcher

A slow or stalled host holds up only its own lane: the others go on at their own pace. Every
request still takes its host's turn in the Fetcher's one `HostPacer` (and its one robots.txt
cache), so lanes, jobs and the recheck job asking the same host are paced as one.

Threads, not asyncio: the fetch stack is synchronous httpx with one shared, thread-safe Client,
and a page's time is spent waiting (pacing, the network, SQLite's write lock), all of which
release the GIL. asyncio would mean a second, async fetch stack (every guarantee of
`worker.fetch` written twice) and still a thread for SQLite and for extraction. Writes stay
single-writer: each page is one short `BEGIN IMMEDIATE` transaction on the lane's own
connection (WAL; the busy timeout queues writers).

Stop: lanes check `stop` between pages, and the daemon's Fetcher ends every wait on it at once.
A lane that raises (the archive's disk, say) halts the other lanes after their page in hand, and
its error goes to the caller once every lane has ended; so does a KeyboardInterrupt in the
calling thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from typing import TypeVar

from worker import urls
from worker.errors import BadURL

# Hosts fetched at once in one run; more wait for a free lane. Each lane holds a connection.
MAX_LANES = 8

C = TypeVar("C")  # the pipeline's Context (kept generic: this module does not import the pipeline)
T = TypeVar("T")


def host_of(url: str) -> str:
    """The lane a URL goes to: its host's server (`www.` and the bare name share one, as they
    share one pace); a URL with no usable host gets a lane of its own, where its fetch fails
    with the reason."""
    try:
        return urls.server_of(urls.host_of(url))
    except BadURL:
        return ""


def by_host(urls: Iterable[str]) -> dict[str, list[str]]:
    """URLs grouped by host, hosts in order of first appearance, each host's URLs in order."""
    groups: dict[str, list[str]] = {}
    for url in urls:
        groups.setdefault(host_of(url), []).append(url)
    return groups


def run_in_lanes(
    ctx: C,
    urls: Iterable[str],
    work: Callable[[C, str], T],
    *,
    stop: threading.Event,
    count: Callable[[T], None],
    lane_context: Callable[[C], AbstractContextManager[C]],
) -> bool:
    """`count(work(lane_ctx, url))` for every URL, hosts at once; False when stopped early.

    `lane_context(ctx)` gives a Context for a lane's thread (with its own archive connection);
    `count` is called under a lock, one outcome at a time.
    """
    groups = by_host(urls)
    if len(groups) <= 1:
        for url in next(iter(groups.values()), []):
            if stop.is_set():
                return False
            count(work(ctx, url))
        return True
    halt = threading.Event()  # this run's own: a failing lane must not stop the daemon
    counting = threading.Lock()

    def lane(host_urls: list[str]) -> bool:
        with lane_context(ctx) as own:
            for url in host_urls:
                if stop.is_set() or halt.is_set():
                    return False
                outcome = work(own, url)
                with counting:
                    count(outcome)
        return True

    workers = min(MAX_LANES, len(groups))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lane") as pool:
        futures = [pool.submit(lane, group) for group in groups.values()]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
        finally:
            # All done, or a lane failed, or Ctrl-C: the others end after their page in hand,
            # and leaving `with` waits for them.
            halt.set()
    for future in futures:
        future.result()  # the first lane's error, if any
    return all(future.result() for future in futures)
