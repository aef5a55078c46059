"""URLs and host names: the one place that checks, normalises and compares them.

Every URL the worker is given (the command line, a config, a listing page's link, a server's
`Location`) goes through `check` or `canonical_url` before it is used, so a hostile string is a
`BadURL` with one line naming it, never a traceback deep in httpx, idna or urllib.

The rules, one place each:

- Scheme: http or https only.
- Host: an IPv4 address, an IPv6 literal in brackets (no zone id), or a DNS name of labels of
  1-63 characters (letters, digits, `-`, `_`; no `-` at either end), at most 253 characters.
  Unicode names are turned into their IDNA (punycode) form; an `xn--` label must decode.
  Lower case; a trailing dot is dropped (`example.org.` is `example.org`).
- Port: 1-65535; the scheme's default port (80, 443) is dropped.
- Credentials (`user:password@`) are dropped: never sent, never stored, never shown.
- Path and query are kept exactly as written (sites treat them as case-sensitive and meaningful),
  except that a space or a non-ASCII character is percent-encoded as httpx sends it; an empty
  path is `/`. The fragment is dropped.
- Control characters anywhere (CR, LF, NUL, DEL...) make the URL unusable, as does a URL longer
  than `MAX_URL_CHARS`.
- Hosts are compared exactly (`host_allowed`: a source's `allowed_hosts`, the bound on every
  request) or with their subdomains (`host_matches(..., subdomains=True)`: a site profile's
  hosts, which only choose parsing rules).
- Pacing counts `www.` and the bare name as one server (`server_of`): `www.mid.ru` and `mid.ru`
  answer from the same machines, and asking each at the full rate would double the load.

Before this module the rules were spread over four copies that disagreed: the archive kept
credentials and a trailing dot, discovery kept a default port (`:80`) and credentials, and host
matching stripped the trailing dot in some places only. The archive's default-port rule, the
fetcher's trailing-dot rule and exact matching for allowed hosts are the ones kept.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import idna

from worker.errors import BadURL

MAX_URL_CHARS = 8192
MAX_HOST_CHARS = 253
MAX_LABEL_CHARS = 63
DEFAULT_PORTS = {"http": 80, "https": 443}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$")
_IPV4_LIKE = re.compile(r"^[0-9.]+$")
_TO_QUOTE = re.compile(r"[^\x21-\x7e]")


@dataclass(frozen=True)
class URL:
    """A checked http(s) URL in canonical form; `str(url)` is the canonical URL."""

    scheme: str
    host: str  # ASCII, lower case, no trailing dot; an IPv6 address in brackets
    port: int | None  # None for the scheme's default port
    path: str
    query: str

    @property
    def netloc(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.netloc}"

    def __str__(self) -> str:
        return urlunsplit((self.scheme, self.netloc, self.path, self.query, ""))


def check(url: str) -> URL:
    """`url` checked and in canonical form; `BadURL` saying what is wrong with it."""
    if not isinstance(url, str):
        raise BadURL(repr(url), "not a string")
    text = url.strip(" ")
    if len(text) > MAX_URL_CHARS:
        raise BadURL(text, f"longer than {MAX_URL_CHARS} characters")
    if _CONTROL.search(text):
        raise BadURL(text, "contains a control character")
    try:
        parts = urlsplit(text)
    except ValueError as error:
        raise BadURL(text, str(error)) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadURL(text, "not an http(s) URL")
    netloc = parts.netloc.rpartition("@")[2]  # credentials dropped
    host_text, port = _split_port(text, netloc)
    host = check_host(host_text, url=text)
    if port == DEFAULT_PORTS[scheme]:
        port = None
    return URL(scheme, host, port, _quoted(parts.path) or "/", _quoted(parts.query))


def canonical_url(url: str) -> str:
    """The key a document is stored under: `str(check(url))`."""
    return str(check(url))


def is_http_url(url: str) -> bool:
    try:
        check(url)
    except BadURL:
        return False
    return True


def host_of(url: str) -> str:
    return check(url).host


def join(base: str | None, href: str) -> str:
    """`href` made absolute against `base` and checked (a link, a redirect's `Location`)."""
    if _CONTROL.search(href):
        raise BadURL(href, "contains a control character")
    try:
        absolute = urljoin(base or "", href.strip())
    except ValueError as error:
        raise BadURL(href, str(error)) from None
    return canonical_url(absolute)


def without_credentials(url: str) -> str:
    """`url` as given but without `user:password@` (for URLs kept as the user wrote them)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def check_host(host: str, *, url: str | None = None) -> str:
    """A host name or address in canonical form (see the module's rules); `BadURL` if unusable."""
    where = url if url is not None else host
    if not host:
        raise BadURL(where, "no host")
    if host.startswith("["):
        return _ipv6(host, where)
    name = host.lower()
    if name.endswith("."):
        name = name[:-1]
    if not name:
        raise BadURL(where, "no host")
    if _IPV4_LIKE.match(name):
        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError:
            raise BadURL(where, f"{name!r} is not an IPv4 address") from None
    if not name.isascii():
        if len(name) > MAX_HOST_CHARS:
            raise BadURL(where, f"host longer than {MAX_HOST_CHARS} characters")
        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as error:
            raise BadURL(where, f"host is not a valid international name ({error})") from None
    for label in name.split("."):
        _check_label(label, where)
    if len(name) > MAX_HOST_CHARS:
        raise BadURL(where, f"host longer than {MAX_HOST_CHARS} characters")
    return name


def _check_label(label: str, where: str) -> None:
    if not label:
        raise BadURL(where, "host has an empty label")
    if len(label) > MAX_LABEL_CHARS:
        raise BadURL(where, f"host label longer than {MAX_LABEL_CHARS} characters")
    if label.startswith("xn--"):
        try:
            idna.decode(label)
        except (idna.IDNAError, UnicodeError) as error:
            raise BadURL(where, f"host label {label!r} is not valid punycode ({error})") from None
    elif not _LABEL.match(label):
        raise BadURL(where, f"host label {label!r} has a character not allowed")


def _ipv6(host: str, where: str) -> str:
    if not host.endswith("]"):
        raise BadURL(where, "unclosed IPv6 address")
    try:
        address = ipaddress.IPv6Address(host[1:-1])
    except ValueError:
        raise BadURL(where, f"{host} is not an IPv6 address") from None
    if address.scope_id:
        raise BadURL(where, "IPv6 zone ids are not allowed")
    return f"[{address.compressed}]"


def _split_port(url: str, netloc: str) -> tuple[str, int | None]:
    """The host part and the port of `netloc` (credentials already removed)."""
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise BadURL(url, "unclosed IPv6 address")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            raise BadURL(url, "text after the IPv6 address")
        port_text = rest[1:] if rest else ""
    else:
        host, _, port_text = netloc.partition(":")
    if not port_text:
        return host, None
    if not port_text.isdigit() or not port_text.isascii() or len(port_text) > 5:
        raise BadURL(url, f"port {port_text[:20]!r} is not a number from 1 to 65535")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise BadURL(url, f"port {port} is not from 1 to 65535")
    return host, port


def _quoted(text: str) -> str:
    """Spaces and non-ASCII characters percent-encoded (UTF-8), the rest as written."""
    if not _TO_QUOTE.search(text):
        return text
    return _TO_QUOTE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), text)


def host_allowed(host: str, allowed: frozenset[str] | set[str]) -> bool:
    """Whether `host` (canonical) is one of `allowed` (canonical), exactly."""
    return host in allowed


def host_matches(host: str, hosts: tuple[str, ...] | frozenset[str], *, subdomains: bool) -> bool:
    """Whether `host` is one of `hosts`, or with `subdomains` a name under one of them."""
    name = host.lower().rstrip(".")
    return any(name == h or (subdomains and name.endswith("." + h)) for h in hosts)


def server_of(host: str) -> str:
    """The server a canonical `host` is paced as: the name without a leading `www.`."""
    return host.removeprefix("www.") if host.count(".") >= 2 else host


def canonical_hosts(hosts: tuple[str, ...] | list[str]) -> frozenset[str]:
    """A set of hosts in canonical form; `BadURL` naming the first bad one."""
    return frozenset(check_host(h.strip()) for h in hosts)
