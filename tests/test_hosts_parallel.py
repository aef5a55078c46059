"""Hosts in parallel, each host polite: three real servers on 127.0.0.2, .3 and .4.

One of them answers every request (robots.txt included) after 2 s. The other two must finish
all their pages before the slow one has even been sent its second request, and no server may
log two requests closer than `min_interval`. Both hold by construction, not by timing luck: a
request reaches its server after the pacer let it start and before it ended, and the pacer
starts a host's next request `min_interval` after the previous one ended. A fast host's five
requests take 0.4 s of pacing and a few milliseconds of work each, so the slow host's 2 s leave
more than a second of margin.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import HTML, LISTING, fixture_html, midru_listing
from httpserver import LocalServer, Reply

from worker.archive import Archive
from worker.config import Politeness, RecheckPolicy, Source, WorkerConfig
from worker.daemon import run_daemon
from worker.pipeline import open_context, run_source

BRIEFING_HTML = fixture_html("midru-2024-05-29")
SLOW = 5.0  # issue 12's figure: a host answering each request after 5 s
MIN_INTERVAL = 0.1
PATTERN = r"/en/press_service/spokesman/briefings/\d+/$"


def briefing(number: int) -> str:
    return f"{LISTING}{number}/"


def listing(urls: list[str]) -> Reply:
    return Reply(200, midru_listing(*urls), HTML)


@pytest.fixture
def hosts() -> Iterator[tuple[LocalServer, LocalServer, LocalServer]]:
    """Two fast hosts and a slow one, each serving briefings 1001-1004 (and a 404 robots.txt)."""
    servers = [LocalServer(address) for address in ("127.0.0.2", "127.0.0.3", "127.0.0.4")]
    try:
        for server in servers:
            delay = SLOW if server is servers[2] else 0.0
            server.route("/robots.txt", Reply(404, b"", delay=delay))
            for number in range(1001, 1005):
                body = BRIEFING_HTML.replace(b"May 29, 2024", f"May {number % 28 + 1}".encode())
                server.route(briefing(number), Reply(200, body, HTML, delay=delay))
        yield servers[0], servers[1], servers[2]
    finally:
        for server in servers:
            server.close()


def config(db: Path, sources: tuple[Source, ...]) -> WorkerConfig:
    return WorkerConfig(
        path=None,
        archive=db,
        politeness=Politeness(min_interval=MIN_INTERVAL, retries=0, timeout=20.0, deadline=30.0),
        recheck=RecheckPolicy(),  # nothing due again within the test
        sources=sources,
    )


def source(name: str, listing_url: str, hosts: tuple[LocalServer, ...]) -> Source:
    return Source(
        name=name,
        site="mid.ru",
        listing_urls=(listing_url,),
        link_pattern=PATTERN,
        allowed_hosts=tuple(server.address for server in hosts),
        pages_per_run=1,
    )


def assert_polite(*servers: LocalServer) -> None:
    for server in servers:
        times = [seen.at for seen in server.requests]
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert all(gap >= MIN_INTERVAL for gap in gaps), (server.address, gaps)


def assert_fast_hosts_done_first(fast: tuple[LocalServer, ...], slow: LocalServer) -> None:
    # The slow host's second request cannot start before its first was answered (SLOW s on).
    second_slow = slow.requests[1].at
    for server in fast:
        assert server.requests, server.address
        assert max(seen.at for seen in server.requests) < second_slow, server.address
    assert second_slow - slow.requests[0].at >= SLOW


def test_pages_of_one_run_on_three_hosts_go_at_their_own_pace(
    tmp_path: Path, hosts: tuple[LocalServer, LocalServer, LocalServer]
) -> None:
    fast_a, fast_b, slow = hosts
    links = [s.url(briefing(n)) for s in (slow, fast_a, fast_b) for n in range(1001, 1005)]
    links = links[:1] + links[4:]  # first one page on the slow host, then four on each fast one
    fast_a.route(LISTING, listing(links))
    cfg = config(tmp_path / "archive.db", (source("three", fast_a.url(LISTING), hosts),))
    with open_context(cfg) as ctx:
        report = run_source(ctx, cfg.sources[0], stop=threading.Event())
    assert report.error is None
    assert (report.counts.new, report.counts.failed) == (9, 0)
    assert_fast_hosts_done_first((fast_a, fast_b), slow)
    assert_polite(fast_a, fast_b, slow)
    # Every fast page was requested once, after its host's robots.txt (and fast_a's listing).
    assert fast_b.paths() == ["/robots.txt"] + [briefing(n) for n in range(1001, 1005)]
    assert slow.paths() == ["/robots.txt", briefing(1001)]


def test_daemon_runs_the_sources_of_three_hosts_at_once(
    tmp_path: Path, hosts: tuple[LocalServer, LocalServer, LocalServer]
) -> None:
    sources = []
    for server in hosts:
        links = [server.url(briefing(n)) for n in ((1001,) if server is hosts[2] else (1001, 1002))]
        server.route(LISTING, listing(links))
        if server is hosts[2]:
            server.route(LISTING, Reply(200, listing(links).body, HTML, delay=SLOW))
        sources.append(source(f"on-{server.address}", server.url(LISTING), (server,)))
    db = tmp_path / "archive.db"
    assert run_daemon(config(db, tuple(sources)), db_path=db, once=True) == 0
    fast_a, fast_b, slow = hosts
    assert_fast_hosts_done_first((fast_a, fast_b), slow)
    assert_polite(fast_a, fast_b, slow)
    with Archive.open(db) as archive:
        stored = archive.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        runs = archive.conn.execute("SELECT count(*) FROM runs WHERE error IS NULL").fetchone()[0]
    assert stored == 5
    assert runs == 4  # three sources and the recheck job
