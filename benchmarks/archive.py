"""Archive throughput, 304 re-checks, storage and memory over a local site of distinct briefings.

Run: `python benchmarks/archive.py [--pages 500] [--threads 2] [--keep]`.

A local site (`worker.demo.site.SampleSite`, ETag/304, served from a child process) serves
`--pages` distinct briefing pages made from the fixture pages (benchmarks/sitegen.py): each
keeps its fixture's chrome but has text of its own, and is served from one server (port) per
host the fixtures came from, so the archive sees the pages of a site on one host. With
pacing off (`min_interval=0`, no retries) and a fresh SQLite archive in a temporary directory:

1. first pass: every URL through `worker.pipeline.archive_url` (fetch, extract, store): pages/s,
   single-threaded and with `--threads` threads, each with its own Context (its own SQLite
   connection and HTTP client) and an interleaved share of the URLs, on a second fresh archive;
2. second pass over the same URLs: the stored ETags make every GET conditional (304): pages/s;
3. storage: the archive (file + WAL after a checkpoint) per version, as a fraction of the raw
   HTML served, with the breakdown by table (SQLite's dbstat);
4. peak RSS of this process (the site's process is not counted).

References measured in this run on the same server and URLs: a bare loop of httpx GETs with one
client (no parse, no store) for the first pass, the same loop with `If-None-Match` for the
second, and the raw HTML bytes for storage. Targets (issue 3): ≥ 100 pages/s archived and
≥ 500 pages/s re-checked on 2 cores, ≤ 0.5 of the raw HTML stored.
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sitegen import (
    LINK_PATTERNS,
    LoopResult,
    bare_get_loop,
    briefing_site,
    peak_rss_mib,
    rss_mib,
    serve,
)

from worker.archive import export_records
from worker.archive.db import Archive
from worker.archive.texts import passages
from worker.config import Politeness, RecheckPolicy, Source, WorkerConfig
from worker.pipeline import archive_url, open_context
from worker.profiles import Profiles, load_profiles

TARGET_ARCHIVE = 100.0  # pages/s, first pass
TARGET_RECHECK = 500.0  # pages/s, 304 pass
TARGET_STORAGE = 0.5  # archive bytes / raw HTML bytes


@dataclass(frozen=True)
class PassResult:
    seconds: float
    outcomes: Counter[str]
    errors: tuple[str, ...]

    def per_second(self, pages: int) -> float:
        return pages / self.seconds


def make_config(base_url: str, db: Path, sites: Sequence[str]) -> WorkerConfig:
    """One source per site profile in use, pacing off, a local server that fails fast."""
    sources = tuple(
        Source(
            name=f"bench-{site}",
            site=site,
            listing_urls=(f"{base_url}/",),
            link_pattern=LINK_PATTERNS[site],
            allowed_hosts=("127.0.0.1",),
        )
        for site in sites
    )
    politeness = Politeness(min_interval=0.0, retries=0, timeout=10.0, deadline=30.0)
    return WorkerConfig(
        path=None, archive=db, politeness=politeness, recheck=RecheckPolicy(), sources=sources
    )


def archive_pass(
    config: WorkerConfig,
    profiles: Profiles,
    jobs: Sequence[tuple[str, Source]],
    threads: int,
) -> PassResult:
    """`archive_url` over `jobs` in `threads` threads, each with its own Context; timed from
    the moment every thread has its Context open until the last one finishes."""
    shares = [jobs[k::threads] for k in range(threads)]
    ready = threading.Barrier(threads + 1)
    outcomes: list[Counter[str]] = [Counter() for _ in range(threads)]
    errors: list[list[str]] = [[] for _ in range(threads)]

    def work(k: int) -> None:
        with open_context(config, config.archive, profiles=profiles) as ctx:
            ready.wait()
            for url, source in shares[k]:
                outcome = archive_url(ctx, url, source=source)
                outcomes[k][outcome.outcome] += 1
                if outcome.failed and len(errors[k]) < 3:
                    errors[k].append(f"{url}: {outcome.outcome} {outcome.error}")

    workers = [threading.Thread(target=work, args=(k,), name=f"bench-{k}") for k in range(threads)]
    for worker in workers:
        worker.start()
    ready.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    return PassResult(seconds, sum(outcomes, Counter()), tuple(e for errs in errors for e in errs))


def median_loop(urls: Sequence[str], etags: dict[str, str] | None, repeats: int) -> LoopResult:
    runs = [bare_get_loop(urls, etags) for _ in range(repeats)]
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


# ---- storage ---------------------------------------------------------------------------------

_GROUPS = {
    "captures": "captures (raw HTML, zstd)",
    "versions": "versions (records, zstd against captures)",
    "passages": "passages (where, who)",
    "passages_fts": "passages_fts (search index)",
    "documents": "documents",
    "fetches": "fetches (log)",
}
_OTHER = "other (schema, runs, free pages)"


@dataclass(frozen=True)
class Storage:
    file_bytes: int  # archive + WAL after a checkpoint
    groups: dict[str, int]  # page bytes by table group (dbstat), or empty
    capture_blob_bytes: int  # sum(length(body)): the compressed HTML alone
    capture_raw_bytes: int  # sum(size)
    bases: int  # captures stored without a dictionary
    text_bytes: int  # the passages' text, UTF-8: the briefing text itself
    record_json_bytes: int  # the records as plain JSON
    record_blob_bytes: int  # sum(length(record)): the records as stored
    versions: int


def measure_storage(db: Path) -> Storage:
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        file_bytes = sum(
            p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists()
        )
        columns = {row[1] for row in conn.execute("PRAGMA table_info(captures)")}
        based = "count(dictionary_id)" if "dictionary_id" in columns else "0"  # older archives
        blob, raw, bases = conn.execute(
            "SELECT coalesce(sum(length(body)), 0), coalesce(sum(size), 0),"
            f" count(*) - {based} FROM captures"
        ).fetchone()
        versions = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
        record_blob = 0  # schema 3 keeps no record blobs: the text is in plain tables
        groups: dict[str, int] = {}
        try:
            owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master").fetchall())
            for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
                table = owner.get(name, name)
                if table.startswith("passages_fts"):
                    table = "passages_fts"
                group = _GROUPS.get(table, _OTHER)
                groups[group] = groups.get(group, 0) + int(size)
            # dbstat lists b-tree pages only: the file's free pages count here too.
            free = conn.execute("PRAGMA freelist_count").fetchone()[0]
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            groups[_OTHER] = groups.get(_OTHER, 0) + int(free) * int(page_size)
        except sqlite3.OperationalError:  # SQLite built without the dbstat table
            groups = {}
    finally:
        conn.close()
    text, record_json = _record_sizes(db)
    return Storage(
        file_bytes,
        groups,
        int(blob),
        int(raw),
        int(bases),
        text,
        record_json,
        record_blob,
        int(versions),
    )


def _record_sizes(db: Path) -> tuple[int, int]:
    """The latest records' text and plain JSON, in UTF-8 bytes, read back through the archive."""
    text = record_json = 0
    with Archive.open(db) as archive:
        for version in export_records(archive, None):
            record = version.record
            record_json += len(record.to_json(indent=None).encode())
            text += sum(len(p.text.encode()) for p in passages(record))
    return text, record_json


# ---- the run ---------------------------------------------------------------------------------


def _report_pass(
    label: str, result: PassResult, pages: int, reference: LoopResult, expected: str
) -> None:
    outcomes = ", ".join(f"{n} {o}" for o, n in result.outcomes.most_common())
    print(
        f"  {label:34} {result.per_second(pages):8.1f} pages/s  {result.seconds:6.2f} s"
        f"  {result.per_second(pages) / reference.per_second:5.2f}x of bare GETs  ({outcomes})"
    )
    if result.outcomes[expected] != pages:
        print(f"  ! expected {pages} {expected}; first errors:")
        for error in result.errors:
            print(f"    {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=500, help="distinct briefing pages (500)")
    parser.add_argument(
        "--threads", type=int, default=2, help="threads for the threaded run (2; 1: skip it)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the archives; print their paths")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each bare GET loop (median) (3)"
    )
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.WARNING)

    profiles = load_profiles()
    tmp = Path(tempfile.mkdtemp(prefix="briefings-bench-archive-"))
    print(f"RSS before the run: {rss_mib():.1f} MiB")

    with serve(partial(briefing_site, args.pages, by_host=True)) as (base_url, pages):
        raw_bytes = sum(p.size for p in pages)
        sites = sorted({p.site for p in pages})
        urls = [p.url for p in pages]
        print(
            f"{len(pages)} distinct pages from the fixtures ({', '.join(sites)}), "
            f"{raw_bytes / len(pages) / 1024:.1f} KiB each on average, {raw_bytes / 2**20:.1f} MiB"
        )
        hosts = len({url.split("/")[2] for url in urls})
        print(f"site: {base_url} and {hosts - 1} more hosts (child process); archives under {tmp}")
        print()
        reference = median_loop(urls, None, args.repeats)
        conditional = median_loop(urls, reference.etags, args.repeats)
        print(f"reference, bare httpx GET loop (one client, median of {args.repeats}):")
        print(
            f"  200 (full body){'':19} {reference.per_second:8.1f} pages/s  "
            f"{reference.seconds:6.2f} s  {reference.statuses}"
        )
        print(
            f"  304 (If-None-Match){'':15} {conditional.per_second:8.1f} pages/s  "
            f"{conditional.seconds:6.2f} s  {conditional.statuses}"
        )

        runs = [1] + ([args.threads] if args.threads > 1 else [])
        results: dict[int, tuple[PassResult, PassResult]] = {}
        dbs: dict[int, Path] = {}
        for threads in runs:
            db = tmp / f"archive-{threads}t.db"
            config = make_config(base_url, db, sites)
            Archive.open(db).close()  # the schema, outside the timing
            by_site = {s.site: s for s in config.sources}
            jobs = [(url, by_site[p.site]) for url, p in zip(urls, pages, strict=True)]
            label = "1 thread" if threads == 1 else f"{threads} threads, a Context each"
            print(f"archive_url, {label}:")
            first = archive_pass(config, profiles, jobs, threads)
            _report_pass("first pass (fetch+extract+store)", first, len(pages), reference, "new")
            if threads == 1:
                storage = measure_storage(db)
            second = archive_pass(config, profiles, jobs, threads)
            _report_pass("second pass (304 re-check)", second, len(pages), conditional,
                         "not-modified")  # fmt: skip
            results[threads] = (first, second)
            dbs[threads] = db
            if threads == 1:
                after_304 = measure_storage(db)
            print(f"  RSS now {rss_mib():.1f} MiB")

    print()
    print(f"storage (the 1-thread archive after its first pass, {storage.versions} versions):")
    print(
        f"  archive file + WAL after checkpoint         {storage.file_bytes / 2**20:8.2f} MiB, "
        f"{storage.file_bytes / max(storage.versions, 1) / 1024:.1f} KiB per version"
    )
    print(f"  raw HTML served (reference)                 {raw_bytes / 2**20:8.2f} MiB")
    if storage.groups:
        for group, size in sorted(storage.groups.items(), key=lambda kv: -kv[1]):
            print(f"    {group:42} {size / 2**20:7.2f} MiB  {size / raw_bytes:5.3f} of raw HTML")
    if storage.capture_raw_bytes:
        print(
            f"    (capture blobs alone: {storage.capture_blob_bytes / 2**20:.2f} MiB, zstd "
            f"{storage.capture_raw_bytes / max(storage.capture_blob_bytes, 1):.1f}x; "
            f"{storage.bases} of {storage.versions} captures are bases)"
        )
    print(
        f"    (the briefing text itself, UTF-8: {storage.text_bytes / 2**20:.2f} MiB, "
        f"{storage.text_bytes / raw_bytes:.3f} of raw HTML)"
    )
    logged = after_304.file_bytes - storage.file_bytes
    print(
        f"  the second pass (304s) added {logged / 1024:.1f} KiB, "
        f"{logged / len(pages):.0f} bytes per re-check (the fetch log and document times)"
    )
    if args.keep:
        for threads, db in dbs.items():
            print(f"  kept: {db} ({threads} thread{'s' if threads > 1 else ''})")
    else:
        for db in dbs.values():
            for suffix in ("", "-wal", "-shm"):
                db.with_name(db.name + suffix).unlink(missing_ok=True)
        tmp.rmdir()

    single_first, single_second = results[1]
    best = max(results, key=lambda t: results[t][0].per_second(len(pages)))
    best_first = results[best][0].per_second(len(pages))
    best_second = max(r[1].per_second(len(pages)) for r in results.values())
    fraction = storage.file_bytes / raw_bytes
    peak = peak_rss_mib()
    print()
    print("summary:")
    print(
        f"  archived: {single_first.per_second(len(pages)):.1f} pages/s with 1 thread"
        + "".join(
            f", {results[t][0].per_second(len(pages)):.1f} with {t} threads"
            for t in results if t > 1
        )
        + f"; best {best_first / reference.per_second:.2f}x of bare GETs "
        f"(target ≥ {TARGET_ARCHIVE:.0f} pages/s)"
    )  # fmt: skip
    print(
        f"  re-checked (304): {single_second.per_second(len(pages)):.1f} pages/s with 1 thread"
        + "".join(
            f", {results[t][1].per_second(len(pages)):.1f} with {t} threads"
            for t in results if t > 1
        )
        + f"; best {best_second / conditional.per_second:.2f}x of bare conditional GETs "
        f"(target ≥ {TARGET_RECHECK:.0f} pages/s)"
    )  # fmt: skip
    print(f"  stored / raw HTML: {fraction:.3f} (target ≤ {TARGET_STORAGE})")
    print(f"  peak RSS: {peak:.1f} MiB")


if __name__ == "__main__":
    main()
