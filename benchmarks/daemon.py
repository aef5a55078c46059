"""Daemon cycles (`briefings run --once`) over a local mid.ru-style site of 1,000 briefings.

Run: `python benchmarks/daemon.py [--pages 1000] [--cycles 11] [--keep]`.

A local site (`worker.demo.site.SampleSite`, ETag/304, served from a child process) serves
mid.ru listing pages (`ul.announce.announce_articles`, 20 links a page, `?PAGEN_1=N` with a
`.pagination a.pagination__next` link) linking `--pages` distinct briefings made from the
mid.ru fixture pages (benchmarks/sitegen.py). One source reads every listing page in a run;
pacing is off; the recheck policy makes every known page due at once, so each cycle's recheck
job re-checks all of them with conditional GETs (304).

Each cycle is `worker.daemon.run_daemon(config, db_path=..., once=True)`, the code path of
`briefings run --once` (archive lock, one Context per job, the discover job then the recheck
job). Cycle 1 archives everything (and re-checks it); later cycles find nothing new and only
re-check. Reported: cycle 1's wall time, pages/s and peak RSS; RSS after every cycle, and whether
RSS after the last cycle grew more than 10% over RSS after cycle 2 (issue 4: "RSS after 10
cycles (no growth beyond 10%)").

Hosts in parallel (`--host-pages N`, default 50; `--hosts-only` skips the cycles above): five
more local servers on 127.0.0.2-6 (each a host of its own to the pacer), each serving N mid.ru
briefings and their listing pages, paced at `min_interval = 0.2s`. One `run --once` with a
single source on 127.0.0.2 is the reference; one with four sources on 127.0.0.3-6 runs them at
once. Then every page is made due and one recheck run each (one host; four hosts, a lane per
host in one run). Reported: briefing pages per second of each and the ratio (target ≥ 3.5x).

Reference measured in this run on the same server: a bare loop of httpx GETs of the same 1,000
briefing URLs with one client (no parse, no store), and the same loop with `If-None-Match`.
"""

from __future__ import annotations

import argparse
import logging
import re
import sqlite3
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from sitegen import (
    LINK_PATTERNS,
    LISTING_PATH,
    LoopResult,
    Served,
    bare_get_loop,
    briefing_copies,
    briefing_site,
    midru_listings,
    peak_rss_mib,
    rss_mib,
    serve,
)

from worker.config import Politeness, RecheckPolicy, Source, WorkerConfig
from worker.daemon import Jobs, run_daemon

PER_LISTING_PAGE = 20  # links on one listing page, as on mid.ru
RSS_GROWTH_LIMIT = 0.10  # after the last cycle, over after cycle 2


@dataclass(frozen=True)
class JobRun:
    """One job of a cycle: its counts from the `runs` table, its time from its log line."""

    kind: str
    seconds: float
    seen: int
    new: int
    not_modified: int
    failed: int
    error: str | None


@dataclass(frozen=True)
class Cycle:
    number: int
    seconds: float
    rss_mib: float
    jobs: tuple[JobRun, ...]


class _RunEnds(logging.Handler):
    """Collects when each job's one summary line was logged (`worker.daemon`, INFO)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.times: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(("discover ", "recheck ")):
            self.times.append(time.perf_counter())


def make_config(base_url: str, db: Path, listing_pages: int, pages: int) -> WorkerConfig:
    source = Source(
        name="bench-mid.ru",
        site="mid.ru",
        listing_urls=(base_url + LISTING_PATH,),
        link_pattern=LINK_PATTERNS["mid.ru"],
        allowed_hosts=("127.0.0.1",),
        pages_per_run=listing_pages + 1,  # every listing page in one run
    )
    return WorkerConfig(
        path=None,
        archive=db,
        politeness=Politeness(min_interval=0.0, retries=0, timeout=10.0, deadline=30.0),
        # Due again at once after every check: each cycle re-checks every page (304).
        recheck=RecheckPolicy(after=(0.0,), every=0.0, per_run=pages, interval=60.0),
        sources=(source,),
    )


def run_cycle(config: WorkerConfig, db: Path, number: int, ends: _RunEnds) -> Cycle:
    last_run = _last_run_id(db)
    ends.times.clear()
    started = time.perf_counter()
    code = run_daemon(config, db_path=db, once=True)
    seconds = time.perf_counter() - started
    rss = rss_mib()
    if code != 0:
        raise SystemExit(f"cycle {number}: run_daemon exited with {code}")
    marks = [started, *ends.times]
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT kind, seen, new, not_modified, failed, error FROM runs WHERE id > ? ORDER BY id",
            (last_run,),
        ).fetchall()
    jobs = tuple(
        JobRun(kind, marks[i + 1] - marks[i] if i + 1 < len(marks) else float("nan"),
               seen, new, not_modified, failed, error)
        for i, (kind, seen, new, not_modified, failed, error) in enumerate(rows)
    )  # fmt: skip
    return Cycle(number, seconds, rss, jobs)


def _last_run_id(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0])
        except sqlite3.OperationalError:  # no schema yet
            return 0


def median_loop(urls: list[str], etags: dict[str, str] | None, repeats: int) -> LoopResult:
    runs = [bare_get_loop(urls, etags) for _ in range(repeats)]
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


def _describe(job: JobRun) -> str:
    counts = f"seen {job.seen}, new {job.new}, 304 {job.not_modified}, failed {job.failed}"
    error = f", error: {job.error}" if job.error else ""
    return f"{job.kind} {job.seconds:.2f} s ({counts}{error})"


HOST_INTERVAL = 0.2  # seconds, the pacing of the hosts comparison
SINGLE_HOST = "127.0.0.2"
FOUR_HOSTS = ("127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6")


def hosts_site(per_host: int) -> list[Served]:
    """`per_host` distinct mid.ru briefings and their listing pages on each of five hosts."""
    hosts = (SINGLE_HOST, *FOUR_HOSTS)
    pages = briefing_copies(per_host * len(hosts), ("mid.ru",))
    served: list[Served] = []
    for index, host in enumerate(hosts):
        own = pages[index * per_host : (index + 1) * per_host]
        listings = midru_listings([p.path for p in own], PER_LISTING_PAGE)
        served += [replace(page, host=host) for page in [*listings, *own]]
    return served


def hosts_config(db: Path, listings: dict[str, str], pages: int, *, recheck: bool) -> WorkerConfig:
    sources = tuple(
        Source(
            name=f"bench-{host}",
            site="mid.ru",
            listing_urls=(url,),
            # The host in the pattern: a recheck finds each page's source (and hosts) by it.
            link_pattern=rf"^http://{re.escape(host)}:\d+" + LINK_PATTERNS["mid.ru"],
            allowed_hosts=(host,),
            pages_per_run=pages // PER_LISTING_PAGE + 1,
        )
        for host, url in listings.items()
    )
    # Discovery runs: nothing is due again. Recheck runs: everything is, once.
    policy = (
        RecheckPolicy(after=(0.0,), every=0.0, per_run=10 * pages) if recheck else RecheckPolicy()
    )
    return WorkerConfig(
        path=None,
        archive=db,
        politeness=Politeness(min_interval=HOST_INTERVAL, retries=0, timeout=10.0, deadline=30.0),
        recheck=policy,
        sources=sources,
    )


def timed_once(config: WorkerConfig, db: Path) -> tuple[float, dict[str, int]]:
    """Wall time of one `run --once` (of the recheck job alone when every page is due), and its
    runs' counts by kind (seen pages, summed)."""
    last = _last_run_id(db)
    started = time.perf_counter()
    if config.recheck.per_run > RecheckPolicy().per_run:  # the recheck job alone
        with sqlite3.connect(db) as conn:  # every page due now
            conn.execute("UPDATE documents SET next_check_at = '2000-01-01T00:00:00+00:00'")
        with closing(Jobs(config, db)) as jobs:
            ok = jobs.recheck()
    else:
        ok = run_daemon(config, db_path=db, once=True) == 0
    if not ok:
        raise SystemExit("hosts benchmark: a job failed")
    seconds = time.perf_counter() - started
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT kind, sum(seen), sum(failed) FROM runs WHERE id > ? GROUP BY kind", (last,)
        ).fetchall()
    if any(failed for _, _, failed in rows):
        raise SystemExit(f"hosts benchmark: failed pages: {rows}")
    return seconds, {kind: int(seen) for kind, seen, _ in rows}


def hosts_benchmark(per_host: int) -> tuple[float, float]:
    """Print pages/s on one host and on four at once; the discover and the recheck ratios."""
    print(f"hosts in parallel: {per_host} briefings on each host, min_interval {HOST_INTERVAL} s")
    ratios = []
    with serve(partial(hosts_site, per_host)) as (_base, served):
        first_listing = {
            urlsplit(p.url).hostname or "": p.url
            for p in served
            if p.kind == "listing" and p.path == LISTING_PATH
        }
        tmp = Path(tempfile.mkdtemp(prefix="briefings-bench-hosts-"))
        for kind in ("discover", "recheck"):
            rates = []
            for label, hosts in (("1 host ", (SINGLE_HOST,)), ("4 hosts", FOUR_HOSTS)):
                db = tmp / f"{'-'.join(hosts)}.db"
                listings = {host: first_listing[host] for host in hosts}
                config = hosts_config(db, listings, per_host, recheck=kind == "recheck")
                seconds, seen = timed_once(config, db)
                rate = seen.get(kind, 0) / seconds
                rates.append(rate)
                print(
                    f"  {kind:8} {label}: {seen.get(kind, 0):4} pages in {seconds:6.2f} s "
                    f"= {rate:5.2f} pages/s"
                )
            ratios.append(rates[1] / rates[0])
            print(f"  {kind:8} 4 hosts / 1 host: {ratios[-1]:.2f}x (target ≥ 3.5x)")
        for path in tmp.iterdir():
            path.unlink()
        tmp.rmdir()
    return ratios[0], ratios[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="distinct briefing pages (1000)")
    parser.add_argument("--cycles", type=int, default=11, help="daemon cycles in all (11)")
    parser.add_argument("--keep", action="store_true", help="keep the archive; print its path")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each bare GET loop (median) (3)"
    )
    parser.add_argument(
        "--host-pages", type=int, default=50, help="briefings per host, hosts comparison (50)"
    )
    parser.add_argument("--hosts-only", action="store_true", help="only the hosts comparison")
    args = parser.parse_args()
    if args.hosts_only:
        logging.getLogger().setLevel(logging.WARNING)
        hosts_benchmark(args.host_pages)
        return
    logging.getLogger().setLevel(logging.WARNING)
    ends = _RunEnds()
    daemon_log = logging.getLogger("worker.daemon")
    daemon_log.setLevel(logging.INFO)  # its one line per job; the root logger stays at WARNING
    daemon_log.addHandler(ends)

    tmp = Path(tempfile.mkdtemp(prefix="briefings-bench-daemon-"))
    db = tmp / "archive.db"
    build = partial(briefing_site, args.pages, ("mid.ru",), PER_LISTING_PAGE)
    with serve(build) as (base_url, served):
        briefings = [p for p in served if p.kind == "briefing"]
        listings = [p for p in served if p.kind == "listing"]
        urls = [base_url + p.path for p in briefings]
        raw = sum(p.size for p in briefings)
        print(
            f"site: {base_url} (child process): {len(listings)} listing pages linking "
            f"{len(briefings)} distinct mid.ru briefings, {raw / len(briefings) / 1024:.1f} KiB "
            "each on average"
        )
        print(f"archive: {db}")
        reference = median_loop(urls, None, args.repeats)
        conditional = median_loop(urls, reference.etags, args.repeats)
        print(f"reference, bare httpx GET loop over the briefings (one client, median of {args.repeats}):")  # fmt: skip
        print(f"  200 (full body)      {reference.per_second:8.1f} pages/s  {reference.seconds:6.2f} s")  # fmt: skip
        print(f"  304 (If-None-Match)  {conditional.per_second:8.1f} pages/s  {conditional.seconds:6.2f} s")  # fmt: skip
        print()

        config = make_config(base_url, db, len(listings), len(briefings))
        rss_before = rss_mib()
        print(f"RSS before cycle 1: {rss_before:.1f} MiB")
        cycles: list[Cycle] = []
        first_peak = 0.0
        for number in range(1, args.cycles + 1):
            cycle = run_cycle(config, db, number, ends)
            cycles.append(cycle)
            if number == 1:
                first_peak = peak_rss_mib()
            jobs = "; ".join(_describe(job) for job in cycle.jobs)
            print(
                f"cycle {number:2}: {cycle.seconds:6.2f} s, RSS {cycle.rss_mib:6.1f} MiB  [{jobs}]"
            )

    first = cycles[0]
    discover = next((j for j in first.jobs if j.kind == "discover"), None)
    recheck = next((j for j in first.jobs if j.kind == "recheck"), None)
    fetched = (discover.seen if discover else 0) + (recheck.seen if recheck else 0)
    print()
    print("cycle 1:")
    print(f"  wall time {first.seconds:.2f} s: {len(listings)} listing pages, {fetched} briefing fetches")  # fmt: skip
    if discover and discover.seconds > 0:
        rate = discover.new / discover.seconds
        print(
            f"  discover job: {discover.new} new pages in {discover.seconds:.2f} s = {rate:.1f} "
            f"pages/s, {rate / reference.per_second:.2f}x of bare GETs (incl. the listing walk)"
        )
    if recheck and recheck.seconds > 0:
        rate = recheck.not_modified / recheck.seconds
        print(
            f"  recheck job: {recheck.not_modified} not modified in {recheck.seconds:.2f} s = "
            f"{rate:.1f} pages/s, {rate / conditional.per_second:.2f}x of bare conditional GETs"
        )
    print(f"  all fetches: {(fetched + len(listings)) / first.seconds:.1f} pages/s over the cycle")
    print(f"  peak RSS through cycle 1: {first_peak:.1f} MiB (RSS before: {rss_before:.1f} MiB)")
    later = cycles[1:]
    if later:
        print(
            f"cycles 2-{cycles[-1].number}: {sum(c.seconds for c in later) / len(later):.2f} s "
            "each on average"
        )
    size = sum(p.stat().st_size for p in tmp.iterdir() if p.name.startswith("archive.db"))
    print(f"archive after {len(cycles)} cycles: {size / 2**20:.1f} MiB (file, WAL and shm)")
    if args.keep:
        print(f"kept: {db}")
    else:
        for path in tmp.iterdir():
            path.unlink()
        tmp.rmdir()

    print()
    discover_ratio, recheck_ratio = hosts_benchmark(args.host_pages)

    print()
    print("summary:")
    print(
        f"  hosts in parallel (min_interval {HOST_INTERVAL} s): 4 hosts / 1 host = "
        f"{discover_ratio:.2f}x new pages/s, {recheck_ratio:.2f}x rechecks/s (target ≥ 3.5x)"
    )
    if discover and discover.seconds > 0:
        rate = discover.new / discover.seconds
        print(
            f"  cycle 1: {first.seconds:.2f} s wall, {rate:.1f} new pages/s "
            f"= {rate / reference.per_second:.2f}x of bare GETs"
        )
    print(f"  peak RSS (through cycle 1): {first_peak:.1f} MiB")
    if len(cycles) >= 2:
        base, last = cycles[1].rss_mib, cycles[-1].rss_mib
        growth = (last - base) / base
        verdict = "no" if growth <= RSS_GROWTH_LIMIT else "YES"
        print(
            f"  RSS growth after cycle {cycles[-1].number} over after cycle 2: "
            f"{base:.1f} → {last:.1f} MiB, {growth * 100:+.1f}% "
            f"(target ≤ +{RSS_GROWTH_LIMIT * 100:.0f}%; beyond it: {verdict})"
        )


if __name__ == "__main__":
    main()
