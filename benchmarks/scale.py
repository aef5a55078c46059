"""A ministry's whole history: a 30,000-briefing archive built through the real pipeline, measured.

Run: `python benchmarks/scale.py [--briefings 30000] [--window 1000] [--keep]` (under 20 minutes
for 30,000 on 2 cores; `--briefings 3000` for a quick look).

A local site in a child process makes briefing page N on request: a fixture page's chrome and
markup (benchmarks/sitegen.py) around text drawn, seeded by N, from a pool of 20,000 sentences
per language babbled once by sitegen's word chain (its per-page babbling costs ~10 ms a page, too
much beside the worker on 2 cores), with ETags, 304s and, once switched on, a second edition of
every 100th page (one word changed mid-transcript). The archive is built by `worker.pipeline.archive_url`
(fetch, extract, store), pacing off:

1. archive rate on the empty archive: the first `--window` pages, made in advance so the site's
   own work is not timed; reference: a bare httpx GET loop over the same pages;
2. the bulk (with a progress bar on a terminal), two processes; the commands below are measured
   once at a tenth of the size, the reference for how they grow;
3. archive rate again on the full archive: the last `--window` pages, made in advance;
4. the daemon's recheck job over every document (all made due; every 100th page has changed),
   in a process of its own (`Jobs.recheck`, the code `briefings run` runs), its peak RSS
   sampled every 50 ms; reference: a bare conditional GET loop; the query plans of the
   due-for-recheck and known-URL queries (EXPLAIN QUERY PLAN: indexes, no full scans);
5. `search` (a rare word, a common word, a phrase with --since/--until/--site), `list` (when
   the command exists), `show`, `versions`, `diff`, `status`: p50/p95 of repeated runs of the
   real click command in this process (no interpreter start-up); reference: the same at a
   tenth of the size, and a bare FTS5 MATCH for search;
6. `export --out` (jsonl) rate; reference: reading every stored passage row alone;
7. `reparse --all` rate with its progress bar; reference: extraction alone of a sample;
8. archive size per briefing, passages per briefing.

Targets (issue 12): search p50 ≤ 50 ms and p95 ≤ 200 ms, list/status ≤ 200 ms, daemon RSS
≤ 200 MB.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import multiprocessing
import os
import random
import re
import sqlite3
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
import psutil
from click.testing import CliRunner
from sitegen import (
    FIRST_NUMBER,
    LINK_PATTERNS,
    PATH_TEMPLATES,
    Fixture,
    babblers,
    bare_get_loop,
    load_fixtures,
)

from worker.archive import due_for_recheck, export_records, known_urls, status_summary
from worker.archive.db import Archive
from worker.archive.follow import list_documents
from worker.archive.texts import passages
from worker.cli import main as briefings
from worker.cli.progress import progress_bar
from worker.config import Politeness, RecheckPolicy, Source, WorkerConfig
from worker.extract import extract
from worker.page import Page
from worker.pipeline import archive_url, open_context, reparse
from worker.profiles import load_profiles

EDIT_EVERY = 100  # every 100th page has a second edition once the site is told so
_NUMBER = re.compile(r"(\d{7})")
TARGET_SEARCH_P50 = 0.050
TARGET_SEARCH_P95 = 0.200
TARGET_LIST = 0.200
TARGET_RSS_MIB = 200.0


# ---- the site: page N made on request, in a child process ---------------------------------


POOL_SENTENCES = 20_000  # per language: page texts are drawn from these


class _Site:
    def __init__(self) -> None:
        self.fixtures = load_fixtures()
        self.cache: dict[int, bytes] = {}
        self.edited = False
        # sitegen's word chain costs ~10 ms a page, more than the worker's own work would leave
        # to the site on 2 cores: babble a pool of sentences once, draw each page from it.
        rng = random.Random("scale")
        self.pool = {
            language: [" ".join(chain.words(rng, 1)) for _ in range(POOL_SENTENCES)]
            for language, chain in babblers().items()
        }

    def make(self, index: int) -> bytes:
        """Page `index`: its fixture's chrome around sentences of the pool, its own number."""
        fixture = self.fixture(index)
        rng = random.Random(index)
        sentences = self.pool[fixture.language]
        edits: list[tuple[int, int, bytes]] = []
        for slot in fixture.slots:
            words: list[str] = []
            while len(words) < slot.words:
                words += sentences[rng.randrange(len(sentences))].split()
            text = " ".join(words[: slot.words])
            if slot.heading:
                text = text.rstrip(".?!…,;:»")
            elif text[-1] not in ".?!…":
                text += "."
            new = escape(text, quote=False).encode(fixture.encoding, "xmlcharrefreplace")
            edits.extend((start, end, new) for start, end in slot.spans)
        pieces: list[bytes] = []
        at = 0
        for start, end, new in sorted(edits):
            pieces += [fixture.body[at:start], new]
            at = end
        body = b"".join([*pieces, fixture.body[at:]])
        if fixture.document_number is not None:
            _, dash, rest = fixture.document_number.partition(b"-")
            body = body.replace(fixture.document_number, b"%d%s%s" % (1000 + index, dash, rest))
        return body

    def fixture(self, index: int) -> Fixture:
        return self.fixtures[index % len(self.fixtures)]

    def etag(self, index: int) -> str:
        edition = 2 if self.edited and index % EDIT_EVERY == 0 else 1
        return f'"{index}-{edition}"'

    def body(self, index: int) -> bytes:
        body = self.cache.get(index) or self.make(index)
        if self.edited and index % EDIT_EVERY == 0:  # a small later edit, mid-transcript
            places = [m.start() for m in re.finditer(rb" the ", body)]
            if places:
                at = places[len(places) // 2]
                body = body[:at] + b" this " + body[at + 5 :]
        return body


def page_path(fixture: Fixture, index: int) -> str:
    return PATH_TEMPLATES[fixture.site].format(lang=fixture.language, number=FIRST_NUMBER + index)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as in sitegen: no 40 ms delayed-ACK stalls
    server: _Server

    def do_GET(self) -> None:
        site = self.server.site
        if self.path.startswith("/_make/"):  # /_make/A-B: make pages A..B-1 now, keep them
            first, last = (int(n) for n in self.path.rsplit("/", 1)[1].split("-"))
            for index in range(first, last):
                site.cache[index] = site.make(index)
            return self._send(200, b"ok", {})
        if self.path == "/_edit":
            site.edited = True
            return self._send(200, b"ok", {})
        match = _NUMBER.search(self.path)
        if match is None:
            return self._send(404, b"not found", {})
        index = int(match.group(1)) - FIRST_NUMBER
        etag = site.etag(index)
        if self.headers.get("If-None-Match") == etag:
            return self._send(304, b"", {"ETag": etag})
        fixture = site.fixture(index)
        self._send(200, site.body(index), {"ETag": etag, "Content-Type": fixture.content_type})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.site = _Site()


def _serve(conn: Connection) -> None:
    server = _Server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.send(server.server_address[1])
    conn.recv()
    server.shutdown()


@contextmanager
def local_site() -> Iterator[str]:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(theirs,), daemon=True)
    process.start()
    try:
        yield f"http://127.0.0.1:{ours.recv()}"
    finally:
        with suppress(OSError):
            ours.send("stop")
        process.join(10)
        if process.is_alive():
            process.terminate()


# ---- measuring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    label: str
    times: tuple[float, ...]

    @property
    def p50(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(label: str, call: Callable[[], object], repeats: int) -> Timing:
    call()  # warm: the first run reads the file into the page cache
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return Timing(label, tuple(times))


def run_cli(args: Sequence[str]) -> str:
    result = CliRunner().invoke(briefings, list(args), catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(f"briefings {' '.join(args)}: exit {result.exit_code}: {result.output}")
    return result.output


def make_config(base_url: str, db: Path, per_run: int) -> WorkerConfig:
    sites = sorted({fixture.site for fixture in load_fixtures()})
    sources = tuple(
        Source(
            name=f"scale-{site}",
            site=site,
            listing_urls=(f"{base_url}/",),
            link_pattern=LINK_PATTERNS[site],
            allowed_hosts=("127.0.0.1",),
        )
        for site in sites
    )
    return WorkerConfig(
        path=None,
        archive=db,
        politeness=Politeness(min_interval=0.0, retries=1, timeout=30.0, deadline=60.0),
        recheck=RecheckPolicy(after=(3600.0,), every=86400.0, per_run=per_run),
        sources=sources,
    )


def urls_for(base_url: str, indexes: range) -> list[str]:
    fixtures = load_fixtures()
    return [base_url + page_path(fixtures[i % len(fixtures)], i) for i in indexes]


def archive_all(config: WorkerConfig, urls: Sequence[str], threads: int, label: str) -> float:
    """Archive `urls` with `threads` threads (a Context each); the wall time."""
    shares = [urls[k::threads] for k in range(threads)]
    failures: Counter[str] = Counter()
    lock = threading.Lock()
    profiles = load_profiles()
    with progress_bar(label, len(urls)) as bar:

        def work(share: Sequence[str]) -> None:
            with open_context(config, profiles=profiles) as ctx:
                for url in share:
                    outcome = archive_url(ctx, url)
                    with lock:
                        bar.advance()
                        if outcome.failed:
                            failures[outcome.outcome] += 1

        started = time.perf_counter()
        workers = [threading.Thread(target=work, args=(share,)) for share in shares]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    if failures:
        raise SystemExit(f"{label}: failed pages: {dict(failures)}")
    return time.perf_counter() - started


def _archive_share(config: WorkerConfig, urls: Sequence[str]) -> dict[str, int]:
    """In a worker process: archive `urls`; the failed outcomes counted."""
    logging.getLogger().setLevel(logging.WARNING)
    failures: Counter[str] = Counter()
    with open_context(config) as ctx:
        for url in urls:
            outcome = archive_url(ctx, url)
            if outcome.failed:
                failures[outcome.outcome] += 1
    return dict(failures)


def archive_in_processes(
    config: WorkerConfig, urls: Sequence[str], processes: int, label: str
) -> float:
    """Archive `urls` from `processes` processes (GIL-free on 2 cores; SQLite takes one writer
    at a time, each page one short transaction); the wall time. The bar follows the archive."""
    context = multiprocessing.get_context("spawn")
    before = _documents(config.archive)
    started = time.perf_counter()
    with context.Pool(processes) as pool, progress_bar(label, len(urls)) as bar:
        shares = [(config, urls[k::processes]) for k in range(processes)]
        result = pool.starmap_async(_archive_share, shares)
        while not result.ready():
            result.wait(1.0)
            bar.update(_documents(config.archive) - before, len(urls))
        failures = sum((Counter(f) for f in result.get()), Counter())
    if failures:
        raise SystemExit(f"{label}: failed pages: {dict(failures)}")
    return time.perf_counter() - started


def _documents(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM documents").fetchone()[0])


def make_in_advance(base_url: str, indexes: range) -> None:
    httpx.get(f"{base_url}/_make/{indexes.start}-{indexes.stop}", timeout=600).raise_for_status()


# ---- the commands ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Queries:
    rare: str
    common: str
    phrase: str
    since: str
    until: str
    site: str


def choose_queries(db: Path, sample: int = 500) -> Queries:
    """Words from the archive itself: a rare one, the most common, the most common pair."""
    documents: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    dates: list[str] = []
    with Archive.open(db) as archive:
        for count, version in enumerate(export_records(archive, None)):
            if count >= sample:
                break
            record = version.record
            if record.language != "en":
                continue
            words: list[str] = []
            for passage in passages(record):
                words += re.findall(r"[a-z]{4,}", passage.text.lower())
            documents.update(set(words))
            pairs.update(f"{a} {b}" for a, b in itertools.pairwise(words) if a != b)
            if record.published:
                dates.append(record.published[:10])
    # The generated text is babbled from the fixtures' words: even the rarest is in a few pages.
    rare = min((n, w) for w, n in documents.items() if len(w) >= 6)[1]
    common = next(w for w, _ in documents.most_common() if len(w) >= 6)
    phrase = next(p for p, _ in pairs.most_common() if all(len(w) >= 5 for w in p.split()))
    dates.sort()
    return Queries(rare, common, f'"{phrase}"', dates[0], dates[len(dates) * 3 // 4], "mid.ru")


def measure_commands(db: Path, queries: Queries, repeats: int) -> list[Timing]:
    base = ["--db", str(db)]
    with Archive.open(db) as archive:
        total = archive.conn.execute("SELECT max(id) FROM documents").fetchone()[0]
        edited = archive.conn.execute(
            "SELECT document_id FROM versions GROUP BY document_id HAVING count(*) > 1 LIMIT 1"
        ).fetchone()
    middle = str(total // 2)
    commands = [
        (f"search rare word ({queries.rare})", ["search", queries.rare]),
        (f"search common word ({queries.common})", ["search", queries.common]),
        (
            f"search phrase {queries.phrase} --since --until --site",
            ["search", queries.phrase, "--since", queries.since, "--until", queries.until,
             "--site", queries.site],
        ),
        ("status", ["status"]),
        ("show (a document)", ["show", middle]),
        ("versions (a document)", ["versions", middle]),
    ]  # fmt: skip
    if "list" in briefings.commands:  # type: ignore[attr-defined]
        commands.insert(3, ("list", ["list"]))
    if edited is not None:
        commands.append(("diff (a changed document)", ["diff", str(edited[0])]))
    return [timed(label, lambda a=args: run_cli([*base, *a]), repeats) for label, args in commands]


def bare_match(db: Path, word: str, repeats: int) -> Timing | None:
    """The search index alone: the first 50 rowids matching `word` (the FTS5 table, if any)."""
    conn = sqlite3.connect(db)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE sql LIKE '%USING fts5%'"
            ).fetchall()
        ]
        if not names:
            return None
        query = f"SELECT rowid FROM {names[0]} WHERE {names[0]} MATCH ? LIMIT 50"
        return timed(
            f"bare FTS5 MATCH ({names[0]})",
            lambda: conn.execute(query, (word,)).fetchall(),
            repeats,
        )
    finally:
        conn.close()


def query_plans(db: Path, config: WorkerConfig) -> list[tuple[str, str, list[str]]]:
    """EXPLAIN QUERY PLAN of every SELECT the due-for-recheck and known-URL queries, `status`
    and `list` (its first page) run: (what, statement, plan steps)."""
    plans = []
    with Archive.open(db) as archive:
        calls: list[tuple[str, Callable[[], object]]] = [
            ("due for recheck", lambda: due_for_recheck(archive, datetime.now(UTC), 100)),
            ("known URLs", lambda: known_urls(archive, ["http://127.0.0.1/x"])),
            ("status", lambda: status_summary(archive)),
            ("list", lambda: list_documents(archive, limit=50)),
        ]
        for what, call in calls:
            statements: list[str] = []
            archive.conn.set_trace_callback(statements.append)
            call()
            archive.conn.set_trace_callback(None)
            for sql in statements:
                if sql.lstrip().upper().startswith("SELECT"):
                    rows = archive.conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
                    plans.append((what, " ".join(sql.split()), [str(row[3]) for row in rows]))
    return plans


# ---- the recheck cycle in a process of its own --------------------------------------------


def _recheck_child(config: WorkerConfig, conn: Connection) -> None:
    from contextlib import closing

    from worker.daemon import Jobs

    logging.getLogger().setLevel(logging.WARNING)
    conn.recv()  # go
    started = time.perf_counter()
    with closing(Jobs(config, config.archive)) as jobs:
        ok = jobs.recheck()
    conn.send((ok, time.perf_counter() - started))


def recheck_cycle(config: WorkerConfig) -> tuple[bool, float, float, float]:
    """Every document due now; the recheck job in a child process. Its (ok, seconds, peak RSS
    MiB, RSS at start MiB)."""
    with sqlite3.connect(config.archive) as conn:
        conn.execute("UPDATE documents SET next_check_at = '2000-01-01T00:00:00+00:00'")
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_recheck_child, args=(config, theirs))
    process.start()
    watched = psutil.Process(process.pid)
    time.sleep(1.0)  # imports done
    start_rss = watched.memory_info().rss / 2**20
    ours.send("go")
    peak = start_rss
    while not ours.poll(0.05):
        with suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss / 2**20)
    ok, seconds = ours.recv()
    process.join()
    return ok, seconds, peak, start_rss


# ---- export, reparse, size ------------------------------------------------------------------


def export_rate(db: Path, out: Path) -> tuple[float, int, float]:
    started = time.perf_counter()
    run_cli(["--db", str(db), "export", "--out", str(out)])
    seconds = time.perf_counter() - started
    lines = sum(1 for _ in out.open(encoding="utf-8"))
    # Reference: reading every stored passage row alone (the text export writes), no JSON.
    conn = sqlite3.connect(db)
    started = time.perf_counter()
    for _ in conn.execute("SELECT * FROM passages"):
        pass
    raw = time.perf_counter() - started
    conn.close()
    return seconds, lines, raw


def extract_rate(db: Path, sample: int) -> float:
    """Pages/s of extraction alone over `sample` stored pages (their captures, via export)."""
    profiles = load_profiles()
    from worker.archive import iter_reparse_candidates

    pages = []
    with Archive.open(db) as archive:
        for candidate in iter_reparse_candidates(archive, False):
            pages.append(
                Page.from_bytes(candidate.body, url=candidate.url, headers=candidate.headers)
            )
            if len(pages) >= sample:
                break
    started = time.perf_counter()
    for page in pages:
        extract(page, profiles.choose(page.url, None))
    return len(pages) / (time.perf_counter() - started)


def archive_size(db: Path) -> tuple[int, int, int]:
    """(bytes of file and WAL after a checkpoint, documents, versions)."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        versions = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
    finally:
        conn.close()
    size = sum(p.stat().st_size for p in db.parent.iterdir() if p.name.startswith(db.name))
    return size, int(documents), int(versions)


def count_passages(db: Path) -> int:
    """Passages stored (each text once per document, as the archive keeps them)."""
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM passages").fetchone()[0])


# ---- the run --------------------------------------------------------------------------------


def show(timing: Timing, reference: Timing | None = None, target: float | None = None) -> None:
    line = f"  {timing.label:58} p50 {timing.p50 * 1000:7.1f} ms  p95 {timing.p95 * 1000:7.1f} ms"
    if reference is not None:
        line += f"  ({timing.p50 / reference.p50:5.2f}x of {reference.label}: {reference.p50 * 1000:.1f} ms)"
    if target is not None:
        line += f"  [target {target * 1000:.0f} ms: {'ok' if timing.p95 <= target else 'MISSED'}]"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--briefings", type=int, default=30_000, help="briefings (30000)")
    parser.add_argument("--window", type=int, default=1000, help="pages per timed window (1000)")
    parser.add_argument("--repeats", type=int, default=20, help="runs per command (20)")
    parser.add_argument("--keep", action="store_true", help="keep the archive; print its path")
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.WARNING)
    total = args.briefings
    window = min(args.window, total // 10)
    tenth = total // 10
    began = time.perf_counter()
    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )

    tmp = Path(tempfile.mkdtemp(prefix="briefings-bench-scale-"))
    db = tmp / "archive.db"
    with local_site() as base_url:
        config = make_config(base_url, db, per_run=total + 1)
        Archive.open(db).close()
        print(f"site {base_url} (child process); archive {db}")

        # 1. The archive rate on an empty archive, against bare GETs of the same pages.
        first = range(0, window)
        make_in_advance(base_url, first)
        urls = urls_for(base_url, first)
        bare = bare_get_loop(urls)
        empty_seconds = archive_all(config, urls, 1, "archive (empty archive)")
        print(f"1. archive rate, first {window} pages (empty archive), 1 thread:")
        print(f"   {window / empty_seconds:7.1f} pages/s; bare GETs {bare.per_second:.1f} pages/s "
              f"({window / empty_seconds / bare.per_second:.2f}x)")  # fmt: skip

        # 2. The bulk, with the commands measured at a tenth of the size.
        bulk_started = time.perf_counter()
        archive_in_processes(
            config, urls_for(base_url, range(window, tenth)), 2, "build to a tenth"
        )
        queries = choose_queries(db)
        small = {t.label: t for t in measure_commands(db, queries, args.repeats)}
        archive_in_processes(config, urls_for(base_url, range(tenth, total - window)), 2, "build")
        bulk = time.perf_counter() - bulk_started
        print(f"2. bulk build of {total - 2 * window} pages, 2 processes: {bulk:.0f} s "
              f"({(total - 2 * window) / bulk:.0f} pages/s) incl. the commands at {tenth}")  # fmt: skip

        # 3. The archive rate on the full archive.
        last = range(total - window, total)
        make_in_advance(base_url, last)
        full_seconds = archive_all(config, urls_for(base_url, last), 1, "archive (full archive)")
        print(f"3. archive rate, last {window} pages (archive of {total - window}), 1 thread:")
        print(f"   {window / full_seconds:7.1f} pages/s, {empty_seconds / full_seconds:.2f}x of "
              "the rate on the empty archive")  # fmt: skip

        # 4. The daemon's recheck cycle over everything.
        sample = urls_for(base_url, range(0, window))
        httpx.get(f"{base_url}/_edit", timeout=10).raise_for_status()
        conditional = bare_get_loop(sample, bare_get_loop(sample).etags)
        ok, seconds, peak, start_rss = recheck_cycle(config)
        print(f"4. recheck job over all {total} documents (every {EDIT_EVERY}th changed), "
              "own process:")  # fmt: skip
        print(f"   {'ok' if ok else 'FAILED'} in {seconds:.1f} s = {total / seconds:.0f} pages/s "
              f"({total / seconds / conditional.per_second:.2f}x of bare conditional GETs, "
              f"{conditional.per_second:.0f}/s); RSS {start_rss:.0f} MiB at start, peak "
              f"{peak:.0f} MiB [target {TARGET_RSS_MIB:.0f}: "
              f"{'ok' if peak <= TARGET_RSS_MIB else 'MISSED'}]")  # fmt: skip
        print("   query plans of the due-for-recheck and known-URL queries, status and list:")
        for what, sql, plan in query_plans(db, config):
            print(f"     {what}: {sql[:100]}")
            for step in plan:
                scan = step.startswith("SCAN") and "INDEX" not in step and "CONSTANT" not in step
                print(f"       {step}{'   <- FULL SCAN' if scan else ''}")

    # 5. The commands, against the same at a tenth of the size.
    print(f"5. commands on {total} briefings ({args.repeats} runs each, in-process click; "
          f"reference: the same at {tenth}):")  # fmt: skip
    bare_timing = bare_match(db, queries.common, args.repeats)
    for timing in measure_commands(db, queries, args.repeats):
        target = None
        if timing.label.startswith("search"):
            target = TARGET_SEARCH_P95
        elif timing.label in ("list", "status"):
            target = TARGET_LIST
        reference = small.get(timing.label)
        show(timing, reference, target)
        if timing.label.startswith("search") and timing.p50 > TARGET_SEARCH_P50:
            print(f"    ! p50 over the target of {TARGET_SEARCH_P50 * 1000:.0f} ms")
    if bare_timing is not None:
        show(bare_timing)
    if "list" not in briefings.commands:  # type: ignore[attr-defined]
        print("  list: no `briefings list` command in this checkout; not measured")

    # 6. Export.
    seconds, lines, raw = export_rate(db, tmp / "export.jsonl")
    size = (tmp / "export.jsonl").stat().st_size
    print(f"6. export --out (jsonl): {lines} records in {seconds:.1f} s = {lines / seconds:.0f} "
          f"records/s, {size / seconds / 2**20:.1f} MiB/s; reference: reading every passage row "
          f"alone {raw:.2f} s ({seconds / raw:.1f}x)")  # fmt: skip

    # 7. Reparse --all, with its progress bar.
    parse_rate = extract_rate(db, min(500, total))
    with open_context(config, db) as ctx, progress_bar("reparse --all", None) as bar:
        started = time.perf_counter()
        report = reparse(ctx, all_versions=True, progress=bar)
        seconds = time.perf_counter() - started
    print(f"7. reparse --all: {report.checked} captures in {seconds:.1f} s = "
          f"{report.checked / seconds:.0f}/s ({report.unchanged} unchanged, {report.changed} "
          f"changed, {report.failed} failed); reference: extraction alone {parse_rate:.0f} "
          f"pages/s ({report.checked / seconds / parse_rate:.2f}x)")  # fmt: skip

    # 8. Size.
    size, documents, versions = archive_size(db)
    passage_count = count_passages(db)
    print(f"8. archive: {size / 2**20:.0f} MiB for {documents} briefings, {versions} versions, "
          f"{passage_count} passages stored ({passage_count / documents:.0f} per briefing): {size / documents / 1024:.1f} KiB per briefing")  # fmt: skip
    load = os.getloadavg()
    print(f"total {time.perf_counter() - began:.0f} s; load average now {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    if args.keep:
        print(f"kept: {db}")
    else:
        for path in tmp.iterdir():
            path.unlink()
        tmp.rmdir()


if __name__ == "__main__":
    main()
