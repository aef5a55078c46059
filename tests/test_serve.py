"""`briefings serve`: Datasette over the archive, read-only, with the worker's metadata, canned
queries and briefing pages; bad input gets a 4xx page or a one-line error, never a traceback."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from servehelp import fixture_archive, serving

from worker.serve import DatasetteMissing, make_datasette


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fixture_archive(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def base(archive: Path) -> Iterator[str]:
    with serving(archive) as url:
        yield url


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=30, follow_redirects=True)


def test_tables_views_and_canned_queries_are_there_with_descriptions(base: str) -> None:
    database = get(f"{base}/archive.json").json()
    tables = {t["name"] for t in database["tables"]}
    assert {"documents", "versions", "passages", "sections"} <= tables
    assert {"briefings", "texts", "questions", "timeline"} <= {v["name"] for v in database["views"]}
    queries = {q["name"] for q in database["queries"]}
    assert queries == {
        "latest_briefings",
        "search",
        "questions_per_outlet_per_month",
        "changed_this_week",
    }
    page = get(f"{base}/archive/briefings")
    assert page.status_code == 200
    assert "Every briefing as of its latest version" in page.text


def test_search_box_and_query_string_search_return_text(base: str) -> None:
    rows = get(f"{base}/archive/passages.json?_search=Arctic&_shape=array").json()
    assert rows and all("Arctic" in row["text"] for row in rows)
    texts = get(f"{base}/archive/texts.json?_search=Arctic&_shape=array").json()
    assert texts and all("Arctic" in row["text"] for row in texts)
    assert {row["speaker"] for row in texts} >= {"Maria Zakharova", "TASS"}


def test_facets_on_site_speaker_and_month(base: str) -> None:
    data = get(f"{base}/archive/briefings.json").json()
    assert set(data["facet_results"]) >= {"site", "speaker", "month"}


def test_canned_search_filters_by_speaker_site_and_dates(base: str) -> None:
    url = f"{base}/archive/search.json?_shape=array&words=Arctic&site=&since=&until=&speaker="
    every = get(url).json()
    zakharova = get(url.replace("speaker=", "speaker=Zakharova")).json()
    assert every and zakharova and len(zakharova) < len(every)
    assert all(row["speaker"] == "Maria Zakharova" for row in zakharova)
    assert all("[Arctic]" in row["snippet"] for row in every)
    later = get(url.replace("since=", "since=2030-01-01")).json()
    assert later == []


def test_questions_per_outlet_and_changes(base: str) -> None:
    per_month = get(f"{base}/archive/questions_per_outlet_per_month.json?_shape=array").json()
    assert {"month": "2018-06", "outlet": "TASS", "questions": 1} in per_month
    latest = get(f"{base}/archive/latest_briefings.json?_shape=array").json()
    assert latest and latest[0]["published"] >= latest[-1]["published"]
    assert get(f"{base}/archive/changed_this_week.json").status_code == 200


def test_a_briefing_page_shows_turns_speakers_versions_and_diff_link(base: str) -> None:
    page = get(f"{base}/-/briefing/1/3")
    assert page.status_code == 200
    assert "Version 3 of 3" in page.text
    assert "Question (TASS)" in page.text and "A follow-up question about the Arctic?" in page.text
    assert 'href="/-/briefing/1/3/diff"' in page.text and 'href="/-/briefing/1/1"' in page.text
    diff = get(f"{base}/-/briefing/1/3/diff")
    assert diff.status_code == 200 and "A follow-up question about the Arctic?" in diff.text
    assert "added turn" in diff.text
    edited = get(f"{base}/-/briefing/1/2/diff")
    assert "<ins>" in edited.text and "corrected" in edited.text
    assert get(f"{base}/-/briefing/1").text == page.text  # the latest version


def test_the_home_page_and_each_briefing_link_their_atom_feeds(base: str) -> None:
    assert 'href="/-/feeds/changes.atom"' in get(f"{base}/").text
    page = get(f"{base}/-/briefing/1").text
    links = re.findall(
        r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]+)"', page
    )
    assert links[0] == "/-/feeds/changes.atom"
    assert len(links) == 3  # all changes, the site's, the speaker's
    for href in links:
        assert f'<a class="feed-link" href="{href}">' in page
        feed = get(f"{base}{href}")
        assert feed.status_code == 200 and "<entry>" in feed.text


def test_a_document_id_links_to_its_briefing_page(base: str) -> None:
    page = get(f"{base}/archive/texts?_search=follow")
    assert 'href="/-/briefing/1/3"' in page.text


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/-/briefing/999", 404, "No briefing with document id 999"),
        ("/-/briefing/1/9", 404, "has no version 9 (versions 1 to 3)"),
        ("/-/briefing/1/1/diff", 404, "nothing to compare"),
        ("/archive/texts?_search=%22unbalanced", 400, "unterminated string"),
        ("/archive/search?words=%22unbalanced&speaker=&site=&since=&until=", 400, "unterminated"),
        ("/archive/search?words=AND+OR&speaker=&site=&since=&until=", 400, "syntax error"),
        ("/archive/no_such_table", 404, "not found"),
    ],
)
def test_bad_input_is_a_clear_4xx_page(base: str, path: str, status: int, says: str) -> None:
    page = get(base + path)
    assert page.status_code == status
    assert says in page.text and "Traceback" not in page.text


def test_nothing_served_writes_to_the_archive(archive: Path, base: str) -> None:
    before = hashlib.sha256(archive.read_bytes()).hexdigest()
    insert = get(
        f"{base}/archive.json?sql=INSERT+INTO+runs+(kind,started_at)+VALUES+('manual','x')"
    )
    assert insert.status_code == 400 and "must be a SELECT" in insert.text
    post = httpx.post(f"{base}/archive/runs/-/insert", json={"row": {"kind": "manual"}}, timeout=30)
    assert post.status_code >= 400
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == before
    conn = sqlite3.connect(archive)
    assert conn.execute("SELECT count(*) FROM runs").fetchone() == (0,)
    conn.close()


def briefings(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "worker", *args], capture_output=True, text=True, timeout=60
    )


def test_serve_on_a_missing_file_exits_2_with_one_line(tmp_path: Path) -> None:
    result = briefings("--db", str(tmp_path / "nope.db"), "serve")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "nope.db: no such archive" in result.stderr
    assert not (tmp_path / "nope.db").exists()


@pytest.mark.parametrize("content", [b"not a database at all" * 100, b""])
def test_serve_on_a_file_that_is_not_an_archive_exits_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    result = briefings("--db", str(path), "serve")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "notes.db: not an archive" in result.stderr
    assert path.read_bytes() == content


def test_serve_on_an_older_schema_says_how_to_upgrade_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    path.write_bytes((Path(__file__).parent / "data" / "schema2.db").read_bytes())
    before = path.read_bytes()
    result = briefings("--db", str(path), "serve")
    assert result.returncode == 2 and "briefings status" in result.stderr
    assert path.read_bytes() == before


def test_without_datasette_serve_says_how_to_install_it(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "datasette.app", None)
    with pytest.raises(DatasetteMissing, match=r"pip install -e '\.\[serve\]'"):
        make_datasette(archive)


def test_sqlite_utils_search_finds_texts_with_no_options(archive: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sqlite_utils", "search", str(archive), "passages", "Arctic"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and all("Arctic" in row["text"] for row in rows)
