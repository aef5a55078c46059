"""Stage 1, discover: from a source's listing pages to the briefing URLs they link to.

Pure functions, no I/O and no clock (the caller passes `today`), so a saved listing page is a
complete test case. A listing is read with the site profile's `[listing]` rules (CSS selectors of
the main list's items, the briefing links inside them, and the next-page link) and filtered by the
source's own `link_pattern` and `allowed_hosts`: the profile says where links are, the source says
which of them it archives, and nothing outside the allowed hosts is ever handed to the fetcher.

Sources whose listings are dated indexes (globalsecurity's `index_MM.htm` per month) give URL
templates with `{year}` and `{month:02d}` (`str.format` fields); `expand_listing_urls` turns them
into today's addresses and `months_back` walks them into the past for a backfill.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from worker import urls
from worker.config import Source
from worker.errors import BadURL
from worker.extract import limits
from worker.page import Page
from worker.profiles import ListingRules


@dataclass(frozen=True)
class Listing:
    """What one listing page yields: briefing URLs in page order and the next (older) page.

    `dates` runs beside `links`: the date the listing prints for each item, where the profile
    says where it is (`[listing] date`) and it can be read; a backfill `--since` uses them.
    """

    links: tuple[str, ...]
    next_url: str | None
    dates: tuple[date | None, ...] = ()
    anchors: int = field(
        default=0, compare=False
    )  # links of any kind on the page (says whether the markup changed)


def parse_listing(
    page: Page, rules: ListingRules, *, link_pattern: str, allowed_hosts: Collection[str]
) -> Listing:
    """Read the briefing links and the next-page link of one listing page.

    Links are made absolute against the page's URL (or its `<base href>`) and put in canonical
    form (`worker.urls`: no fragment, no credentials, lower-case host; an unusable link is
    skipped), de-duplicated keeping the first occurrence, and kept only when their host is
    allowed and the absolute URL matches `link_pattern` (`re.search`). The page is bounded
    like a briefing page (`worker.extract.limits`). Without an `items`
    rule the whole page is searched for `link`; with one, only links inside the main list's items
    count, so a "latest news" block that reuses the item markup elsewhere on the page is ignored.
    """
    limits.check_size(page.text, page.url)
    tree = LexborHTMLParser(page.text)
    base = _base_url(tree, page.url)
    pattern = re.compile(link_pattern)
    hosts = urls.canonical_hosts(tuple(allowed_hosts))

    links: dict[str, date | None] = {}
    anchors = 0
    for anchor, item_date in _link_nodes(tree, rules):
        anchors += 1
        url = _absolute(base, anchor)
        if url and _host_allowed(url, hosts) and pattern.search(url):
            links.setdefault(url, item_date)
    next_url = _next_url(tree, rules, base, page.url, hosts)
    if next_url is None and rules.numbered and links and page.url:
        next_url = numbered_next(page.url, rules.numbered)
    return Listing(
        links=tuple(links), next_url=next_url, dates=tuple(links.values()), anchors=anchors
    )


def numbered_next(url: str, numbered: str) -> str:
    """The page after `url` in a listing whose later pages are files `numbered` (`{n}` from 1)
    beside the first: after `.../default.shtml` (or `.../`) `.../default_1.shtml`, after that
    `.../default_2.shtml`. For sites that draw their pager with JavaScript: no link to follow,
    so a walk goes on while pages list links (a page past the last one is an error or empty)."""
    prefix, _, suffix = numbered.partition("{n}")
    parts = urlsplit(url)
    name = parts.path.rpartition("/")[2]
    current = re.fullmatch(re.escape(prefix) + r"(\d+)" + re.escape(suffix), name)
    number = int(current.group(1)) + 1 if current else 1
    return urljoin(urlunsplit(parts._replace(query="", fragment="")), f"{prefix}{number}{suffix}")


def expand_listing_urls(source: Source, today: date) -> list[str]:
    """The listing URLs to read today, templates filled in.

    A dated template gives this month's address and last month's, so a briefing filed into last
    month's index just after the month turned is still found. Plain URLs are returned as they are.
    """
    urls: dict[str, None] = {}
    for template in source.listing_urls:
        for url in months_back(template, today, _previous_month(today)):
            urls.setdefault(url)
    return list(urls)


def months_back(template: str, start: date, stop: date) -> Iterator[str]:
    """`template` filled for every month from `start` back to `stop` (both included), newest first.

    A template with `{year}` but no month yields each year once; a plain URL is yielded once.
    """
    seen: set[str] = set()
    month = date(start.year, start.month, 1)
    last = date(stop.year, stop.month, 1)
    while month >= last:
        url = template.format(year=month.year, month=month.month)
        if url not in seen:
            seen.add(url)
            yield url
        month = _previous_month(month)


def _previous_month(day: date) -> date:
    return date(day.year - 1, 12, 1) if day.month == 1 else date(day.year, day.month - 1, 1)


def _link_nodes(
    tree: LexborHTMLParser, rules: ListingRules
) -> Iterator[tuple[LexborNode, date | None]]:
    """Each briefing link with the date its list item prints, when there is one."""
    if rules.items is None:
        for anchor in tree.css(rules.link):
            yield anchor, None
        return
    # Items may nest (a layout table's row around the news table's rows): a link takes the date
    # of the innermost item holding it, which comes last in document order.
    found: dict[int, tuple[LexborNode, date | None]] = {}
    for item in tree.css(rules.items):
        item_date = _item_date(item, rules.date)
        for anchor in item.css(rules.link):
            previous = found.get(anchor.mem_id)
            found[anchor.mem_id] = (anchor, item_date if item_date else previous and previous[1])
    yield from found.values()


# Listings print dates as `13.06.2024` (mid.ru), `30 Nov 2020` (globalsecurity) or ISO.
_LISTING_DATE_FORMATS = ("%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%Y-%m-%d")


def _item_date(item: LexborNode, selector: str | None) -> date | None:
    node = item.css_first(selector) if selector else None
    text = " ".join(node.text().split()) if node is not None else ""
    for fmt in _LISTING_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _next_url(
    tree: LexborHTMLParser,
    rules: ListingRules,
    base: str | None,
    page_url: str | None,
    hosts: frozenset[str],
) -> str | None:
    if rules.next is None:
        return None
    here = _canonical(page_url) if page_url else None
    for anchor in tree.css(rules.next):
        url = _absolute(base, anchor)
        # A link back to the page itself would make a pagination walk loop forever.
        if url and url != here and _host_allowed(url, hosts):
            return url
    return None


def _base_url(tree: LexborHTMLParser, page_url: str | None) -> str | None:
    node = tree.css_first("base[href]")
    href = node.attributes.get("href") if node is not None else None
    if href and href.strip():
        try:
            return urls.join(page_url, href)
        except BadURL:
            return page_url  # an unusable <base href> is ignored, as browsers do
    return page_url


def _absolute(base: str | None, anchor: LexborNode) -> str | None:
    """The link's canonical absolute http(s) URL; None for in-page, other or unusable links."""
    href = (anchor.attributes.get("href") or "").strip()
    if not href or href.startswith("#"):
        return None
    try:
        return urls.join(base, href)
    except BadURL:
        return None


def _canonical(url: str) -> str | None:
    try:
        return urls.canonical_url(url)
    except BadURL:
        return None


def _host_allowed(url: str, hosts: frozenset[str]) -> bool:
    return urls.host_allowed(urls.host_of(url), hosts)
