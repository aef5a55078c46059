"""`briefings demo`: the whole product in half a minute, offline.

1. Serve a bundled sample site on 127.0.0.1: two listing pages in mid.ru's markup, a news index
   in globalsecurity.org's, and seven briefing pages from both (copies of real page shapes).
2. Archive it through the daemon's own code path (`run --once`) into `archive.db`.
3. Edit one briefing on the server, as the ministry does after publishing.
4. Archive again: unchanged pages cost a 304; the edited one becomes version 2.
5. Print the new version's diff and three commands to try next.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

from worker.archive.db import Archive
from worker.archive.queries import get_version, list_versions, resolve_document
from worker.config import WorkerConfig, load_config
from worker.daemon import run_daemon
from worker.daemon.lockfile import hold_archive_lock
from worker.demo.site import DEMO_BASE_URL, SampleSite
from worker.diff import diff_records
from worker.errors import ArchiveError, BadURL, ConfigError
from worker.profiles import default_sites_dir
from worker.render import render_diff_text
from worker.urls import host_of

PAGES_DIR = Path(__file__).parent / "pages"

# Server path → bundled file.
SITE = {
    "/en/press_service/spokesman/briefings/": "midru-listing-1.html",
    "/en/press_service/spokesman/briefings/?PAGEN_1=2": "midru-listing-2.html",
    "/en/press_service/spokesman/briefings/1955710/": "midru-1955710.html",
    "/en/press_service/spokesman/briefings/1965311/": "midru-1965311.html",
    "/en/press_service/spokesman/briefings/3344876/": "midru-3344876.html",
    "/ru/press_service/spokesman/briefings/1420571/": "midru-ru-1420571.html",
    "/wmd/library/news/russia/index.html": "gs-index.html",
    "/wmd/library/news/russia/2020/russia-201105-russia-mfab01.htm": "gs-201105.html",
    "/wmd/library/news/russia/2023/russia-231012-russia-mfab01.htm": "gs-231012.html",
    "/wmd/library/news/russia/2025/07/russia-250731-russia-mfab01.htm": "gs-250731.html",
}
EDITED = "/en/press_service/spokesman/briefings/1955710/"
# `PRAGMA application_id` of the archives the demo makes ("DEMO"): the only files it replaces.
DEMO_MARK = 0x44454D4F
# The sources of config/demo.toml and the recheck job: their runs are the demo's own.
DEMO_SOURCES = frozenset({"demo-briefings", "demo-republications", "recheck"})
# The ministry's later edit: a corrected answer and a follow-up exchange.
EDITS = (
    (
        b"Yes, there is. The work plan on cooperation in disaster management",
        b"Yes, there is real progress. The work plan on cooperation in disaster management",
    ),
    (
        b"we are ready to share it.</p>",
        b"we are ready to share it.</p>\n<p><strong>Question</strong>: When will the plan be "
        b"signed?</p>\n<p><strong>Maria Zakharova</strong>: At the ministerial meeting in July.</p>",
    ),
)


@dataclass(frozen=True)
class DemoResult:
    db_path: Path
    documents: int
    versions: int
    edited_url: str
    diff_text: str
    site: SampleSite | None = None  # still serving when the demo was asked to keep it up


def demo_config_path() -> Path:
    return default_sites_dir().parent / "demo.toml"


def site_pages() -> dict[str, bytes]:
    return {path: (PAGES_DIR / name).read_bytes() for path, name in SITE.items()}


def edited(page: bytes) -> bytes:
    for old, new in EDITS:
        if old not in page:
            raise ArchiveError(f"demo: the sample page no longer contains {old[:40]!r}")
        page = page.replace(old, new, 1)
    return page


def prepare_archive(db_path: Path) -> None:
    """Start from an empty archive made by the demo, never over a file the demo did not make.

    The demo marks the archives it creates (`PRAGMA application_id = DEMO_MARK`); a file
    without the mark (a real archive, a local mirror on 127.0.0.1, anything else) is refused
    untouched, read only. A marked archive that holds traces of real work since (documents,
    fetches or captures from another host, runs of sources the demo does not have) is refused
    too.
    """
    if not db_path.exists():
        _create_marked(db_path)
        return
    foreign = _foreign_records(db_path)
    if foreign is None:
        raise ConfigError(
            str(db_path),
            "--db",
            "not from the demo (it lacks the mark of an archive the demo made), so the demo "
            "leaves it untouched; "
            "give the demo another file, e.g. --db demo.db",
        )
    if foreign:
        raise ConfigError(
            str(db_path),
            "--db",
            f"holds {foreign} records that are not from the demo; "
            "give the demo another file, e.g. --db demo.db",
        )
    # Under the daemon's lock: a daemon still running on an earlier demo archive keeps it.
    with hold_archive_lock(db_path):
        for suffix in ("", "-wal", "-shm"):
            db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    _create_marked(db_path)


def _create_marked(db_path: Path) -> None:
    with Archive.open(db_path) as archive:
        archive.conn.execute(f"PRAGMA application_id = {DEMO_MARK:d}")


def _foreign_records(db_path: Path) -> int | None:
    """None when the file lacks the demo's mark, else how many of its records are not the
    demo's. Opened read-only: nothing is written, not even a journal mode."""
    try:
        conn = sqlite3.connect(f"file:{quote(str(db_path.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        if conn.execute("PRAGMA application_id").fetchone()[0] != DEMO_MARK:
            return None
        urls = [
            row[0]
            for table in ("documents", "fetches", "captures")
            for row in conn.execute(
                f"SELECT {'canonical_url' if table == 'documents' else 'url'} FROM {table}"
            )
        ]
        names = {
            row[0]
            for query in (
                "SELECT source FROM runs",
                "SELECT name FROM sources",
                "SELECT source FROM backfill",
            )
            for row in conn.execute(query)
        }
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    foreign = sum(1 for url in urls if _host(url) != "127.0.0.1")
    return foreign + len(names - DEMO_SOURCES - {None})


def _host(url: str) -> str | None:
    try:
        return host_of(url)
    except BadURL:
        return None


def run_demo(
    db_path: Path, say: Callable[[str], None], *, port: int = 0, serve: bool = False
) -> DemoResult:
    """Run the demo's five steps; with `serve`, the sample site is left running for the caller."""
    try:
        site = SampleSite(site_pages(), port=port)
    except OSError as error:
        raise ConfigError(f"127.0.0.1:{port}", "--port", error.strerror or str(error)) from None
    try:
        prepare_archive(db_path)
        result = _archive_twice(site, db_path, say)
    except BaseException:
        site.close()
        raise
    if not serve:
        site.close()
    say(f"   {result.documents} documents, {result.versions} versions in {db_path}.")
    say("5. What changed (`briefings diff`):")
    say(result.diff_text)
    return replace(result, site=site if serve else None)


def at_site(config: WorkerConfig, base_url: str) -> WorkerConfig:
    """`config/demo.toml` with its addresses moved from port 8400 to the port the server got."""

    def moved(url: str) -> str:
        return base_url + url.removeprefix(DEMO_BASE_URL) if url.startswith(DEMO_BASE_URL) else url

    sources = tuple(
        replace(
            source,
            listing_urls=tuple(moved(url) for url in source.listing_urls),
            backfill_start=moved(source.backfill_start) if source.backfill_start else None,
        )
        for source in config.sources
    )
    return replace(config, sources=sources)


def _archive_twice(site: SampleSite, db_path: Path, say: Callable[[str], None]) -> DemoResult:
    config = at_site(load_config(demo_config_path()), site.base_url)
    say(f"1. A sample site is up at {site.base_url}: 2 listing pages in mid.ru's markup, a news")
    say("   index in globalsecurity.org's, and 7 briefing pages from both sites.")
    say(f"2. First run (the same code as `briefings run --once`) into {db_path}:")
    _quietly(lambda: run_daemon(config, db_path=db_path, once=True))
    _summarise(db_path, say)
    say(f"3. The ministry edits a briefing on the site: {site.url(EDITED)}")
    site.set_page(EDITED, edited(site.page(EDITED)))
    say("4. Second run: unchanged pages answer 304 Not Modified; the edited one is fetched again.")
    _quietly(lambda: run_daemon(config, db_path=db_path, once=True))
    return _result(db_path, site.url(EDITED))


def _quietly(run: Callable[[], int]) -> None:
    """Run with the daemon's per-page log lines held back: the demo tells its own story."""
    root = logging.getLogger()
    previous = root.level
    root.setLevel(logging.WARNING)
    try:
        code = run()
    finally:
        root.setLevel(previous)
    if code != 0:
        raise ArchiveError(f"demo: the run exited with status {code}")


def _summarise(db_path: Path, say: Callable[[str], None]) -> None:
    with Archive.open(db_path) as archive:
        rows = archive.conn.execute(
            "SELECT d.site, d.published, d.title FROM documents AS d ORDER BY d.site, d.published"
        ).fetchall()
    for site, published, title in rows:
        say(f"   new  {site:<14} {(published or '')[:10]:<10}  {title}")


def _result(db_path: Path, url: str) -> DemoResult:
    with Archive.open(db_path) as archive:
        document = resolve_document(archive, url)
        versions = list_versions(archive, document.id)
        old = get_version(archive, document.id, versions[-2].number if len(versions) > 1 else 1)
        new = get_version(archive, document.id, versions[-1].number)
        counts = archive.conn.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM versions)"
        ).fetchone()
    diff = render_diff_text(diff_records(old.record, new.record))
    return DemoResult(db_path, counts[0], counts[1], url, diff)
