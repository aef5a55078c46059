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
second, and the raw HTML bytes for storage. Then, on the 1-thread archive: `search` p50 over a few
queries; one paragraph edited in up to 100 briefings (bytes added per edit); and every fixture page
as it is (incl. tests/fixtures/real) stored once. Targets (issues 3, 10): ≥ 100 pages/s archived and
≥ 500 pages/s re-checked on 2 cores, ≤ 0.5 of the raw HTML stored.
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
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

from worker.archive import captures, export_records, get_version, search, store_page
from worker.archive.db import Archive
from worker.archive.texts import passages
from worker.config import Politeness, RecheckPolicy, Source, WorkerConfig
from worker.page import Page
from worker.pipeline import archive_url, open_context
from worker.profiles import Profiles, load_profiles
from worker.record import Record, Section

TARGET_ARCHIVE = 100.0  # pages/s, first pass
TARGET_RECHECK = 500.0  # pages/s, 304 pass


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
    "versions": "versions (each version's fields)",
    "passages": "passages (the distinct texts)",
    "passages_fts": "passages_fts (search index)",
    "sections": "sections and their order (where, who)",
    "section_passages": "sections and their order (where, who)",
    "version_sections": "sections and their order (where, who)",
    "documents": "documents",
    "fetches": "fetches (log)",
}
# The tables that hold a version's text and its index (what an edit adds to, besides its capture).
TEXT_TABLES = ("versions", "version_sections", "sections", "section_passages", "passages")
TARGET_FIRST = 1.0  # bytes of a first version / its raw HTML
TARGET_EDIT = 0.05  # bytes a one-paragraph edit adds / bytes of a first version
TARGET_SEARCH_MS = 50.0  # search p50 on a 2,000-page archive
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


def payload_bytes(db: Path, tables: Sequence[str] | None = None) -> int:
    """Bytes the rows (and their indexes) of `tables` take in the file, without the free space
    inside pages (dbstat's pgsize - unused); every table when None."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        # One FTS5 segment: its incremental merges would otherwise make the size jump about.
        conn.execute("INSERT INTO passages_fts (passages_fts) VALUES ('optimize')")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master").fetchall())
        total = 0
        for name, used in conn.execute("SELECT name, sum(pgsize - unused) FROM dbstat GROUP BY name"):
            table = owner.get(name, name)
            if table.startswith("passages_fts"):
                table = "passages"  # the index belongs with the texts it indexes
            if tables is None or table in tables:
                total += int(used)
        return total
    finally:
        conn.close()


@dataclass(frozen=True)
class EditCost:
    edits: int
    file_bytes: int  # the whole file grew by this (after a checkpoint)
    text_bytes: int  # of which the text tables and their index (payload)
    first_file: float  # file bytes per first version before the edits
    first_text: float  # text-table payload bytes per first version


def measure_edits(db: Path, count: int) -> EditCost:
    """Edit one paragraph of `count` briefings (a few words appended, in the record and in the
    page's bytes, as a ministry's correction) and store each as a fetched version."""
    before = measure_storage_quick(db)
    text_before = payload_bytes(db, TEXT_TABLES)
    with Archive.open(db) as archive:
        versions = int(archive.conn.execute("SELECT count(*) FROM versions").fetchone()[0])
        ids = [row[0] for row in archive.conn.execute("SELECT id FROM documents ORDER BY id")]
        done = 0
        for document_id in ids[:count]:
            stored = get_version(archive, document_id)
            edited = _edit_one_paragraph(stored.record)
            if edited is None or stored.capture_id is None:
                continue
            body = captures.load(archive, stored.capture_id).body
            page = Page.from_bytes(_edit_bytes(body, stored.record, edited), url=stored.record.url)
            store_page(archive, page, edited, source=None, parser_version="edit", duration=0.0)
            done += 1
    after = measure_storage_quick(db)
    return EditCost(
        done,
        after - before,
        payload_bytes(db, TEXT_TABLES) - text_before,
        before / versions,
        text_before / versions,
    )


def measure_storage_quick(db: Path) -> int:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())


_CORRECTION = " (Corrected: the meeting takes place on Tuesday.)"


def _edit_one_paragraph(record: Record) -> Record | None:
    """The record with a correction appended to its first paragraph (or turn)."""
    for index, section in enumerate(record.sections):
        if section.paragraphs or section.turns:
            if section.paragraphs:
                paragraphs = (section.paragraphs[0] + _CORRECTION, *section.paragraphs[1:])
                changed = Section(section.part, section.heading, paragraphs=paragraphs)
            else:
                first = replace(section.turns[0], text=section.turns[0].text + _CORRECTION)
                changed = Section(section.part, section.heading, turns=(first, *section.turns[1:]))
            return Record.from_dict(
                {
                    **record.to_dict(),
                    "sections": [
                        (changed if k == index else s).to_dict()
                        for k, s in enumerate(record.sections)
                    ],
                }
            )
    return None


def _edit_bytes(body: bytes, record: Record, edited: Record) -> bytes:
    """The page's bytes with the correction after the edited paragraph's last words."""
    section = next(s for s in record.sections if s.paragraphs or s.turns)
    first = section.paragraphs[0] if section.paragraphs else section.turns[0].text
    for encoding in ("utf-8", "cp1251"):
        tail = first[-24:].encode(encoding, errors="ignore")
        at = body.find(tail)
        if tail and at >= 0:
            end = at + len(tail)
            return body[:end] + _CORRECTION.encode(encoding) + body[end:]
    return body.replace(b"</body>", _CORRECTION.encode() + b"</body>", 1)


@dataclass(frozen=True)
class FixtureCost:
    name: str
    passages: int
    raw: int  # the page's HTML
    first: int  # bytes its first version added (rows and indexes, every table)
    edit: int  # bytes a one-paragraph edit of it added (its capture too)


def fixture_pages_storage(folder: Path) -> list[FixtureCost]:
    """Every fixture page as it is (tests/fixtures/pages and, if present, tests/fixtures/real)
    stored with its golden record, then one paragraph of it edited: the bytes each added (row
    bytes from dbstat, so the file's page-size steps do not blur a single page)."""
    fixtures = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
    db = folder / "fixtures.db"
    costs = []
    goldens = sorted((fixtures / "pages").glob("*.json")) + sorted(
        (fixtures / "real").glob("*.json")
    )
    Archive.open(db).close()
    for golden in goldens:
        html = golden.with_suffix(".html")
        if not html.is_file():
            html = golden.parent / "pages" / f"{golden.stem}.html"
        data = json.loads(golden.read_text(encoding="utf-8"))
        if not html.is_file() or "sections" not in data or "truncated" in golden.stem:
            continue
        record = Record.from_dict(data)
        edited = _edit_one_paragraph(record)
        body = html.read_bytes()
        url = record.url or f"https://fixture.example/{golden.stem}"
        sizes = [payload_bytes(db)]
        with Archive.open(db) as archive:
            store_page(archive, Page.from_bytes(body, url=url), record, source=None,
                       parser_version="golden", duration=0.0)  # fmt: skip
        sizes.append(payload_bytes(db))
        if edited is None:
            continue
        with Archive.open(db) as archive:
            page = Page.from_bytes(_edit_bytes(body, record, edited), url=url)
            store_page(archive, page, edited, source=None, parser_version="golden",
                       duration=0.0)  # fmt: skip
        sizes.append(payload_bytes(db))
        count = sum(1 for _ in passages(record))
        costs.append(FixtureCost(golden.stem, count, len(body), sizes[1] - sizes[0],
                                 sizes[2] - sizes[1]))  # fmt: skip
    return costs


_QUERIES = (
    "ministry",
    "security talks",
    '"foreign ministry"',
    "trade OR sanctions",
    "moscow NOT week",
    "cooperat*",
    "president",
    "the",
)


def search_p50_ms(db: Path, rounds: int = 5) -> tuple[float, float]:
    """`briefings search`'s function over the archive: p50 and p95 of each query, ms."""
    times = []
    with Archive.open(db) as archive:
        for _ in range(rounds):
            for query in _QUERIES:
                started = time.perf_counter()
                search(archive, query, limit=50)
                times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.95)]


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
    db1 = dbs[1]
    p50, p95 = search_p50_ms(db1)
    print(f"search ({storage.versions} briefings, {len(_QUERIES)} queries x 5): p50 {p50:.1f} ms,"
          f" p95 {p95:.1f} ms")  # fmt: skip
    edits = measure_edits(db1, min(100, storage.versions))
    print(
        f"a one-paragraph edit, {edits.edits} briefings: adds {edits.file_bytes / edits.edits:.0f}"
        f" bytes of file ({edits.file_bytes / edits.edits / edits.first_file:.3f} of a first"
        f" version's {edits.first_file:.0f}), of which text and index"
        f" {edits.text_bytes / edits.edits:.0f} bytes"
        f" ({edits.text_bytes / edits.edits / edits.first_text:.3f} of a first version's"
        f" {edits.first_text:.0f})"
    )
    fixture_costs = fixture_pages_storage(tmp)
    print("the fixture pages as they are (incl. tests/fixtures/real), each stored, then edited:")
    for cost in fixture_costs:
        print(
            f"  {cost.name:48} {cost.passages:4d} passages {cost.raw / 1024:7.1f} KiB:"
            f" first version {cost.first / cost.raw:5.3f} of its HTML,"
            f" a one-paragraph edit {cost.edit / cost.first:5.3f} of the first version"
        )
    long_ones = [c for c in fixture_costs if c.passages >= 50]
    fixture_first = sum(c.first for c in fixture_costs) / sum(c.raw for c in fixture_costs)
    long_edit = (
        sorted(c.edit / c.first for c in long_ones)[len(long_ones) // 2] if long_ones else None
    )
    (tmp / "fixtures.db").unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        (tmp / f"fixtures.db{suffix}").unlink(missing_ok=True)
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
    print(f"  first version stored / raw HTML: {fraction:.3f} (target ≤ {TARGET_FIRST})")
    print(
        f"  one-paragraph edit / first version: {edits.text_bytes / edits.edits / edits.first_text:.3f}"
        f" in text and index, {edits.file_bytes / edits.edits / edits.first_file:.3f} with its"
        f" capture and fetch log (target ≤ {TARGET_EDIT})"
    )
    print(f"  the fixture pages: first versions {fixture_first:.3f} of their HTML (target ≤ {TARGET_FIRST});"
          + (f" a one-paragraph edit of a briefing of 50+ passages (median of {len(long_ones)}):"
             f" {long_edit:.3f} of its first version (target ≤ {TARGET_EDIT})" if long_edit else ""))  # fmt: skip
    print(f"  search p50: {p50:.1f} ms on {storage.versions} briefings (target ≤ {TARGET_SEARCH_MS:.0f} ms on 2,000)")
    print(f"  peak RSS: {peak:.1f} MiB")


if __name__ == "__main__":
    main()
