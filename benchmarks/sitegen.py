"""Shared by the benchmarks: many distinct briefing pages, a local site serving them, references.

- `briefing_copies(n, sites)`: `n` distinct pages made from the golden fixture pages
  (tests/fixtures/pages; not the cut-off download, which never makes a version): each keeps its fixture's chrome and markup (pages of a site share
  those, as real ones do) and document number format, but every paragraph, turn and heading
  found verbatim in the HTML is refilled with new text of the same length in words, babbled by
  a seeded word chain over all the fixtures' text, so no two pages share their text (which
  would flatter any cross-page compression) and each is its own record.
- `midru_listings(paths, per_page)`: mid.ru-style listing pages (`?PAGEN_1=N` pagination) that
  link the given briefing paths.
- `serve(build)`: `worker.demo.site.SampleSite` (ETag/304) serving the pages `build()` makes,
  from a child process, so neither the server's Python work (GIL) nor the pages' bytes (RSS)
  count against the measured worker, one server (port) per host the pages name; yields the
  first base URL and the served paths, URLs and sizes.
- `bare_get_loop(urls)`: the reference every benchmark divides by: one `httpx.Client`, GET
  each URL, read the body; no parse, no store.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import re
import resource
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, replace
from functools import lru_cache
from html import escape
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil

from worker import parse_page
from worker.demo import site as demo_site
from worker.demo.site import SampleSite
from worker.extract import looks_truncated
from worker.page import Page
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
class Slot:
    """A piece of a fixture's text (a paragraph, a turn's paragraph, a sentence of one, or a
    heading) and every place its bytes sit in the page: a heading appears in the TOC too."""

    spans: tuple[tuple[int, int], ...]
    words: int
    heading: bool


@dataclass(frozen=True)
class Fixture:
    """One golden page: its chrome and markup, and the slots its text fills."""

    name: str
    site: str  # the site profile that reads it
    host: str  # where the page was found: the pages made from it share this host's chrome
    language: str
    content_type: str
    encoding: str
    body: bytes
    slots: tuple[Slot, ...]
    document_number: bytes | None  # as it appears in `body`, when it appears exactly once


@dataclass(frozen=True)
class Served:
    """One page on the local site."""

    path: str
    body: bytes
    content_type: str
    site: str
    kind: str = "briefing"
    host: str = ""  # pages of one host are served by one server of their own (see `serve`)


class Babbler:
    """Text in one language from an order-1 word Markov chain over every fixture page's text.

    Drawing whole paragraphs from the fixtures would repeat each of their ~200 paragraphs on
    ~50 pages, the very redundancy a cross-page compressor feeds on; a word chain keeps the
    language's word frequencies and short phrases but no long verbatim runs across pages.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        self.follows: dict[str, list[str]] = {}
        self.starts: list[str] = []
        for text in texts:
            words = text.split()
            for k, word in enumerate(words):
                if k == 0 or _ENDS_SENTENCE.search(words[k - 1]):
                    self.starts.append(word)
                if k + 1 < len(words):
                    self.follows.setdefault(word, []).append(words[k + 1])

    def words(self, rng: random.Random, count: int) -> list[str]:
        """Whole sentences, at least `count` words of them."""
        out: list[str] = []
        while len(out) < count:
            word = rng.choice(self.starts)
            for _ in range(60):
                out.append(word)
                if _ENDS_SENTENCE.search(word) or word not in self.follows:
                    break
                word = rng.choice(self.follows[word])
            if not _ENDS_SENTENCE.search(out[-1]):
                out[-1] = out[-1].rstrip(",;:") + "."
        return out

    def paragraph(self, rng: random.Random, count: int) -> str:
        """`count` words: whole sentences, the last cut short where the count ends."""
        words = self.words(rng, count)[:count]
        if not _ENDS_SENTENCE.search(words[-1]):
            words[-1] = words[-1].rstrip(",;:") + "."
        return " ".join(words)

    def heading(self, rng: random.Random, count: int) -> str:
        words = [word.rstrip(".?!…") for word in self.words(rng, count)[:count]]
        text = " ".join(words).rstrip(",;:»")
        return text[:1].upper() + text[1:]


_ENDS_SENTENCE = re.compile(r"[.?!…][»\"”’)]*$")
_SENTENCES = re.compile(r"(?<=[.?!…])\s+")


def load_fixtures(sites: Sequence[str] | None = None) -> list[Fixture]:
    """The golden briefing pages (of `sites`, by profile name), with their text slots."""
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
        headers = {"content-type": entry["content_type"]}
        page = Page.from_bytes(body, url=entry["url"], headers=headers)
        if looks_truncated(page, parse_page(body, entry["url"], headers=headers)):
            continue  # a cut-off download: the archive keeps its bytes but never a version
        encoding = "cp1251" if "1251" in entry["content_type"] else "utf-8"
        number = expected.get("document_number")
        number_bytes = number.encode("ascii") if number else None
        fixtures.append(
            Fixture(
                name=entry["name"],
                site=site,
                host=urlsplit(entry["url"]).netloc,
                language=expected.get("language") or "en",
                content_type=entry["content_type"],
                encoding=encoding,
                body=body,
                slots=_slots(body, expected, encoding),
                document_number=(
                    number_bytes if number_bytes and body.count(number_bytes) == 1 else None
                ),
            )
        )
    if not fixtures:
        raise SystemExit(f"no fixture pages for sites {sites}")
    return fixtures


def _texts(record: dict[str, Any]) -> list[str]:
    """Every paragraph of the record's body, a turn's paragraphs one by one."""
    texts: list[str] = []
    for section in record["sections"]:
        texts += section.get("paragraphs") or []
        for turn in section.get("turns") or []:
            texts += turn["text"].split("\n\n")
    return texts


def _headings(record: dict[str, Any]) -> list[str]:
    headings = [s["heading"] for s in record["sections"] if s.get("heading")]
    return list(dict.fromkeys(headings + [e["heading"] for e in record["toc"]]))


def _slots(body: bytes, record: dict[str, Any], encoding: str) -> tuple[Slot, ...]:
    """Where the record's text is found verbatim in `body`: a paragraph found once, else its
    sentences found once; then every occurrence of each heading outside those."""
    taken: list[tuple[int, int]] = []
    slots: list[Slot] = []

    def find(text: str) -> list[tuple[int, int]]:
        needle = escape(text, quote=False).encode(encoding, "xmlcharrefreplace")
        spans, at = [], body.find(needle)
        while at >= 0:
            spans.append((at, at + len(needle)))
            at = body.find(needle, at + 1)
        return [s for s in spans if not any(s[0] < b and a < s[1] for a, b in taken)]

    for text in _texts(record):
        pieces = [text] if len(find(text)) == 1 else _SENTENCES.split(text)
        for piece in pieces:
            spans = find(piece)
            if len(spans) == 1 and len(piece) >= 20:
                taken.extend(spans)
                slots.append(Slot(tuple(spans), len(piece.split()), heading=False))
    for heading in sorted(_headings(record), key=len, reverse=True):
        spans = find(heading)
        if spans and len(heading) >= 12:
            taken.extend(spans)
            slots.append(Slot(tuple(spans), len(heading.split()), heading=True))
    return tuple(slots)


# The fixtures hold one Russian briefing (~400 words): a chain over it would replay it nearly
# verbatim on every Russian page. Russian pages babble the English text spelled in Cyrillic
# instead: not Russian, but with a real vocabulary's size, repetition and UTF-8/cp1251 bytes.
_CYRILLIC = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "абцдефгхийклмнопярстувшжызАБЦДЕФГХИЙКЛМНОПЯРСТУВШЖЫЗ",
)


@lru_cache(maxsize=1)
def babblers() -> dict[str, Babbler]:
    """A `Babbler` per language: English over every English fixture page's text, Russian
    over the same text in Cyrillic letters (see `_CYRILLIC`)."""
    texts: list[str] = []
    for entry in json.loads((FIXTURES / "index.json").read_text(encoding="utf-8")):
        if entry["kind"] == "page":
            path = (FIXTURES / entry["path"]).with_suffix(".json")
            record = json.loads(path.read_text(encoding="utf-8"))
            if (record.get("language") or "en") == "en":
                texts.extend(_texts(record))
    return {"en": Babbler(texts), "ru": Babbler([t.translate(_CYRILLIC) for t in texts])}


def distinct_copy(fixture: Fixture, index: int) -> bytes:
    """The fixture's chrome and markup around text of its own: every slot refilled from the
    language's word chain (seeded by `index`), and a document number of its own."""
    rng = random.Random(f"{fixture.name}/{index}")
    babbler = babblers()[fixture.language]
    edits: list[tuple[int, int, bytes]] = []
    for slot in fixture.slots:
        if slot.heading:
            text = babbler.heading(rng, slot.words)
        else:
            text = babbler.paragraph(rng, slot.words)
        new = escape(text, quote=False).encode(fixture.encoding, "xmlcharrefreplace")
        edits.extend((start, end, new) for start, end in slot.spans)
    body = fixture.body
    for start, end, new in sorted(edits, reverse=True):
        body = body[:start] + new + body[end:]
    if fixture.document_number is not None:
        _, dash, rest = fixture.document_number.partition(b"-")
        body = body.replace(fixture.document_number, b"%d%s%s" % (1000 + index, dash, rest))
    return body


def briefing_copies(count: int, sites: Sequence[str] | None = None) -> list[Served]:
    """`count` distinct briefing pages, cycling through the fixtures of `sites`; each names its
    fixture's host."""
    fixtures = load_fixtures(sites)
    pages = []
    for index in range(count):
        fixture = fixtures[index % len(fixtures)]
        number = FIRST_NUMBER + index
        path = PATH_TEMPLATES[fixture.site].format(lang=fixture.language, number=number)
        body = distinct_copy(fixture, index)
        pages.append(Served(path, body, fixture.content_type, fixture.site, host=fixture.host))
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
    url: str


def briefing_site(
    count: int,
    sites: tuple[str, ...] | None = None,
    listing_per_page: int = 0,
    *,
    by_host: bool = False,
) -> list[Served]:
    """`count` distinct briefings; with `listing_per_page`, mid.ru listing pages linking them.

    With `by_host`, each page is served from a server of its fixture's host, so pages of one
    site share a host (as the archive sees sites); else all from one server.
    """
    pages = briefing_copies(count, sites)
    if not by_host:
        pages = [replace(page, host="") for page in pages]
    if listing_per_page:
        pages = midru_listings([p.path for p in pages], listing_per_page) + pages
    return pages


def _serve(build: Callable[[], list[Served]], conn: Connection) -> None:
    # http.server sends the headers and the body in two writes; with Nagle's algorithm on, the
    # body's last segment waits for the client's delayed ACK of the first (40 ms on Linux), which
    # caps a keep-alive client at ~25 pages/s. Real servers do not do that: turn Nagle off here.
    demo_site._Handler.disable_nagle_algorithm = True
    pages = build()
    with ExitStack() as stack:
        servers: dict[str, SampleSite] = {}
        for page in pages:
            if page.host not in servers:
                # A loopback address (127.0.0.2...) is a host of its own to the worker's pacer.
                address = page.host if page.host.startswith("127.") else "127.0.0.1"
                servers[page.host] = stack.enter_context(SampleSite({}, address=address))
            servers[page.host].set_page(page.path, page.body, page.content_type)
        listed = [
            Listed(p.path, len(p.body), p.site, p.kind, servers[p.host].url(p.path)) for p in pages
        ]
        conn.send((next(iter(servers.values())).base_url, listed))
        conn.recv()  # anything (or EOF) stops the servers


@contextmanager
def serve(build: Callable[[], list[Served]]) -> Iterator[tuple[str, list[Listed]]]:
    """Serve the pages `build()` makes (in a child process, which builds them too, so their
    bytes never count in this process's RSS), a server per `Served.host`; yields the first
    server's base URL and what is served, with each page's URL."""
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
