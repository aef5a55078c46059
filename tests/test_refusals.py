"""Only briefings become documents: listing, index and search pages are refused as
`not-a-briefing` by a general rule (most of the text is short dated items and links), tested on
the listing fixtures under every profile, while every briefing fixture still parses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES

from worker.errors import ExtractError
from worker.extract import extract
from worker.page import Page
from worker.profiles import load_profiles

LISTINGS = sorted((FIXTURES / "listings").glob("*.html"))
PROFILES = load_profiles()


@pytest.mark.parametrize("profile", ["generic", "mid.ru", "globalsecurity"])
@pytest.mark.parametrize("path", LISTINGS, ids=[p.name for p in LISTINGS])
def test_listing_pages_are_not_briefings(path: Path, profile: str) -> None:
    page = Page.from_bytes(path.read_bytes(), url=None)
    with pytest.raises(ExtractError) as caught:
        extract(page, PROFILES.get(profile))
    assert caught.value.reason == "not-a-briefing"
    assert "listing or index page" in str(caught.value)


def _briefing_pages() -> list[tuple[Path, str | None]]:
    pages = []
    for index in (FIXTURES / "index.json", FIXTURES / "real" / "index.json"):
        for entry in json.loads(index.read_text(encoding="utf-8")):
            if entry.get("kind") == "page":
                pages.append((index.parent / entry["path"], entry.get("url")))
    return pages


@pytest.mark.parametrize(
    ("path", "url"), _briefing_pages(), ids=[p.name for p, _ in _briefing_pages()]
)
def test_briefings_are_not_taken_for_listings(path: Path, url: str | None) -> None:
    page = Page.from_bytes(path.read_bytes(), url=url)
    try:
        extract(page, PROFILES.choose(url, None))
    except ExtractError as error:
        assert "listing" not in str(error), error
