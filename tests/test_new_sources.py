"""The shipped sources for China's Foreign Ministry and the White House: their listings (test
pages made in each site's listing markup as ../shared/SOURCES.md documents it, or guesses it:
tests/data/listings/*.html say which), read with the shipped config and site profiles."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from worker.config import Source, load_config
from worker.discover import numbered_next, parse_listing
from worker.errors import ConfigError
from worker.page import Page
from worker.profiles import load_profiles

LISTINGS = Path(__file__).parent / "data" / "listings"
CONFIG = Path(__file__).parent.parent / "config" / "worker.toml"
NAMES = ["fmprc-en-press-conferences-p1", "whitehouse-press-briefings-p1"]


def shipped(site: str) -> Source:
    config = load_config(CONFIG, load_profiles().names)
    return next(source for source in config.sources if source.site == site)


@pytest.mark.parametrize("name", NAMES)
def test_listing_read_with_the_shipped_config(name: str) -> None:
    expected = json.loads((LISTINGS / f"{name}.json").read_text(encoding="utf-8"))
    page = Page.from_bytes(
        (LISTINGS / f"{name}.html").read_bytes(),
        url=expected["url"],
        headers={"content-type": "text/html; charset=utf-8"},
    )
    profile = load_profiles().for_url(expected["url"])
    source = shipped(profile.name)
    assert source.listing_urls[0] == expected["url"]
    assert profile.listing is not None
    listing = parse_listing(
        page, profile.listing, link_pattern=source.link_pattern, allowed_hosts=source.allowed_hosts
    )
    assert list(listing.links) == expected["links"]
    assert listing.next_url == expected["next"]


def test_numbered_pages_follow_one_another() -> None:
    first = "https://www.fmprc.gov.cn/mfa_eng/a/default.shtml"
    second = numbered_next(first, "default_{n}.shtml")
    assert second == "https://www.fmprc.gov.cn/mfa_eng/a/default_1.shtml"
    assert numbered_next(second, "default_{n}.shtml").endswith("/a/default_2.shtml")
    assert numbered_next("https://www.fmprc.gov.cn/mfa_eng/a/", "default_{n}.shtml") == second


def test_a_numbered_page_with_no_links_ends_the_walk() -> None:
    rules = load_profiles().get("fmprc").listing
    assert rules is not None
    page = Page.from_bytes(
        b"<html><body><div class='fl'>No more items</div></body></html>",
        url="https://www.fmprc.gov.cn/mfa_eng/a/default_9.shtml",
        headers={"content-type": "text/html"},
    )
    listing = parse_listing(
        page, rules, link_pattern=r"t\d+\.shtml$", allowed_hosts=("www.fmprc.gov.cn",)
    )
    assert (listing.links, listing.next_url) == ((), None)


def test_a_numbered_rule_without_its_number_is_refused(tmp_path: Path) -> None:
    shutil.copy(CONFIG.parent / "sites" / "generic.toml", tmp_path)
    (tmp_path / "odd.toml").write_text(
        'name = "odd"\nhosts = ["odd.example"]\n[listing]\nlink = "a"\nnumbered = "page.html"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_profiles(tmp_path)
    assert "listing.numbered" in str(caught.value)
    assert "odd.toml" in str(caught.value)
