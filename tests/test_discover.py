"""Stage 1, discover: golden listings from the fixtures, link filtering, URL templates."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from worker.config import Source, load_config
from worker.discover import Listing, expand_listing_urls, months_back, parse_listing
from worker.page import Page
from worker.profiles import ListingRules, load_profiles

CONFIG = Path(__file__).parent.parent / "config" / "worker.toml"
LISTINGS = [e for e in json.loads((FIXTURES / "index.json").read_text()) if e["kind"] == "listing"]


def fixture_page(entry: dict[str, Any]) -> Page:
    body = (FIXTURES / entry["path"]).read_bytes()
    return Page.from_bytes(body, url=entry["url"], headers={"Content-Type": entry["content_type"]})


def shipped_source(site: str) -> Source:
    config = load_config(CONFIG, load_profiles().names)
    return next(s for s in config.sources if s.site == site)


def read(page: Page, source: Source) -> Listing:
    rules = load_profiles().get(source.site or "generic").listing
    assert rules is not None
    return parse_listing(
        page, rules, link_pattern=source.link_pattern, allowed_hosts=source.allowed_hosts
    )


@pytest.mark.parametrize("entry", LISTINGS, ids=[e["name"] for e in LISTINGS])
def test_golden_listing(entry: dict[str, Any]) -> None:
    """The shipped config and site profiles read each listing exactly as its golden file says."""
    expected = json.loads((FIXTURES / entry["path"]).with_suffix(".json").read_text())
    site = load_profiles().for_url(entry["url"]).name
    listing = read(fixture_page(entry), shipped_source(site))
    assert list(listing.links) == expected["links"]
    assert listing.next_url == expected["next"]


def html_page(body: str, url: str = "https://mid.ru/en/list/") -> Page:
    return Page.from_bytes(body.encode(), url=url, headers={"content-type": "text/html"})


RULES = ListingRules(items="ul.main > li", link="a.item", next="a.next")
ANY_HOST = ("mid.ru", "www.mid.ru")


def test_only_links_matching_the_pattern_are_kept() -> None:
    page = html_page(
        '<ul class="main"><li><a class="item" href="/en/b/123456/">yes</a></li>'
        '<li><a class="item" href="/en/news/123456/">other section</a></li>'
        '<li><a class="item" href="/en/b/12/">too short</a></li></ul>'
    )
    listing = parse_listing(page, RULES, link_pattern=r"/en/b/\d{6,8}/$", allowed_hosts=ANY_HOST)
    assert listing.links == ("https://mid.ru/en/b/123456/",)


def test_links_to_other_hosts_are_dropped_even_when_the_pattern_matches() -> None:
    page = html_page(
        '<ul class="main">'
        '<li><a class="item" href="https://evil.example/en/b/111111/">a</a></li>'
        '<li><a class="item" href="https://WWW.MID.RU/en/b/222222/">b</a></li>'
        '<li><a class="item" href="//mirror.example/en/b/333333/">c</a></li>'
        '<li><a class="item" href="mailto:x@mid.ru">d</a></li></ul>'
    )
    listing = parse_listing(
        page, RULES, link_pattern=r"/en/b/\d+/$", allowed_hosts=("mid.ru", "www.mid.ru")
    )
    assert listing.links == ("https://www.mid.ru/en/b/222222/",)


def test_links_are_absolute_unique_in_page_order_and_without_fragments() -> None:
    page = html_page(
        '<ul class="main"><li><a class="item" href="../b/2/#top">2</a></li>'
        '<li><a class="item" href="https://mid.ru/en/b/1/">1</a></li>'
        '<li><a class="item" href="/en/b/2/">2 again</a></li></ul>',
        url="https://mid.ru/en/list/",
    )
    listing = parse_listing(page, RULES, link_pattern=r"/b/\d/$", allowed_hosts=ANY_HOST)
    assert listing.links == ("https://mid.ru/en/b/2/", "https://mid.ru/en/b/1/")


def test_base_href_is_honoured() -> None:
    page = html_page(
        '<head><base href="https://mid.ru/en/archive/"></head>'
        '<ul class="main"><li><a class="item" href="b/7/">7</a></li></ul>'
    )
    listing = parse_listing(page, RULES, link_pattern=r".", allowed_hosts=ANY_HOST)
    assert listing.links == ("https://mid.ru/en/archive/b/7/",)


def test_items_outside_the_main_list_do_not_count() -> None:
    page = html_page(
        '<ul class="main"><li><a class="item" href="/en/b/1/">1</a></li></ul>'
        '<ul class="related"><li><a class="item" href="/en/b/2/">2</a></li></ul>'
    )
    listing = parse_listing(page, RULES, link_pattern=r".", allowed_hosts=ANY_HOST)
    assert listing.links == ("https://mid.ru/en/b/1/",)


def test_without_an_items_rule_the_whole_page_is_searched() -> None:
    page = html_page('<p><a class="item" href="/a/">a</a></p><div><a class="item" href="/b/">b</a>')
    rules = ListingRules(link="a.item")
    listing = parse_listing(page, rules, link_pattern=r".", allowed_hosts=ANY_HOST)
    assert listing == Listing(
        links=("https://mid.ru/a/", "https://mid.ru/b/"), next_url=None, dates=(None, None)
    )


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        ('<a class="next" href="?PAGEN_1=3">Next</a>', "https://mid.ru/en/list/?PAGEN_1=3"),
        ('<a class="next" href="https://evil.example/?p=3">Next</a>', None),
        ('<a class="next" href="/en/list/">Next</a>', None),  # the page itself: would loop
        ("", None),
    ],
)
def test_next_page(anchor: str, expected: str | None) -> None:
    page = html_page(f'<ul class="main"></ul>{anchor}')
    listing = parse_listing(page, RULES, link_pattern=r".", allowed_hosts=ANY_HOST)
    assert listing.next_url == expected


def test_a_profile_without_a_next_rule_never_paginates() -> None:
    page = html_page('<a class="next" href="?PAGEN_1=2">Next</a>')
    listing = parse_listing(
        page, ListingRules(link="a.item"), link_pattern=r".", allowed_hosts=ANY_HOST
    )
    assert listing.next_url is None


GS = "https://www.globalsecurity.org/wmd/library/news/russia/{year}/index_{month:02d}.htm"


def source_with(*listing_urls: str) -> Source:
    return Source(
        name="s",
        site=None,
        listing_urls=listing_urls,
        link_pattern=".",
        allowed_hosts=("www.globalsecurity.org",),
    )


def test_expand_listing_urls_gives_this_and_last_month() -> None:
    plain = "https://www.globalsecurity.org/wmd/library/news/russia/index.html"
    urls = expand_listing_urls(source_with(GS, plain), date(2025, 1, 15))
    assert urls == [
        "https://www.globalsecurity.org/wmd/library/news/russia/2025/index_01.htm",
        "https://www.globalsecurity.org/wmd/library/news/russia/2024/index_12.htm",
        plain,
    ]


def test_months_back_walks_newest_first_to_the_stop_month() -> None:
    urls = list(months_back(GS, date(2021, 2, 28), date(2020, 11, 1)))
    assert [u.rsplit("/", 2)[-2:] for u in urls] == [
        ["2021", "index_02.htm"],
        ["2021", "index_01.htm"],
        ["2020", "index_12.htm"],
        ["2020", "index_11.htm"],
    ]


def test_months_back_yields_a_yearly_template_once_per_year() -> None:
    template = "https://example.org/{year}/index.html"
    urls = list(months_back(template, date(2021, 3, 1), date(2019, 12, 31)))
    assert urls == [
        "https://example.org/2021/index.html",
        "https://example.org/2020/index.html",
        "https://example.org/2019/index.html",
    ]


def test_months_back_is_empty_when_stop_is_after_start() -> None:
    assert list(months_back(GS, date(2020, 1, 1), date(2020, 2, 1))) == []
