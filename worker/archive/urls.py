"""Canonical URLs: the key a document is stored under.

Two spellings of one address (`HTTPS://WWW.Example.org:443/a#top`, `https://www.example.org/a`)
must find the same document, while path and query stay exactly as the site wrote them, since
sites treat them as case-sensitive and meaningful.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from worker.errors import ArchiveError

_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no default port; path and query kept."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise ArchiveError(f"{url}: not a valid URL ({error})") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not scheme or not host:
        raise ArchiveError(f"{url}: not an absolute URL")
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
