"""`briefings backfill`: walks listings into the past, resumes after an interruption, honours --since."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import HTML, LISTING, ROOT, fixture_html, write_config
from httpserver import LocalServer, Reply

from worker.cli import main
from worker.demo.site import SampleSite

PAGE = fixture_html("midru-2024-05-29")
PER_PAGE = 3
LISTING_PAGES = 4
FIRST_DAY = date(2024, 6, 1)


def briefing_path(n: int) -> str:
    return f"{LISTING}{1900000 + n}/"


def briefing_day(n: int) -> date:
    return FIRST_DAY - timedelta(days=7 * n)  # newest first, a week apart


def listing_page(number: int) -> bytes:
    items = []
    for n in range((number - 1) * PER_PAGE, number * PER_PAGE):
        items.append(
            f'<li class="announce__item"><span class="announce__date">{briefing_day(n):%d.%m.%Y}'
            f'</span><a class="announce__link" href="{briefing_path(n)}">Briefing {n}</a></li>'
        )
    more = (
        f'<div class="pagination"><a class="pagination__next" href="?PAGEN_1={number + 1}">Next</a></div>'
        if number < LISTING_PAGES
        else ""
    )
    return (
        '<html><body><main><ul class="announce announce_articles">'
        + "".join(items)
        + f"</ul>{more}</main></body></html>"
    ).encode()


def briefing(n: int) -> bytes:
    """The fixture page made into briefing `n`: its own number, date and a sentence of its own."""
    day = briefing_day(n)
    return (
        PAGE.replace(b"1012-29-05-2024", f"{1000 + n}-{day:%d-%m-%Y}".encode())
        .replace(b"29 May 2024", f"{day.day} {day:%B %Y}".encode())
        .replace(b"May 29, 2024", f"{day:%B} {day.day}, {day.year}".encode())
        .replace(
            b"Preparations are in their final stage", f"Briefing {n}: preparations are".encode()
        )
    )


def listing_site() -> dict[str, bytes]:
    """Four listing pages of three briefings each, newest first."""
    pages = {LISTING: listing_page(1)}
    for number in range(2, LISTING_PAGES + 1):
        pages[f"{LISTING}?PAGEN_1={number}"] = listing_page(number)
    for n in range(PER_PAGE * LISTING_PAGES):
        pages[briefing_path(n)] = briefing(n)
    return pages


@pytest.fixture
def site() -> Iterator[SampleSite]:
    with SampleSite(listing_site()) as served:
        yield served


def backfill_config(tmp_path: Path, base_url: str) -> Path:
    return write_config(
        tmp_path,
        base_url + LISTING,
        name="local",
        link_pattern=r"/briefings/\d{7}/$",
        source={"backfill_pages": 10},
    )


def archived(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "archive.db") as db:
        return [row[0] for row in db.execute("SELECT canonical_url FROM documents ORDER BY id")]


def test_backfill_walks_pages_and_resumes_where_it_stopped(
    site: SampleSite, tmp_path: Path
) -> None:
    config = backfill_config(tmp_path, site.base_url)
    first = CliRunner().invoke(
        main, ["--config", str(config), "backfill", "--source", "local", "--pages", "2"]
    )
    assert first.exit_code == 0, first.output
    assert "6 seen, 6 new" in first.stdout
    assert len(archived(tmp_path)) == 6
    second = CliRunner().invoke(main, ["--config", str(config), "backfill", "--source", "local"])
    assert second.exit_code == 0, second.output
    assert "6 seen, 6 new" in second.stdout  # pages 3 and 4, then the walk is done
    urls = archived(tmp_path)
    assert sorted(urls) == sorted(site.url(briefing_path(n)) for n in range(12))
    # A finished walk starts again from the newest page, finding nothing new.
    third = CliRunner().invoke(
        main, ["--config", str(config), "backfill", "--source", "local", "--pages", "1"]
    )
    assert "3 seen, 0 new" in third.stdout or "0 seen" in third.stdout


def test_backfill_since_stops_at_the_date(site: SampleSite, tmp_path: Path) -> None:
    config = backfill_config(tmp_path, site.base_url)
    since = briefing_day(4).isoformat()  # briefings 0..4 are on or after it
    result = CliRunner().invoke(
        main, ["--config", str(config), "backfill", "--source", "local", "--since", since]
    )
    assert result.exit_code == 0, result.output
    assert sorted(archived(tmp_path)) == sorted(site.url(briefing_path(n)) for n in range(5))


def test_backfill_killed_midway_resumes_without_loss_or_duplicates(
    local_server: LocalServer, tmp_path: Path
) -> None:
    # The second listing page stalls (until it is routed anew or the server closes), so the walk
    # is killed after its first listing page was recorded, however fast the machine; no pacing.
    for path, body in listing_site().items():
        local_server.route(path, Reply(200, body, HTML))
    second_page = f"{LISTING}?PAGEN_1=2"
    local_server.route(second_page, Reply(200, listing_page(2), HTML, delay=120))
    config = backfill_config(tmp_path, local_server.url(""))
    command = [sys.executable, "-m", "worker", "--config", str(config), "backfill", "--source", "local"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if local_server.paths().count(second_page) and backfill_pages_done(tmp_path) == 1:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the backfill never finished its first listing page")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    with sqlite3.connect(tmp_path / "archive.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert len(archived(tmp_path)) == PER_PAGE  # the first listing page's briefings, no more
    local_server.route(second_page, Reply(200, listing_page(2), HTML))
    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    urls = archived(tmp_path)
    assert len(urls) == len(set(urls)) == PER_PAGE * LISTING_PAGES
    with sqlite3.connect(tmp_path / "archive.db") as db:
        assert db.execute("SELECT count(*) FROM versions").fetchone() == (PER_PAGE * LISTING_PAGES,)
        assert db.execute("SELECT done FROM backfill WHERE source = 'local'").fetchone() == (1,)


def backfill_pages_done(tmp_path: Path) -> int | None:
    if not (tmp_path / "archive.db").exists():
        return None
    try:
        with sqlite3.connect(tmp_path / "archive.db", timeout=30) as db:
            row = db.execute("SELECT pages_done FROM backfill WHERE source = 'local'").fetchone()
    except sqlite3.OperationalError:  # the file exists before its tables do
        return None
    return row[0] if row else None


def test_monthly_indexes_are_walked_back_and_resumed(tmp_path: Path) -> None:
    """globalsecurity-style month indexes: one page per month, newest first, resumable."""
    today = date.today()
    months = []
    month = date(today.year, today.month, 1)
    for _ in range(4):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    gs_page = fixture_html("globalsecurity-2023-10-12")
    pages: dict[str, bytes] = {}
    for i, month in enumerate(months):
        path = f"/wmd/library/news/russia/{month.year}/russia-{month:%y%m}01-russia-mfab01.htm"
        index = f"/wmd/library/news/russia/{month.year}/index_{month.month:02d}.htm"
        pages[index] = (
            '<html><body><table><tr><td class="newsitem">'
            f'<a href="{path}">Briefing</a> <span class="date">01 {month:%b %Y}</span>'
            "</td></tr></table></body></html>"
        ).encode()
        pages[path] = gs_page.replace(b"1952-12-10-2023", f"{1952 + i}-01-{month:%m-%Y}".encode())
    with SampleSite(pages) as site:
        config = write_config(
            tmp_path,
            site.base_url + "/wmd/library/news/russia/{year}/index_{month:02d}.htm",
            name="gs",
            site="globalsecurity",
            link_pattern=r"russia-\d{6}-russia-mfab01\.htm$",
        )
        since = months[-1].isoformat()
        args = ["--config", str(config), "backfill", "--source", "gs", "--since", since]
        first = CliRunner().invoke(main, [*args, "--pages", "2"])
        assert first.exit_code == 0, first.output
        assert len(archived(tmp_path)) == 2
        second = CliRunner().invoke(main, args)
        assert second.exit_code == 0, second.output
        assert len(archived(tmp_path)) == 4


def test_a_resumed_walk_keeps_the_listings_after_the_interrupted_one(tmp_path: Path) -> None:
    """Two paginated listings: stopping inside the first one's pages must not skip the second."""
    from worker.config import Source
    from worker.pipeline.runs import _backfill_listings

    source = Source(
        name="two",
        site="mid.ru",
        listing_urls=("https://mid.ru/a/", "https://mid.ru/b/"),
        link_pattern=".",
        allowed_hosts=("mid.ru",),
    )
    assert _backfill_listings(source, "https://mid.ru/a/?PAGEN_1=3", None) == [
        "https://mid.ru/a/?PAGEN_1=3",
        "https://mid.ru/b/",
    ]
    assert _backfill_listings(source, "https://mid.ru/b/", None) == ["https://mid.ru/b/"]
