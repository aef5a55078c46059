"""Atom feeds in `briefings serve`: the fixture archive (one briefing edited twice) served by a
real subprocess; each feed parses as Atom, is scoped to its site or speaker and carries diffs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest
from lxml import etree
from servehelp import fixture_archive, serving


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(fixture_archive(tmp_path_factory.mktemp("feeds"))) as url:
        yield url


def feed(base: str, path: str) -> feedparser.FeedParserDict:
    response = httpx.get(base + path, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    etree.fromstring(response.content)  # well-formed XML, or this raises
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    return parsed


def test_the_changes_feed_has_new_briefings_and_edits_with_their_diff(base: str) -> None:
    parsed = feed(base, "/-/feeds/changes.atom")
    assert parsed.feed.links[0].href == base + "/-/feeds/changes.atom"
    kinds = {entry.title.split(":")[0] for entry in parsed.entries}
    assert "New briefing" in kinds
    changed = [e for e in parsed.entries if e.title.startswith("Changed")]
    assert changed, [e.title for e in parsed.entries]
    assert all("~ section" in e.content[0].value for e in changed)  # the turn-level diff


def test_a_site_feed_has_only_that_site(base: str) -> None:
    parsed = feed(base, "/-/feeds/site/globalsecurity.atom")
    assert parsed.entries
    assert {tag.term for e in parsed.entries for tag in e.tags} == {"globalsecurity"}
    assert parsed.feed.title == "Briefings: changes (globalsecurity)"


def test_a_speaker_feed_has_only_that_speaker(base: str) -> None:
    everything = feed(base, "/-/feeds/changes.atom")
    parsed = feed(base, "/-/feeds/speaker/Maria%20Zakharova.atom")
    assert 0 < len(parsed.entries) < len(everything.entries)
    assert all("Zakharova" in e.content[0].value for e in parsed.entries)


def test_since_narrows_a_feed_and_a_bad_one_is_a_400(base: str) -> None:
    assert feed(base, "/-/feeds/changes.atom?since=2999-01-01").entries == []
    response = httpx.get(base + "/-/feeds/changes.atom?since=soon", timeout=30)
    assert response.status_code == 400
    assert "since: expected a date" in response.text


def test_feeds_write_nothing(tmp_path: Path) -> None:
    path = fixture_archive(tmp_path)
    before = path.read_bytes()
    with serving(path) as url:
        feed(url, "/-/feeds/changes.atom")
    assert path.read_bytes() == before
