"""The command line as a user meets it: real HTTP on 127.0.0.1, real SQLite files, CliRunner.

The sample site is the demo's (`worker.demo.site.SampleSite`): it answers conditional GETs and
lets a test edit a page between fetches, as a ministry would.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import FIXTURES, LISTING, fixture_html, fixture_record, store_record, write_config

from worker.cli import main
from worker.demo.site import SampleSite

BRIEFING = f"{LISTING}1955710/"
CHALLENGE = f"{LISTING}1950309/"
PAGE_BYTES = fixture_html("midru-2024-05-29")


@pytest.fixture
def site() -> Iterator[SampleSite]:
    pages = {
        BRIEFING: PAGE_BYTES,
        CHALLENGE: (FIXTURES / "bad" / "midru-challenge.html").read_bytes(),
    }
    with SampleSite(pages) as served:
        yield served


@pytest.fixture
def config(tmp_path: Path, site: SampleSite) -> Path:
    return write_config(tmp_path, site.url(LISTING), name="local-midru")


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)


def run_json(config: Path, *args: str) -> Any:
    result = run(config, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_parse_prints_the_golden_record() -> None:
    expected = json.loads(
        (FIXTURES / "pages" / "midru-ru-2020-11-05-cp1251.json").read_text("utf-8")
    )
    result = CliRunner().invoke(
        main,
        [
            "parse",
            str(FIXTURES / "pages" / "midru-ru-2020-11-05-cp1251.html"),
            "--url",
            "http://www.mid.ru/ru/foreign_policy/news/1420571/",
            "--content-type",
            "text/html; charset=windows-1251",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert {k: v for k, v in got.items() if k != "warnings"} == {
        k: v for k, v in expected.items() if k != "warnings"
    }


def test_parse_outline_is_readable() -> None:
    page = FIXTURES / "pages" / "midru-2024-05-29.html"
    result = CliRunner().invoke(main, ["parse", str(page), "--url", "https://mid.ru" + BRIEFING])
    assert result.exit_code == 0
    assert "Question (TASS): Russia and ASEAN" in result.stdout
    assert "Document: 1012-29-05-2024" in result.stdout


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("midru-challenge", "challenge"),
        ("midru-not-found", "not-a-briefing"),
        ("empty-body", "empty"),
    ],
)
def test_parse_refusal_is_one_line_and_exit_2(name: str, reason: str) -> None:
    path = FIXTURES / "bad" / f"{name}.html"
    result = CliRunner().invoke(main, ["parse", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {path}: not a briefing page ({reason})")


def test_parse_missing_file_names_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["parse", str(tmp_path / "nope.html")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'nope.html'}")


def test_parse_a_url_fetches_it_once(site: SampleSite, config: Path) -> None:
    record = run_json(config, "parse", site.url(BRIEFING), "--json")
    assert record["document_number"] == "1012-29-05-2024"
    assert record["url"] == site.url(BRIEFING)
    assert not (config.parent / "archive.db").exists()


def test_bad_config_names_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[politeness]\nmin_interval = 'soon'\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(bad), "status"])
    assert result.exit_code == 2
    assert "politeness.min_interval" in result.stderr
    assert str(bad) in result.stderr


def test_fetch_versions_diff_show_search_export(site: SampleSite, config: Path) -> None:
    url = site.url(BRIEFING)
    assert run_json(config, "fetch", url, "--json") == [
        {"url": url, "outcome": "new", "version": 1}
    ]
    assert run_json(config, "fetch", url, "--json")[0]["outcome"] == "not-modified"

    # The ministry edits a sentence and adds a follow-up: a new version.
    edited = PAGE_BYTES.replace(
        b"Yes, there is. The work plan", b"Yes, there is real progress. The work plan"
    )
    site.set_page(BRIEFING, edited)
    assert run_json(config, "fetch", url, "--json")[0] == {
        "url": url,
        "outcome": "changed",
        "version": 2,
    }

    versions = run_json(config, "versions", url, "--json")
    assert [v["version"] for v in versions] == [1, 2]
    assert {"version", "seen_at", "cause", "identity"} <= set(versions[0])
    assert versions[1]["cause"] == "fetch"

    diff = run(config, "diff", "1012-29-05-2024", "--no-color")
    assert diff.exit_code == 0
    assert "[-is.-]{+is real progress.+}" in diff.stdout

    shown = run_json(config, "show", url, "--format", "json", "--version", "1")
    assert "Yes, there is. The work plan" in json.dumps(shown, ensure_ascii=False)
    assert run(config, "show", "1012-29-05-2024", "--format", "markdown").stdout.startswith(
        "# Briefing"
    )

    hits = run_json(config, "search", "real progress", "--json")
    assert hits and {
        "url",
        "title",
        "published",
        "speaker",
        "heading",
        "snippet",
        "version",
    } <= set(hits[0])
    assert hits[0]["version"] == 2
    assert run_json(
        config, "search", "ASEAN", "--speaker", "Zakharova", "--since", "2024-01-01", "--json"
    )

    lines = run(config, "export", "--format", "jsonl").stdout.splitlines()
    assert (
        len(lines) == 1 and json.loads(lines[0])["record"]["document_number"] == "1012-29-05-2024"
    )
    rows = list(csv.DictReader(io.StringIO(run(config, "export", "--format", "csv").stdout)))
    assert any("real progress" in row["text"] for row in rows)

    reparsed = run(config, "reparse")
    assert reparsed.exit_code == 0 and "0 changed" in reparsed.stdout


def test_malformed_search_is_one_clear_line(site: SampleSite, config: Path) -> None:
    run(config, "fetch", site.url(BRIEFING))
    result = run(config, "search", '"unbalanced')
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: ")


def test_unknown_document_is_an_input_error(site: SampleSite, config: Path) -> None:
    run(config, "fetch", site.url(BRIEFING))
    result = run(config, "show", "9999-01-01-2020")
    assert result.exit_code == 2
    assert "9999-01-01-2020" in result.stderr
    assert run(config, "show", "1012-29-05-2024", "--version", "9").exit_code == 2


def test_a_mistyped_archive_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = CliRunner().invoke(main, ["--db", str(missing), "search", "x"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {missing}: --db: no such archive")
    assert not missing.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--out", "/nonexistent-dir/out.jsonl"],
        ["export", "--since", "yesterday"],
        ["fetch", "ftp://example.org/x"],
    ],
    ids=["unwritable-out", "bad-date", "not-http"],
)
def test_bad_input_is_one_line_exit_2(site: SampleSite, config: Path, args: list[str]) -> None:
    run(config, "fetch", site.url(BRIEFING))
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: ")


def test_a_damaged_archive_is_one_line(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"this is not an SQLite file" * 100)
    result = CliRunner().invoke(main, ["--db", str(damaged), "status"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {damaged}: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_config_that_is_a_directory_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--config", str(tmp_path), "status"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path}")


def test_refused_and_missing_pages_are_logged_not_stored(site: SampleSite, config: Path) -> None:
    result = run(
        config,
        "fetch",
        site.url(CHALLENGE),
        site.url("/en/press_service/spokesman/briefings/1/"),
        "--json",
    )
    assert result.exit_code == 1
    outcomes = [item["outcome"] for item in json.loads(result.stdout)]
    assert outcomes == ["error: challenge", "gone"]
    status = run_json(config, "status", "--json")
    assert status["documents"] == 0 or status["versions"] == 0


def test_reparse_keeps_the_profile_a_page_was_archived_with(
    site: SampleSite, tmp_path: Path
) -> None:
    """A page fetched with --site (no source names its host) is re-derived with that profile."""
    no_sources = write_config(tmp_path)  # and no pacing
    fetched = run(no_sources, "fetch", "--site", "mid.ru", site.url(BRIEFING), "--json")
    assert json.loads(fetched.stdout)[0]["outcome"] == "new"
    reparsed = run(no_sources, "reparse", "--all")
    assert reparsed.stdout.strip() == "checked 1: 0 new, 0 changed, 1 unchanged, 0 failed"
    shown = json.loads(run(no_sources, "show", site.url(BRIEFING), "--format", "json").stdout)
    assert (shown["site"], shown["published"]) == ("mid.ru", "2024-05-29T16:14:00+03:00")


def test_a_page_that_stops_part_way_is_kept_but_never_a_version(config: Path) -> None:
    truncated = FIXTURES / "pages" / "globalsecurity-2021-03-04-truncated.html"
    path = "/wmd/library/news/russia/2021/russia-210304-russia-mfab01.htm"
    with SampleSite({path: truncated.read_bytes()}) as served:
        result = run(config, "fetch", "--site", "globalsecurity", served.url(path), "--json")
    assert result.exit_code == 1
    (outcome,) = json.loads(result.stdout)
    assert (outcome["url"], outcome["outcome"], outcome["version"]) == (
        served.url(path),
        "error: truncated",
        None,
    )
    assert "stops part-way" in outcome["error"]
    status = run_json(config, "status", "--json")
    assert (status["versions"], status["captures"]) == (0, 1)


def test_a_known_page_that_moves_is_marked_gone_and_archived_at_its_new_address(
    tmp_path: Path,
) -> None:
    from httpserver import LocalServer, Reply

    with LocalServer() as server:
        server.route("/robots.txt", Reply(404))
        server.route(BRIEFING, Reply(200, PAGE_BYTES, {"Content-Type": "text/html; charset=utf-8"}))
        db = str(tmp_path / "archive.db")
        fast = ["--config", str(write_config(tmp_path)), "--db", db]
        first = CliRunner().invoke(
            main, [*fast, "fetch", "--site", "mid.ru", server.url(BRIEFING), "--json"]
        )
        assert json.loads(first.stdout)[0]["outcome"] == "new"
        moved = "/en/press_service/spokesman/briefings/1955711/"
        server.redirect(BRIEFING, moved, status=301)
        server.route(moved, Reply(200, PAGE_BYTES, {"Content-Type": "text/html; charset=utf-8"}))
        second = CliRunner().invoke(
            main, [*fast, "fetch", "--site", "mid.ru", server.url(BRIEFING), "--json"]
        )
        assert json.loads(second.stdout)[0]["url"] == server.url(moved)
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("SELECT canonical_url, gone_at IS NOT NULL FROM documents"))
    assert rows == {server.url(BRIEFING): 1, server.url(moved): 0}


def test_output_cut_short_by_its_reader_stops_quietly(tmp_path: Path) -> None:
    """`briefings export | head`: no error line, no traceback, when the reader goes away."""
    import subprocess
    import sys

    from worker.archive import Archive

    record = fixture_record("midru-2024-05-29")
    with Archive.open(tmp_path / "archive.db") as archive:
        for number in range(40):  # ~40 records of JSON: more than a pipe's buffer
            url = f"https://mid.ru/en/a/{number}/"
            body = fixture_html("midru-2024-05-29") + str(number).encode()
            store_record(archive, record.with_url(url), body=body, source=None)
    command = [sys.executable, "-m", "worker", "--db", str(tmp_path / "archive.db"), "export"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(10)
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=30) == 1
    assert err == ""


def test_a_listing_link_that_redirects_is_fetched_once_not_every_run(tmp_path: Path) -> None:
    from httpserver import LocalServer, Reply

    listing = "/en/press_service/spokesman/briefings/"
    old, new = f"{listing}1900001/", f"{listing}1900001/?lang=en"
    html = {"Content-Type": "text/html; charset=utf-8"}
    with LocalServer() as server:
        server.route("/robots.txt", Reply(404))
        server.route(
            listing,
            Reply(
                200,
                b'<html><body><ul class="announce announce_articles"><li class="announce__item">'
                b'<span class="announce__date">29.05.2024</span>'
                + f'<a class="announce__link" href="{old}">A briefing</a>'.encode()
                + b"</li></ul></body></html>",
                html,
            ),
        )
        server.redirect(old, new, status=302)
        server.route(new, Reply(200, PAGE_BYTES, html))
        path = write_config(tmp_path, server.url(listing), link_pattern=r"/briefings/\d{7}/$")
        for _ in range(3):
            result = CliRunner().invoke(main, ["--config", str(path), "run", "--once"])
            assert result.exit_code == 0, result.output
        assert server.paths().count(old) == 1
        assert server.paths().count(listing) == 3
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        documents = [row[0] for row in conn.execute("SELECT canonical_url FROM documents")]
    assert documents == [server.url(new)]
