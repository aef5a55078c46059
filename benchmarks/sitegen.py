"""Shared by the benchmarks: many distinct briefing pages, a local site serving them, references.

- `briefing_copies(n, sites)`: `n` distinct pages made from the golden fixture pages
  (tests/fixtures/pages), each with its own document number (where the page has one) and a
  sentence naming its index in its first paragraph, so each copy is its own record and version
  while keeping the fixture's size and shape.
- `midru_listings(paths, per_page)`: mid.ru-style listing pages (`?PAGEN_1=N` pagination) that
  link the given briefing paths.
- `serve(build)`: `worker.demo.site.SampleSite` (ETag/304) serving the pages `build()` makes,
  from a child process, so neither the server's Python work (GIL) nor the pages' bytes (RSS)
  count against the measured worker; yields the base URL and the served paths and sizes.
- `bare_get_loop(urls)`: the reference every benchmark divides by: one `httpx.Client`, GET
  each URL, read the body; no parse, no store.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from html import escape
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import psutil

from worker.demo import site as demo_site
from worker.demo.site import SampleSite
from worker.profiles import load_profiles

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
LISTING_PATH = "/en/press_service/spokesman/briefings/"
# Where each site's copies are served; the URL is not used by the extract stage.
PATH_TEMPLATES = {
    "mid.ru": "/{lang}/press_service/spokesman/briefings/{number}/",
    "globalsecurity": "/wmd/library/news/russia/copies/russia-{number}-mfab01.htm",
    "generic": "/{lang}/news/briefings/{number}-briefing.html",
}
LINK_PATTERNS = {
    "mid.ru": r"/(en|ru)/press_service/spokesman/briefings/\d{6,8}/$",
    "globalsecurity": r"/wmd/library/news/russia/copies/russia-\d+-mfab01\.htm$",
    "generic": r"/(en|ru)/news/briefings/\d+-briefing\.html$",
}
FIRST_NUMBER = 2_000_000  # copies are numbered from here, like mid.ru's 7-digit ids


@dataclass(frozen=True)
class Fixture:
    """One golden page and what makes a copy of it distinct."""

    name: str
    site: str  # the site profile that reads it
    language: str
    content_type: str
    body: bytes
    anchor: bytes  # the start of its first body paragraph, found once in `body`
    document_number: bytes | None  # as it appears in `body`, when it appears exactly once


@dataclass(frozen=True)
class Served:
    """One page on the local site."""

    path: str
    body: bytes
    content_type: str
    site: str
    kind: str = "briefing"


def load_fixtures(sites: Sequence[str] | None = None) -> list[Fixture]:
    """The golden briefing pages (of `sites`, by profile name), with their copy anchors."""
    profiles = load_profiles()
    index = json.loads((FIXTURES / "index.json").read_text(encoding="utf-8"))
    fixtures = []
    for entry in index:
        if entry["kind"] != "page":
            continue
        body = (FIXTURES / entry["path"]).read_bytes()
        expected = json.loads(
            (FIXTURES / entry["path"]).with_suffix(".json").read_text(encoding="utf-8")
        )
        site = profiles.for_url(entry["url"]).name
        if sites is not None and site not in sites:
            continue
        number = expected.get("document_number")
        number_bytes = number.encode("ascii") if number else None
        fixtures.append(
            Fixture(
                name=entry["name"],
                site=site,
                language=expected.get("language") or "en",
                content_type=entry["content_type"],
                body=body,
                anchor=_anchor(body, expected),
                document_number=(
                    number_bytes if number_bytes and body.count(number_bytes) == 1 else None
                ),
            )
        )
    if not fixtures:
        raise SystemExit(f"no fixture pages for sites {sites}")
    return fixtures


def _anchor(body: bytes, expected: dict[str, Any]) -> bytes:
    """The first 30 characters of the first body paragraph found verbatim, once, in `body`."""
    for section in expected["sections"]:
        paragraphs: list[str] = section.get("paragraphs") or []
        for paragraph in paragraphs:
            for encoding in ("utf-8", "cp1251", "cp1252"):
                try:
                    start = paragraph[:30].encode(encoding)
                except UnicodeEncodeError:
                    continue
                if len(start) >= 12 and body.count(start) == 1:
                    return start
    raise SystemExit("a fixture page has no paragraph whose text appears verbatim in its HTML")


def distinct_copy(fixture: Fixture, index: int) -> bytes:
    """The fixture's bytes with a document number and a sentence of its own."""
    body = fixture.body
    if fixture.document_number is not None:
        _, dash, rest = fixture.document_number.partition(b"-")
        body = body.replace(fixture.document_number, b"%d%s%s" % (1000 + index, dash, rest))
    sentence = b"This is copy %d of the briefing, served for the benchmark. " % index
    return body.replace(fixture.anchor, sentence + fixture.anchor, 1)


def briefing_copies(count: int, sites: Sequence[str] | None = None) -> list[Served]:
    """`count` distinct briefing pages, cycling through the fixtures of `sites`."""
    fixtures = load_fixtures(sites)
    pages = []
    for index in range(count):
        fixture = fixtures[index % len(fixtures)]
        number = FIRST_NUMBER + index
        path = PATH_TEMPLATES[fixture.site].format(lang=fixture.language, number=number)
        pages.append(
            Served(path, distinct_copy(fixture, index), fixture.content_type, fixture.site)
        )
    return pages


def midru_listings(paths: Sequence[str], per_page: int = 20) -> list[Served]:
    """mid.ru listing pages (newest first) linking `paths`, `per_page` to a page."""
    chunks = [paths[start : start + per_page] for start in range(0, len(paths), per_page)]
    listings = []
    for number, chunk in enumerate(chunks, start=1):
        items = "\n".join(
            '<li class="announce__item">\n<div class="announce__meta">'
            '<span class="announce__date">29.05.2024</span> '
            '<span class="announce__time">16:14</span></div>\n'
            f'<a class="announce__link" href="{escape(path)}">Briefing by Foreign Ministry '
            f"Spokeswoman Maria Zakharova, Moscow (item {number}.{i})</a>\n</li>"
            for i, path in enumerate(chunk)
        )
        pager = " ".join(
            f'<a class="pagination__page" href="?PAGEN_1={n}">{n}</a>'
            if n != number
            else f'<span class="pagination__current">{n}</span>'
            for n in range(max(1, number - 3), min(len(chunks), number + 3) + 1)
        )
        if number > 1:
            pager = (
                f'<a class="pagination__prev" href="?PAGEN_1={number - 1}">Previous</a> ' + pager
            )
        if number < len(chunks):
            pager += f' <a class="pagination__next" href="?PAGEN_1={number + 1}">Next</a>'
        html = _LISTING.format(items=items, pager=pager)
        path = LISTING_PATH if number == 1 else f"{LISTING_PATH}?PAGEN_1={number}"
        listings.append(
            Served(path, html.encode("utf-8"), "text/html; charset=UTF-8", "mid.ru", "listing")
        )
    return listings


_LISTING = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Briefings - The Ministry of Foreign Affairs of the Russian Federation</title></head>
<body class="page page_list">
<header class="header"><a class="header__logo" href="/en/">The Ministry of Foreign Affairs of the Russian Federation</a></header>
<main class="main" id="main">
<div class="container">
<h1 class="page-title">Briefings</h1>
<ul class="announce announce_articles">
{items}
</ul>
<div class="pagination">{pager}</div>
<section class="related">
<h2 class="related__title">Latest news</h2>
<ul class="announce announce_related">
<li class="announce__item"><a class="announce__link" href="/en/foreign_policy/news/1900001/">Foreign Minister's greetings to participants of a youth diplomacy forum</a></li>
</ul>
</section>
</div>
</main>
<footer class="footer">&copy; The Ministry of Foreign Affairs of the Russian Federation</footer>
</body>
</html>
"""


# ---- the local site, in a child process ---------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """What the measuring process learns of a served page: no body, so its RSS stays its own."""

    path: str
    size: int
    site: str
    kind: str


def briefing_site(
    count: int, sites: tuple[str, ...] | None = None, listing_per_page: int = 0
) -> list[Served]:
    """`count` distinct briefings; with `listing_per_page`, mid.ru listing pages linking them."""
    pages = briefing_copies(count, sites)
    if listing_per_page:
        pages = midru_listings([p.path for p in pages], listing_per_page) + pages
    return pages


def _serve(build: Callable[[], list[Served]], conn: Connection) -> None:
    # http.server sends the headers and the body in two writes; with Nagle's algorithm on, the
    # body's last segment waits for the client's delayed ACK of the first (40 ms on Linux), which
    # caps a keep-alive client at ~25 pages/s. Real servers do not do that: turn Nagle off here.
    demo_site._Handler.disable_nagle_algorithm = True
    pages = build()
    with SampleSite({}) as site:
        for page in pages:
            site.set_page(page.path, page.body, page.content_type)
        conn.send((site.base_url, [Listed(p.path, len(p.body), p.site, p.kind) for p in pages]))
        conn.recv()  # anything (or EOF) stops the server


@contextmanager
def serve(build: Callable[[], list[Served]]) -> Iterator[tuple[str, list[Listed]]]:
    """Serve the pages `build()` makes (in a child process, which builds them too, so their
    bytes never count in this process's RSS); yields the base URL and what is served."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(build, theirs), daemon=True)
    process.start()
    try:
        if not ours.poll(120):
            raise SystemExit("the local site did not start within 120 s")
        base_url, listed = ours.recv()
        yield str(base_url), list(listed)
    finally:
        with suppress(OSError):
            ours.send("stop")
        process.join(10)
        if process.is_alive():
            process.terminate()
            process.join()


# ---- references and measurements ----------------------------------------------------------


@dataclass(frozen=True)
class LoopResult:
    seconds: float
    requests: int
    statuses: dict[int, int]
    bytes: int
    etags: dict[str, str]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def bare_get_loop(urls: Sequence[str], etags: Mapping[str, str] | None = None) -> LoopResult:
    """GET every URL once with one client, reading the body; with `etags`, conditionally."""
    statuses: dict[int, int] = {}
    total = 0
    seen: dict[str, str] = {}
    with httpx.Client(trust_env=False, timeout=10.0) as client:
        started = time.perf_counter()
        for url in urls:
            etag = etags.get(url) if etags else None
            response = client.get(url, headers={"If-None-Match": etag} if etag else None)
            total += len(response.content)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if "etag" in response.headers:
                seen[url] = response.headers["etag"]
        seconds = time.perf_counter() - started
    return LoopResult(seconds, len(urls), statuses, total, seen)


MIB = 1024 * 1024


def rss_mib() -> float:
    """This process's resident set size now, in MiB."""
    return float(psutil.Process().memory_info().rss) / MIB


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB (children not included)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MIB if sys.platform == "darwin" else peak / 1024  # bytes on macOS, else KiB
