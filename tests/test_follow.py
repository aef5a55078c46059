"""Following the archive: `list`, `changes` (text, JSON, Atom) and "gone from the site" in
`show` and `versions`, over a real archive file written by the store functions at set times."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from click.testing import CliRunner, Result
from conftest import PAGES, fixture_html, fixture_record, store_record
from lxml import etree

from worker.archive import Archive, store_gone, store_page
from worker.archive.follow import changes, list_documents, moment
from worker.cli import main
from worker.errors import ArchiveError
from worker.page import Page
from worker.record import Record

ZAKHAROVA = "midru-2024-05-29"  # mid.ru, 2024-05-29, Maria Zakharova
ZAITSEV = "globalsecurity-2025-07-31"  # globalsecurity, 2025-07-31, Alexey Zaitsev
OLD_2018 = "midru-2018-09-13"  # mid.ru, 2018-09-13
OLD = "until June 3."
NEW = "until June 5."


def url(name: str) -> str:
    return f"https://example.org/{name}"


def store(archive: Archive, name: str, now: str, edit: bool = False) -> None:
    html = fixture_html(name)
    record = fixture_record(name)
    if edit:
        html = html.replace(OLD.encode(), NEW.encode())
        record = Record.from_dict(json.loads(json.dumps(record.to_dict()).replace(OLD, NEW)))
    store_record(archive, record, url=url(name), body=html, now=now, source=None)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Three briefings first seen on June 1-3; one edited on June 5; one gone on June 6."""
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        store(archive, OLD_2018, "2024-06-01T10:00:00+00:00")
        store(archive, ZAKHAROVA, "2024-06-02T10:00:00+00:00")
        store(archive, ZAITSEV, "2024-06-03T10:00:00+00:00")
        store(archive, ZAKHAROVA, "2024-06-05T10:00:00+00:00", edit=True)
        store_gone(archive, url(ZAITSEV), 404, source=None, duration=0.1,
                   now="2024-06-06T10:00:00+00:00")  # fmt: skip
    return path


def cli(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), *args])


def cli_json(db: Path, *args: str) -> Any:
    result = cli(db, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ---- list --------------------------------------------------------------------------------------


def test_list_is_newest_briefing_first(db: Path) -> None:
    listed = cli_json(db, "list")
    assert [d["url"] for d in listed] == [url(ZAITSEV), url(ZAKHAROVA), url(OLD_2018)]
    assert listed[0]["gone_at"] == "2024-06-06T10:00:00+00:00"
    assert listed[1]["versions"] == 2 and listed[1]["speaker"] == "Maria Zakharova"
    assert set(listed[0]) == {"id", "url", "site", "title", "published", "document_number",
                              "speaker", "versions", "first_seen", "last_seen", "gone_at"}  # fmt: skip


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--site", "mid.ru"], [ZAKHAROVA, OLD_2018]),
        (["--speaker", "zakh"], [ZAKHAROVA, OLD_2018]),
        (["--speaker", "alexey zaitsev"], [ZAITSEV]),
        (["--speaker", "Zaitsev Maria"], []),
        (["--since", "2024-01-01"], [ZAITSEV, ZAKHAROVA]),
        (["--since", "2024-05-29", "--until", "2024-05-29"], [ZAKHAROVA]),
        (["--gone"], [ZAITSEV]),
        (["--edited"], [ZAKHAROVA]),
        (["--limit", "1"], [ZAITSEV]),
        (["--limit", "0"], [ZAITSEV, ZAKHAROVA, OLD_2018]),
    ],
)
def test_list_filters(db: Path, args: list[str], expected: list[str]) -> None:
    assert [d["url"] for d in cli_json(db, "list", *args)] == [url(n) for n in expected]


def test_list_text_says_what_is_gone(db: Path) -> None:
    result = cli(db, "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("2025-07-31  globalsecurity  1 version ")
    assert "gone from the site since 2024-06-06T10:00:00+00:00" in lines[2]
    assert "2 versions" in lines[3]


def test_list_with_a_bad_date_is_a_usage_error(db: Path) -> None:
    result = cli(db, "list", "--since", "last week")
    assert result.exit_code == 2
    assert "since: expected a date YYYY-MM-DD" in result.stderr


def test_show_and_versions_say_gone_from_the_site(db: Path) -> None:
    gone = "gone from the site since 2024-06-06T10:00:00+00:00"
    assert gone in cli(db, "show", url(ZAITSEV)).output
    assert gone in cli(db, "versions", url(ZAITSEV)).output
    assert "gone from the site" not in cli(db, "show", url(ZAKHAROVA)).output


# ---- changes -----------------------------------------------------------------------------------


def test_changes_in_time_order_with_their_summary(db: Path) -> None:
    found = cli_json(db, "changes", "--since", "2024-06-02")
    assert [(c["kind"], c["url"], c["version"]) for c in found] == [
        ("new", url(ZAKHAROVA), 1),
        ("new", url(ZAITSEV), 1),
        ("changed", url(ZAKHAROVA), 2),
        ("gone", url(ZAITSEV), None),
    ]
    assert [c["at"][:10] for c in found] == ["2024-06-02", "2024-06-03", "2024-06-05", "2024-06-06"]
    assert found[2]["summary"] == "1 section changed"
    assert found[3]["summary"] == "gone from the site"


def test_changes_text(db: Path) -> None:
    result = cli(db, "changes", "--since", "2024-06-05T00:00:00")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("2024-06-05T10:00:00+00:00  changed  Briefing by Foreign")
    assert lines[1].strip() == "1 section changed"
    assert lines[3].startswith("2024-06-06T10:00:00+00:00  gone")


def test_changes_filters_and_limit(db: Path) -> None:
    with Archive.open(db) as archive:
        since = "2024-06-01"
        assert [c.kind for c in changes(archive, since, site="mid.ru")] == ["new", "new", "changed"]
        assert [c.kind for c in changes(archive, since, speaker="Zaitsev")] == ["new", "gone"]
        assert [c.kind for c in changes(archive, since, limit=2)] == ["changed", "gone"]


def test_a_reparse_version_is_not_a_change(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        store(archive, ZAKHAROVA, "2024-06-02T10:00:00+00:00")
        record = Record.from_dict(json.loads((PAGES / f"{ZAKHAROVA}.json").read_text("utf-8")))
        reparsed = Record.from_dict({**record.to_dict(), "place": "Moscow, Russia"})
        page = Page.from_bytes((PAGES / f"{ZAKHAROVA}.html").read_bytes(), url=url(ZAKHAROVA))
        store_page(archive, page, reparsed, source=None, parser_version="p2", duration=0.1,
                   now="2024-06-03T10:00:00+00:00")  # fmt: skip
        assert [c.kind for c in changes(archive, "2024-06-01")] == ["new"]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("24h", "2024-06-09T12:00:00+00:00"),
        ("7d", "2024-06-03T12:00:00+00:00"),
        ("2w", "2024-05-27T12:00:00+00:00"),
        ("90m", "2024-06-10T10:30:00+00:00"),
        ("2024-06-01", "2024-06-01T00:00:00+00:00"),
        ("2024-06-01T08:00:00+02:00", "2024-06-01T06:00:00+00:00"),
    ],
)
def test_when_is_a_date_a_time_or_an_age(when: str, expected: str) -> None:
    assert moment(when, now=datetime(2024, 6, 10, 12, tzinfo=UTC)) == expected


def test_a_bad_when_names_the_option(db: Path) -> None:
    with pytest.raises(ArchiveError, match="since: expected a date"):
        moment("last monday")
    result = cli(db, "changes", "--since", "yesterday")
    assert result.exit_code != 0 and "since: expected a date" in result.stderr


# ---- Atom --------------------------------------------------------------------------------------


def test_changes_as_atom_is_valid_and_carries_the_diff(db: Path) -> None:
    result = cli(db, "changes", "--since", "2024-06-01", "--format", "atom")
    assert result.exit_code == 0, result.output
    root = etree.fromstring(result.stdout_bytes)  # well-formed XML, or this raises
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    feed = feedparser.parse(result.stdout_bytes)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert feed.feed.updated == "2024-06-06T10:00:00+00:00"
    entries = feed.entries
    assert len(entries) == 5
    assert [e.title.split(":")[0] for e in entries] == [
        "Gone from the site", "Changed (version 2)", "New briefing", "New briefing", "New briefing"
    ]  # fmt: skip
    changed = entries[1]
    assert changed.link == url(ZAKHAROVA)
    assert changed.id == url(ZAKHAROVA) + "#version-2"
    assert changed.summary == "1 section changed"
    content = changed.content[0]
    assert content.type == "text/plain"
    assert "until June [-3.-]{+5.+}" in content.value  # the turn-level diff
    assert len({e.id for e in entries}) == 5


def test_atom_ids_are_stable(db: Path) -> None:
    first = feedparser.parse(
        cli(db, "changes", "--since", "2024-06-01", "--format", "atom").stdout_bytes
    )
    again = feedparser.parse(
        cli(db, "changes", "--since", "2024-06-05", "--format", "atom").stdout_bytes
    )
    assert [e.id for e in again.entries] == [e.id for e in first.entries][:2]


def test_json_and_atom_together_is_a_usage_error(db: Path) -> None:
    result = cli(db, "changes", "--since", "1d", "--json", "--format", "atom")
    assert result.exit_code == 2


def test_list_documents_library_call(db: Path) -> None:
    with Archive.open(db) as archive:
        listed = list_documents(archive, edited=True)
    assert [d.url for d in listed] == [url(ZAKHAROVA)] and listed[0].versions == 2


def test_a_moved_document_is_gone_and_says_it_moved(db: Path) -> None:
    from worker.archive import store_moved

    with Archive.open(db) as archive:
        store_moved(archive, url(OLD_2018), source=None, duration=0.1,
                    now="2024-06-07T10:00:00+00:00")  # fmt: skip
        found = changes(archive, "2024-06-07")
    assert [(c.kind, c.url, c.summary) for c in found] == [
        ("gone", url(OLD_2018), "moved away: the address redirects elsewhere")
    ]
    assert [d["url"] for d in cli_json(db, "list", "--gone")] == [url(ZAITSEV), url(OLD_2018)]


def test_a_going_told_later_still_reads_after_the_document_came_back(db: Path) -> None:
    from worker.archive.follow import change_of

    with Archive.open(db) as archive:
        store(archive, ZAITSEV, "2024-06-08T10:00:00+00:00")  # answers again: no longer gone
        change = change_of(archive, 3, None, "2024-06-06T10:00:00+00:00")
    assert (change.kind, change.url, change.at) == (
        "gone",
        url(ZAITSEV),
        "2024-06-06T10:00:00+00:00",
    )
