"""robots.txt: what a status and body mean, and a per-origin cache of the result.

    2xx                      the rules in the body (first 512 KiB), parsed by protego
    401, 403                 disallow everything (the site refuses to say what is allowed)
    other 4xx (404, 410...)  allow everything: there is no robots.txt
    5xx, 429, network error  unreachable: every URL is refused for now (`RobotsDisallowed`),
    or a blown deadline      and robots.txt is asked again after `UNREACHABLE_TTL`, so a broken
                             server is not hit once per page
    redirects                followed by the fetcher up to 5 hops within the host or the allowed
                             hosts; beyond that robots.txt counts as missing (RFC 9309 2.3.1.2)

Parsed rules are kept for `ROBOTS_TTL` (RFC 9309 asks for at most 24 hours).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from protego import Protego

from worker.fetch.locks import KeyedLocks

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
