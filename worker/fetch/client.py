"""The `httpx.Client` the fetcher is given: our identity, our encodings, no automatic redirects."""

from __future__ import annotations

import httpx

from worker.config import Politeness
from worker.fetch.guard import DeadlineBackend

ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
# Never zstd or br: a response of a few bytes can decode to gigabytes before any cap is checked.
ACCEPT_ENCODING = "gzip, deflate"


def make_client(
    politeness: Politeness, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """A client for `Fetcher`: TLS verified; redirects are left to the fetcher to check each hop.

    Without a `transport` (tests pass one), its connections are bounded by each page's deadline
    (`worker.fetch.guard`); httpx has no public way to give its pool a network backend.
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
