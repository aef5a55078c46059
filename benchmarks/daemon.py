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

Reference measured in this run on the same server: a bare loop of httpx GETs of the same 1,000
briefing URLs with one client (no parse, no store), and the same loop with `If-None-Match`.
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sitegen import (
    LINK_PATTERNS,
    LISTING_PATH,
    LoopResult,
    bare_get_loop,
    briefing_site,
    peak_rss_mib,
    rss_mib,
    serve,
)

from worker.config import Politeness, RecheckPolicy, Source, WorkerConfig
from worker.daemon import run_daemon

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="distinct briefing pages (1000)")
    parser.add_argument("--cycles", type=int, default=11, help="daemon cycles in all (11)")
    parser.add_argument("--keep", action="store_true", help="keep the archive; print its path")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each bare GET loop (median) (3)"
    )
    args = parser.parse_args()
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
    print("summary:")
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
