"""Every error the worker raises on purpose, in one tree.

    BriefingsError                 base; `str(error)` is one line naming the thing at fault
    ├── ConfigError                a config file or key is wrong (names file and key)
    ├── ExtractError               a page is refused: reason `challenge`, `not-a-briefing`, `empty`
    ├── FetchError                 one URL could not be fetched (names the URL)
    │   ├── RobotsDisallowed       robots.txt forbids the URL for our user agent
    │   ├── HostNotAllowed         the URL or a redirect leaves the source's allowed hosts
    │   ├── HTTPStatusError        the server answered with an error status (`.status`)
    │   ├── ResponseTooLarge       the decoded body passed the byte cap
    │   ├── DeadlineExceeded       the whole request took longer than its total deadline
    │   ├── NotHTML                the response is not an HTML page
    │   ├── TransportError         connecting, TLS or reading failed
    │   └── Interrupted            the stop event ended a wait (pacing, retry): the fetch gave up
    ├── ArchiveError               the archive cannot do what was asked
    │   ├── DocumentNotFound       no document matches a URL, id or document number
    │   ├── VersionNotFound        a document has no version of that number
    │   └── SearchQueryError       a search query SQLite cannot run
    └── DaemonError                the daemon cannot start
        └── ArchiveLocked          another daemon holds the archive's lock file

Callers catch `BriefingsError` at the edge (the CLI, the daemon loop); nothing catches bare
`Exception` to hide a bug.
"""

from __future__ import annotations

from typing import Literal

RefusalReason = Literal["challenge", "not-a-briefing", "empty"]


class BriefingsError(Exception):
    """Base of every error the worker raises on purpose."""


class ConfigError(BriefingsError):
    def __init__(self, where: str, key: str, problem: str) -> None:
        self.where = where
        self.key = key
        self.problem = problem
        super().__init__(f"{where}: {key}: {problem}")


class ExtractError(BriefingsError):
    """A page that must not become a record. `reason` is a stable keyword for scripts."""

    def __init__(self, reason: RefusalReason, source: str | None, detail: str = "") -> None:
        self.reason: RefusalReason = reason
        self.source = source
        self.detail = detail
        where = f"{source}: " if source else ""
        extra = f": {detail}" if detail else ""
        super().__init__(f"{where}not a briefing page ({reason}){extra}")


class FetchError(BriefingsError):
    """`outcome` is the short form logged in the fetches table (`error: <outcome>`)."""

    outcome = "fetch failed"

    def __init__(self, url: str, detail: str) -> None:
        self.url = url
        self.detail = detail
        super().__init__(f"{url}: {detail}")


class RobotsDisallowed(FetchError):
    outcome = "robots"


class HostNotAllowed(FetchError):
    outcome = "host not allowed"


class HTTPStatusError(FetchError):
    outcome = "http status"

    def __init__(self, url: str, status: int, detail: str = "") -> None:
        self.status = status
        super().__init__(url, detail or f"HTTP {status}")


class ResponseTooLarge(FetchError):
    outcome = "too large"


class DeadlineExceeded(FetchError):
    outcome = "deadline"


class NotHTML(FetchError):
    outcome = "not html"


class TransportError(FetchError):
    outcome = "transport"


class Interrupted(FetchError):
    outcome = "interrupted"


class ArchiveError(BriefingsError):
    pass


class DocumentNotFound(ArchiveError):
    pass


class VersionNotFound(ArchiveError):
    pass


class SearchQueryError(ArchiveError):
    pass


class DaemonError(BriefingsError):
    pass


class ArchiveLocked(DaemonError):
    pass
