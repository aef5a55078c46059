"""Every error the worker raises on purpose, in one tree.

    BriefingsError                 base; `str(error)` is one line naming the thing at fault
    ├── ConfigError                a config file or key is wrong (names file and key)
    ├── BadURL                     a URL given by a user, a page or a server cannot be used
    ├── ExtractError               a page is refused: reason `challenge`, `not-a-briefing`, `empty`
    ├── FetchError                 one URL could not be fetched (names the URL)
    │   ├── RobotsDisallowed       robots.txt forbids the URL for our user agent
    │   ├── HostNotAllowed         the URL or a redirect leaves the source's allowed hosts
    │   ├── HTTPStatusError        the server answered with an error status (`.status`)
    │   ├── ResponseTooLarge       the decoded body passed the byte cap
    │   ├── DeadlineExceeded       the whole request took longer than its total deadline
    │   ├── NotHTML                the response is not an HTML page
    │   ├── TransportError         connecting, TLS or reading failed
    │   ├── BadAddress             the URL to fetch is not a usable http(s) URL
    │   ├── ProtocolViolation      the server broke HTTP (bad headers, Content-Length): not retried
    │   │   └── BadRedirect        a redirect without a usable Location, or too many of them
    │   └── Interrupted            the stop event ended a wait (pacing, retry): the fetch gave up
    ├── DiscoverError              a source's listing pages yielded no briefing links
    ├── ArchiveError               the archive cannot do what was asked
    │   ├── DocumentNotFound       no document matches a URL, id or document number
    │   ├── VersionNotFound        a document has no version of that number
    │   └── SearchQueryError       a search query SQLite cannot run
    └── DaemonError                the daemon cannot start
        └── ArchiveLocked          another daemon holds the archive's lock file

Callers catch `BriefingsError` at the edge (the CLI, the daemon loop); nothing catches bare
`Exception` to hide a bug. Every message is one line: text a user, a page or a server supplied
goes through `shown()`, which escapes control characters (a CR LF in a URL cannot split a log
line or a terminal line) and cuts very long values.
"""

from __future__ import annotations

import re
from typing import Literal

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
SHOWN_MAX_CHARS = 300

RefusalReason = Literal["challenge", "not-a-briefing", "empty", "too-complex"]


def shown(text: str, limit: int = SHOWN_MAX_CHARS) -> str:
    """`text` safe for a one-line message: control characters escaped (`\\r`, `\\x00`), and
    cut to `limit` characters with `…` when longer."""
    escaped = _CONTROL.sub(_escape, text)
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in named:
        return named[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


class BriefingsError(Exception):
    """Base of every error the worker raises on purpose."""


class ConfigError(BriefingsError):
    def __init__(self, where: str, key: str, problem: str) -> None:
        self.where = where
        self.key = key
        self.problem = problem
        super().__init__(f"{where}: {key}: {problem}")


class BadURL(BriefingsError):
    """A URL that cannot be used: not http(s), no host, a bad host name or port, control
    characters. `problem` says which; the message names the URL (escaped, cut when long)."""

    def __init__(self, url: str, problem: str) -> None:
        self.url = url
        self.problem = problem
        super().__init__(f"{shown(url)}: not a usable URL: {problem}")


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
        super().__init__(shown(f"{shown(url)}: {detail}", 2 * SHOWN_MAX_CHARS))


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


class BadAddress(FetchError):
    outcome = "bad url"


class ProtocolViolation(FetchError):
    """A response that breaks HTTP in a way no retry mends: failed at once, never retried."""

    outcome = "protocol"


class BadRedirect(ProtocolViolation):
    outcome = "bad redirect"


class Interrupted(FetchError):
    outcome = "interrupted"


class DiscoverError(BriefingsError):
    pass


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
