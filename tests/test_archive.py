"""The archive's store stage on real SQLite files: schema, version rules, captures, fetch log,
reparse candidates, recheck scheduling and the daemon's bookkeeping."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zstandard
from conftest import fixture_html, fixture_record

from worker.archive import (
    Archive,
    RunCounts,
    due_for_recheck,
    finish_run,
    get_backfill,
    get_version,
    iter_reparse_candidates,
    known_urls,
    mark_failure_reported,
    next_check_time,
    record_source_failure,
    record_source_success,
    save_backfill,
    schedule_next_check,
    source_state,
    start_run,
    status_summary,
    store_failure,
    store_gone,
    store_not_modified,
    store_page,
    store_reparse,
    validators_for,
)
from worker.archive.migrations import SCHEMA_VERSION
from worker.archive.texts import passages
from worker.config import RecheckPolicy
from worker.errors import ArchiveError
from worker.page import Page
from worker.record import Record, Turn

SCHEMA_FILE = Path(__file__).parent / "archive_schema.sql"
SEED = "globalsecurity-2020-11-05"
URL = "https://www.globalsecurity.org/wmd/library/news/russia/2020/russia-201105-russia-mfab01.htm"
T0 = "2024-06-01T12:00:00+00:00"


def seed_record() -> Record:
    return fixture_record(SEED)


def page_for(
    record: Record, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Page:
    raw = fixture_html(SEED) if body is None else body
    return Page.from_bytes(raw, url=record.url, headers=headers, fetched_at=T0)


def store(archive: Archive, record: Record, body: bytes | None = None, now: str = T0) -> str:
    page = page_for(record, body)
    result = store_page(
        archive, page, record, source="gs", parser_version="p1", duration=0.5, now=now
    )
    return result.outcome


def edited(record: Record) -> Record:
    first = record.sections[0]
    paragraphs = (first.paragraphs[0] + " (corrected)", *first.paragraphs[1:])
    return replace(record, sections=(replace(first, paragraphs=paragraphs), *record.sections[1:]))


def with_new_turn(record: Record) -> Record:
    last = record.sections[-1]
    turn = Turn(role="question", speaker="TASS", text="A follow-up question?")
    return replace(
        record, sections=(*record.sections[:-1], replace(last, turns=(*last.turns, turn)))
    )


def rows(archive: Archive, sql: str, *params: object) -> list[tuple[object, ...]]:
    return [tuple(row) for row in archive.conn.execute(sql, params)]


# --- the schema -------------------------------------------------------------------------------


def schema_text(path: Path) -> str:
    conn = sqlite3.connect(path)
    lines = [f"-- user_version {conn.execute('PRAGMA user_version').fetchone()[0]}"]
    for (sql,) in conn.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
    ):
        lines.append(sql + ";")
    conn.close()
    return "\n".join(lines) + "\n"


def test_schema_matches_the_snapshot(tmp_path: Path) -> None:
    Archive.open(tmp_path / "a.db").close()
    assert schema_text(tmp_path / "a.db") == SCHEMA_FILE.read_text(encoding="utf-8")


def test_open_sets_pragmas_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Archive.open(path).close()
    with Archive.open(path) as archive:
        pragma = archive.conn.execute
        assert pragma("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert pragma("PRAGMA foreign_keys").fetchone()[0] == 1
        assert pragma("PRAGMA busy_timeout").fetchone()[0] == 30000
        assert pragma("PRAGMA auto_vacuum").fetchone()[0] == 1  # full: free pages go at commit
        assert pragma("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_the_search_index_merges_8_segments_at_a_time(archive: Archive) -> None:
    row = archive.conn.execute("SELECT v FROM passages_fts_config WHERE k = 'automerge'")
    assert row.fetchone()[0] == 8


def test_sqlite_utils_sees_tables_views_and_the_search_index(archive: Archive) -> None:
    store(archive, seed_record())
    assert archive.db.table("passages").detect_fts() == "passages_fts"
    found = list(archive.db.table("passages").search("Nagorno"))
    assert found and all("Nagorno" in str(row["text"]) for row in found)
    assert {"documents", "versions", "captures", "fetches", "runs"} <= set(archive.db.table_names())
    views = {"copies", "latest_versions", "texts", "briefings", "questions", "timeline"}
    assert views <= set(archive.db.view_names())


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Archive.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ArchiveError, match="newer than this worker"):
        Archive.open(path)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database " * 100)
    with pytest.raises(ArchiveError, match="not a usable archive"):
        Archive.open(path)


def test_write_rolls_back_on_error(archive: Archive) -> None:
    with pytest.raises(RuntimeError), archive.write() as conn:
        conn.execute("INSERT INTO sources (name) VALUES ('x')")
        raise RuntimeError("boom")
    assert rows(archive, "SELECT count(*) FROM sources") == [(0,)]
    assert not archive.conn.in_transaction


# --- versions ---------------------------------------------------------------------------------


def test_first_store_is_new_with_version_1(archive: Archive) -> None:
    record = seed_record()
    result = store_page(
        archive, page_for(record), record, source="gs", parser_version="p1", duration=1.0, now=T0
    )
    assert (result.outcome, result.version, result.url) == ("new", 1, URL)
    document = rows(
        archive, "SELECT canonical_url, site, title, published, first_seen FROM documents"
    )
    assert document == [(URL, "globalsecurity", record.title, record.published, T0)]
    stored = rows(
        archive, "SELECT number, cause, identity, parser_version, title, changes FROM versions"
    )
    assert stored == [(1, "fetch", record.identity(), "p1", record.title, "first version")]
    assert get_version(archive, result.document_id, 1).record == record


def test_same_record_again_is_unchanged(archive: Archive) -> None:
    record = seed_record()
    assert store(archive, record) == "new"
    assert store(archive, record, now="2024-06-02T00:00:00+00:00") == "unchanged"
    assert rows(archive, "SELECT count(*) FROM versions") == [(1,)]
    assert rows(archive, "SELECT outcome FROM fetches ORDER BY id") == [("new",), ("unchanged",)]
    assert rows(archive, "SELECT last_seen, checks FROM documents") == [
        ("2024-06-02T00:00:00+00:00", 2)
    ]


def test_banner_or_markup_change_with_same_record_is_unchanged(archive: Archive) -> None:
    record = seed_record()
    store(archive, record)
    assert store(archive, record, body=b"<html><p>new banner</p></html>") == "unchanged"
    assert rows(archive, "SELECT count(*) FROM captures") == [(1,)]


def test_url_and_warnings_are_not_part_of_a_version(archive: Archive) -> None:
    record = seed_record()
    store(archive, record)
    other = replace(record, warnings=("toc lists 12 statements, body has 11",))
    assert store(archive, other) == "unchanged"
    moved = other.with_url(URL.replace("https://www.", "HTTPS://WWW.") + "#top")
    assert store(archive, moved) == "unchanged"
    assert rows(archive, "SELECT count(*) FROM documents") == [(1,)]


@pytest.mark.parametrize(
    "change",
    [
        edited,
        with_new_turn,
        lambda r: replace(r, published="2020-11-06T10:00:00+03:00"),
        lambda r: replace(r, sections=r.sections[:-1]),
    ],
    ids=["edited sentence", "new turn", "corrected published", "removed section"],
)
def test_a_content_change_makes_version_2(archive: Archive, change: object) -> None:
    record = seed_record()
    store(archive, record)
    changed = change(record)  # type: ignore[operator]
    page = page_for(changed, body=b"<html>edited page</html>")
    result = store_page(archive, page, changed, source="gs", parser_version="p1", duration=0.1)
    assert (result.outcome, result.version) == ("changed", 2)
    assert rows(archive, "SELECT number FROM versions ORDER BY number") == [(1,), (2,)]
    assert rows(archive, "SELECT published FROM documents") == [(changed.published,)]
    assert store(archive, record) == "changed"  # going back is a change too: version 3


def test_a_new_record_from_the_same_bytes_is_a_reparse(archive: Archive) -> None:
    record = seed_record()
    store(archive, record)
    same_bytes = page_for(edited(record))  # the very bytes of version 1, read by a new parser
    result = store_page(
        archive, same_bytes, edited(record), source="gs", parser_version="p2", duration=0.1
    )
    assert (result.outcome, result.version) == ("changed", 2)
    store(archive, with_new_turn(edited(record)), body=b"<html>a new turn</html>")
    assert rows(archive, "SELECT number, cause, parser_version, capture_id FROM versions") == [
        (1, "fetch", "p1", 1),
        (2, "reparse", "p2", 1),
        (3, "fetch", "p1", 2),
    ]


def test_text_is_plain_rows_and_unchanged_sections_are_stored_once(archive: Archive) -> None:
    record = seed_record()
    store(archive, record)
    cut = list(passages(record))
    texts = rows(
        archive,
        "SELECT version, section_index, part, heading, position, role, speaker, text FROM texts"
        " ORDER BY version, section_index, position",
    )
    assert texts == [
        (1, p.section_index, p.part, p.heading, p.position, p.role, p.speaker, p.text)
        for p in cut
    ]
    before = {t: rows(archive, f"SELECT count(*) FROM {t}")[0][0] for t in TEXT_TABLES}
    store(archive, edited(record), b"v2")  # one paragraph of one section edited
    after = {t: rows(archive, f"SELECT count(*) FROM {t}")[0][0] for t in TEXT_TABLES}
    first = record.sections[0]
    assert after["passages"] - before["passages"] == 1
    assert after["sections"] - before["sections"] == 1
    assert after["section_passages"] - before["section_passages"] == len(first.paragraphs)
    assert after["version_sections"] - before["version_sections"] == len(record.sections)
    # The search index is the sqlite-utils one, over the distinct texts.
    assert archive.db.table("passages").detect_fts() == "passages_fts"
    found = rows(archive, "SELECT text FROM passages_fts WHERE passages_fts MATCH 'corrected'")
    assert found == [(first.paragraphs[0] + " (corrected)",)]


TEXT_TABLES = ("passages", "sections", "section_passages", "version_sections")


def test_store_page_without_any_url_is_refused(archive: Archive) -> None:
    record = seed_record().with_url(None)
    page = Page.from_bytes(b"<html></html>")
    with pytest.raises(ArchiveError, match="without a URL"):
        store_page(archive, page, record, source=None, parser_version="p1", duration=0.0)


# --- captures ---------------------------------------------------------------------------------


def test_capture_is_compressed_and_content_addressed(archive: Archive) -> None:
    record = seed_record()
    body = fixture_html(SEED)
    store(archive, record)
    store(archive, edited(record))  # new version, same bytes: still one capture
    ((sha, size, blob, capture_url),) = rows(
        archive, "SELECT sha256, size, body, url FROM captures"
    )
    assert size == len(body) and capture_url == URL
    assert zstandard.ZstdDecompressor().decompress(blob) == body  # type: ignore[arg-type]
    assert len(blob) < len(body) / 2  # type: ignore[arg-type]
    assert rows(archive, "SELECT count(DISTINCT capture_id) FROM versions") == [(1,)]
    assert sha == hashlib.sha256(body).hexdigest()


# --- 304, gone, failures ----------------------------------------------------------------------


def test_validators_come_from_the_last_response(archive: Archive) -> None:
    record = seed_record()
    assert validators_for(archive, URL) is None
    page = page_for(
        record, headers={"ETag": '"v1"', "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )
    store_page(archive, page, record, source="gs", parser_version="p1", duration=0.1)
    assert validators_for(archive, URL.replace("russia-2011", "RUSSIA-2011")) is None  # path case
    validators = validators_for(archive, URL)
    assert validators is not None
    assert (validators.etag, validators.last_modified) == ('"v1"', "Wed, 21 Oct 2015 07:28:00 GMT")


def test_not_modified_logs_and_keeps_validators(archive: Archive) -> None:
    record = seed_record()
    store_page(
        archive,
        page_for(record, headers={"ETag": '"v1"'}),
        record,
        source="gs",
        parser_version="p1",
        duration=0.1,
        now=T0,
    )
    store_not_modified(archive, URL, source="gs", duration=0.2, now="2024-06-01T13:00:00+00:00")
    assert rows(archive, "SELECT outcome, status, bytes FROM fetches ORDER BY id DESC LIMIT 1") == [
        ("not-modified", 304, 0)
    ]
    assert rows(archive, "SELECT etag, checks, last_checked FROM documents") == [
        ('"v1"', 2, "2024-06-01T13:00:00+00:00")
    ]


def test_gone_marks_and_deletes_nothing_then_comes_back(archive: Archive) -> None:
    record = seed_record()
    store(archive, record)
    store_gone(archive, URL, 404, source="gs", duration=0.1, now="2024-06-02T00:00:00+00:00")
    store_gone(archive, URL, 410, source="gs", duration=0.1, now="2024-06-03T00:00:00+00:00")
    assert rows(archive, "SELECT gone_at FROM documents") == [("2024-06-02T00:00:00+00:00",)]
    assert rows(archive, "SELECT count(*) FROM versions") == [(1,)]
    assert status_summary(archive).gone == 1
    assert store(archive, record, now="2024-06-04T00:00:00+00:00") == "unchanged"
    assert rows(archive, "SELECT gone_at FROM documents") == [(None,)]
    outcomes = rows(archive, "SELECT outcome, status FROM fetches ORDER BY id")
    assert outcomes == [("new", 200), ("gone", 404), ("gone", 410), ("unchanged", 200)]


def test_gone_for_an_unknown_url_is_only_logged(archive: Archive) -> None:
    store_gone(archive, "https://mid.ru/x", 404, source=None, duration=0.1)
    assert rows(archive, "SELECT url, document_id, outcome FROM fetches") == [
        ("https://mid.ru/x", None, "gone")
    ]
    assert rows(archive, "SELECT count(*) FROM documents") == [(0,)]


def test_failure_without_bytes_is_logged(archive: Archive) -> None:
    store_failure(
        archive, URL, source="gs", reason="transport:\nconnection reset", page=None, duration=3.0
    )
    assert rows(archive, "SELECT outcome, status, bytes, capture_id FROM fetches") == [
        ("error: transport: connection reset", None, None, None)
    ]
    assert rows(archive, "SELECT count(*) FROM captures") == [(0,)]


def test_failed_parse_keeps_bytes_without_a_document(archive: Archive) -> None:
    challenge = Page.from_bytes(b"<html>Data processing... Please, wait.</html>", url=URL)
    store_failure(archive, URL, source="gs", reason="challenge", page=challenge, duration=0.3)
    assert rows(archive, "SELECT document_id, url, status FROM captures") == [(None, URL, 200)]
    assert rows(archive, "SELECT outcome, document_id FROM fetches") == [("error: challenge", None)]
    store(archive, seed_record())  # the page parses later: the document adopts what came before
    assert rows(archive, "SELECT count(*) FROM captures WHERE document_id IS NULL") == [(0,)]
    assert rows(archive, "SELECT count(*) FROM fetches WHERE document_id IS NULL") == [(0,)]


def test_failed_parse_of_a_known_document_links_the_capture(archive: Archive) -> None:
    store(archive, seed_record())
    broken = Page.from_bytes(b"<html>error page</html>", url=URL)
    store_failure(archive, URL, source="gs", reason="empty", page=broken, duration=0.3)
    assert rows(archive, "SELECT count(*) FROM captures WHERE document_id = 1") == [(2,)]
    assert rows(archive, "SELECT count(*) FROM versions") == [(1,)]


# --- reparse ----------------------------------------------------------------------------------


def test_reparse_candidates_latest_and_failed(archive: Archive) -> None:
    record = seed_record()
    store(archive, record)
    store(archive, edited(record), body=b"<html>v2</html>")
    other = "https://mid.ru/en/foreign_policy/news/1950309/"
    challenge = Page.from_bytes(
        b"<html>Please, wait.</html>", url=other, headers={"Content-Type": "text/html"}
    )
    store_failure(archive, other, source="mid", reason="challenge", page=challenge, duration=0.1)
    candidates = list(iter_reparse_candidates(archive, all_versions=False))
    assert [(c.url, c.body, c.made_version, c.latest) for c in candidates] == [
        (URL, b"<html>v2</html>", 2, True),
        (other, b"<html>Please, wait.</html>", None, True),
    ]
    assert candidates[1].document_id is None
    assert candidates[1].headers == {"content-type": "text/html"}
    everything = list(iter_reparse_candidates(archive, all_versions=True))
    assert [(c.made_version, c.latest) for c in everything] == [(1, False), (2, True), (None, True)]


def test_store_reparse_writes_only_changed_identities(archive: Archive) -> None:
    record = seed_record()
    store(archive, record)
    (candidate,) = iter_reparse_candidates(archive, all_versions=False)
    same = store_reparse(archive, candidate, record, "p2")
    assert (same.outcome, same.version) == ("unchanged", 1)
    better = store_reparse(archive, candidate, edited(record), "p2")
    assert (better.outcome, better.version) == ("changed", 2)
    assert rows(archive, "SELECT number, cause, parser_version, capture_id FROM versions") == [
        (1, "fetch", "p1", 1),
        (2, "reparse", "p2", 1),
    ]


def test_reparse_of_an_old_capture_compares_with_its_own_version(archive: Archive) -> None:
    record = seed_record()
    store(archive, record)
    store(archive, edited(record), body=b"<html>v2</html>")
    old, latest = iter_reparse_candidates(archive, all_versions=True)
    assert store_reparse(archive, old, record, "p2").outcome == "unchanged"
    assert store_reparse(archive, latest, edited(record), "p2").outcome == "unchanged"
    assert rows(archive, "SELECT count(*) FROM versions") == [(2,)]


def test_reparse_all_never_puts_an_older_capture_on_top(archive: Archive) -> None:
    record = seed_record()
    store(archive, record)
    store(archive, edited(record), body=b"<html>v2</html>")
    old, latest = iter_reparse_candidates(archive, all_versions=True)
    # today's parser reads the old capture differently: reported, never a version
    result = store_reparse(archive, old, with_new_turn(record), "p2")
    assert (result.outcome, result.version) == ("changed", 1)
    assert get_version(archive, 1).record == edited(record)  # even if the latest fails to parse
    # the latest capture's new record is the one that becomes a version
    result = store_reparse(archive, latest, with_new_turn(edited(record)), "p2")
    assert (result.outcome, result.version) == ("changed", 3)
    assert rows(archive, "SELECT number, cause, capture_id FROM versions") == [
        (1, "fetch", 1),
        (2, "fetch", 2),
        (3, "reparse", 2),
    ]
    assert get_version(archive, 1).record == with_new_turn(edited(record))


def test_a_stale_reparse_candidate_never_covers_a_newer_fetch(archive: Archive) -> None:
    record = seed_record()
    store(archive, record)
    (candidate,) = iter_reparse_candidates(archive, all_versions=False)
    store(archive, edited(record), body=b"<html>v2</html>")  # the daemon, meanwhile
    result = store_reparse(archive, candidate, with_new_turn(record), "p2")
    assert (result.outcome, result.version) == ("changed", 1)
    assert rows(archive, "SELECT count(*) FROM versions") == [(2,)]
    assert get_version(archive, 1).record == edited(record)


def test_old_bytes_that_come_back_and_fail_are_the_latest_capture(archive: Archive) -> None:
    record = seed_record()
    store(archive, record)  # version 1, from the fixture's bytes
    store(archive, edited(record), body=b"<html>v2</html>")
    store_failure(archive, URL, source="gs", reason="empty", page=page_for(record), duration=0.1)
    candidates = list(iter_reparse_candidates(archive, all_versions=True))
    assert [(c.capture_id, c.made_version, c.latest) for c in candidates] == [
        (2, 2, True),
        (1, None, True),
    ]
    assert store_reparse(archive, candidates[0], edited(record), "p2").outcome == "unchanged"
    result = store_reparse(archive, candidates[1], record, "p2")
    assert (result.outcome, result.version) == ("changed", 3)
    assert get_version(archive, 1).record == record


def test_reparse_of_failed_bytes_creates_the_document(archive: Archive) -> None:
    record = seed_record()
    page = page_for(record)
    store_failure(
        archive, URL, source="gs", reason="not-a-briefing", page=page, duration=0.1, now=T0
    )
    (candidate,) = iter_reparse_candidates(archive, all_versions=False)
    result = store_reparse(archive, candidate, record, "p2", now="2024-06-01T12:30:00+00:00")
    assert (result.outcome, result.version) == ("new", 1)
    assert rows(archive, "SELECT first_seen, next_check_at FROM documents") == [
        (T0, "2024-06-01T13:00:00+00:00")
    ]
    assert rows(archive, "SELECT document_id FROM captures") == [(result.document_id,)]
    assert rows(archive, "SELECT count(*) FROM retries") == [(0,)]  # a document now


def test_a_later_success_retires_a_failed_candidate(archive: Archive) -> None:
    record = seed_record()
    store_failure(
        archive,
        URL,
        source="gs",
        reason="challenge",
        page=Page.from_bytes(b"<html>wait</html>", url=URL),
        duration=0.1,
    )
    store(archive, record)
    candidates = list(iter_reparse_candidates(archive, all_versions=False))
    assert [c.made_version for c in candidates] == [1]


# --- rechecks ---------------------------------------------------------------------------------


def at(hours: float) -> datetime:
    return datetime(2024, 6, 1, 12, tzinfo=UTC) + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("checked", "expected"),
    [
        (0, 1),  # just stored: one hour after first seen
        (1, 24),  # checked at 1 h: the next point, 1 d
        (30, 7 * 24),  # late for the 1 d check: straight to 7 d
        (7 * 24, 30 * 24),
        (30 * 24, 30 * 24 + 90 * 24),  # every point past: `every` after the check
        (400 * 24, 490 * 24),
    ],
)
def test_next_check_time(checked: float, expected: float) -> None:
    assert next_check_time(at(0), at(checked), RecheckPolicy()) == at(expected)


def test_recheck_schedule_in_the_archive(archive: Archive) -> None:
    store(archive, seed_record(), now=T0)
    assert rows(archive, "SELECT next_check_at FROM documents") == [("2024-06-01T13:00:00+00:00",)]
    assert due_for_recheck(archive, at(0.5), 10) == []
    assert due_for_recheck(archive, at(1), 10) == [URL]
    store_not_modified(archive, URL, source="gs", duration=0.1, now=clock_text(at(1)))
    assert rows(archive, "SELECT next_check_at FROM documents") == [("2024-06-02T12:00:00+00:00",)]
    short = RecheckPolicy(after=(60.0,), every=600.0)
    with Archive.open(archive.path, short) as other:
        due = schedule_next_check(other, URL, now="2024-06-01T12:05:00+00:00")
    assert due == "2024-06-01T12:15:00+00:00"


def test_a_failed_check_moves_to_the_next_point(archive: Archive) -> None:
    store(archive, seed_record(), now=T0)
    store_failure(
        archive,
        URL,
        source="gs",
        reason="deadline",
        page=None,
        duration=120.0,
        now=clock_text(at(1)),
    )
    assert rows(archive, "SELECT next_check_at, checks FROM documents") == [
        ("2024-06-02T12:00:00+00:00", 1)
    ]


def test_due_for_recheck_orders_and_limits(archive: Archive) -> None:
    record = seed_record()
    urls = [f"https://mid.ru/en/{n}/" for n in range(3)]
    for n, url in enumerate(urls):
        store_page(
            archive,
            page_for(record.with_url(url)),
            record.with_url(url),
            source=None,
            parser_version="p1",
            duration=0.1,
            now=clock_text(at(-n)),
        )
    assert due_for_recheck(archive, at(5), 2) == [urls[2], urls[1]]


def fail(archive: Archive, url: str, hours: float) -> None:
    when = clock_text(at(hours))
    store_failure(archive, url, source=None, reason="503", page=None, duration=0.1, now=when)


def test_an_address_that_only_failed_is_retried_on_the_schedule(archive: Archive) -> None:
    fail(archive, URL, 0)
    assert rows(archive, "SELECT count(*) FROM documents") == [(0,)]
    assert due_for_recheck(archive, at(0.5), 10) == []
    assert due_for_recheck(archive, at(1), 10) == [URL]
    fail(archive, URL, 1)  # counted from the first failure: 1 d next, then 7 d
    assert due_for_recheck(archive, at(23), 10) == []
    assert due_for_recheck(archive, at(24), 10) == [URL]
    store_gone(archive, URL, 404, source=None, duration=0.1, now=clock_text(at(24)))
    assert due_for_recheck(archive, at(7 * 24 - 1), 10) == []
    assert due_for_recheck(archive, at(7 * 24), 10) == [URL]
    store(archive, seed_record(), now=clock_text(at(7 * 24)))  # a success: a normal document
    assert rows(archive, "SELECT count(*) FROM retries") == [(0,)]
    assert due_for_recheck(archive, at(7 * 24 + 1), 10) == [URL]
    assert rows(archive, "SELECT next_check_at FROM documents") == [(clock_text(at(7 * 24 + 1)),)]


def test_a_retry_follows_the_policy_the_archive_was_opened_with(tmp_path: Path) -> None:
    short = RecheckPolicy(after=(60.0,), every=600.0)
    archive = Archive.open(tmp_path / "short.db", short)
    fail(archive, URL, 0)
    fail(archive, URL, 1)
    assert rows(archive, "SELECT first_failed, next_check_at FROM retries") == [
        (clock_text(at(0)), "2024-06-01T13:10:00+00:00")
    ]


def test_retries_and_documents_share_the_limit(archive: Archive) -> None:
    record = seed_record()
    documents = [f"https://mid.ru/en/{n}/" for n in range(3)]
    for n, url in enumerate(documents):  # due at 0, -1, -2 h
        page, placed = page_for(record.with_url(url)), record.with_url(url)
        moment = clock_text(at(-1 - n))
        store_page(
            archive, page, placed, source=None, parser_version="p1", duration=0.1, now=moment
        )
    failing = [f"https://mid.ru/en/broken/{n}/" for n in range(3)]
    for n, url in enumerate(failing):  # due at -10, -11, -12 h: older than every document
        fail(archive, url, -11 - n)
    oldest_first = [failing[2], failing[1], documents[2], documents[1], documents[0]]
    assert due_for_recheck(archive, at(1), 4) == oldest_first[:4]  # half each
    assert due_for_recheck(archive, at(1), 5) == oldest_first  # documents take what is left
    assert due_for_recheck(archive, at(-10), 4) == failing[::-1]  # no document due: all retries
    assert due_for_recheck(archive, at(-2.5), 2) == [failing[2], failing[1]]
    assert due_for_recheck(archive, at(-1.5), 2) == [failing[2], documents[2]]  # one of each


def test_known_urls_uses_canonical_forms(archive: Archive) -> None:
    store(archive, seed_record())
    asked = [URL, URL.replace("https://www.", "https://WWW.") + "#x", "https://mid.ru/new/"]
    assert known_urls(archive, asked) == set(asked[:2])
    assert known_urls(archive, []) == set()


def clock_text(moment: datetime) -> str:
    return moment.isoformat()


# --- runs, sources, backfill ------------------------------------------------------------------


def test_runs_are_opened_and_closed(archive: Archive) -> None:
    run = start_run(archive, "gs", "discover", now=T0)
    counts = RunCounts()
    for outcome in ("new", "changed", "unchanged", "not-modified", "gone", "error: robots"):
        counts = counts.plus(outcome)
    finish_run(archive, run, counts, now="2024-06-01T12:01:00+00:00")
    assert rows(
        archive,
        "SELECT source, kind, started_at, finished_at, seen, new, changed,"
        " unchanged, not_modified, failed, error FROM runs",
    ) == [("gs", "discover", T0, "2024-06-01T12:01:00+00:00", 6, 1, 1, 1, 1, 1, None)]
    (source,) = status_summary(archive).sources
    assert source.last_run is not None and source.last_run.counts == counts


def test_source_failures_back_off_and_reset(archive: Archive) -> None:
    assert source_state(archive, "gs").failure_streak == 0
    first = record_source_failure(archive, "gs", "listing: HTTP 503", now=T0)
    assert (first.failure_streak, first.backed_off_until) == (1, "2024-06-01T12:05:00+00:00")
    second = record_source_failure(archive, "gs", "listing: HTTP 503", now=T0)
    assert second.backed_off_until == "2024-06-01T12:10:00+00:00"
    assert second.last_outcome == "error: listing: HTTP 503"
    assert second.backed_off(at(0)) and not second.backed_off(at(1))
    mark_failure_reported(archive, "gs")
    assert source_state(archive, "gs").reported_failure
    ok = record_source_success(archive, "gs", now="2024-06-01T13:00:00+00:00")
    assert (ok.failure_streak, ok.backed_off_until, ok.reported_failure) == (0, None, False)
    assert ok.last_outcome == "ok"


def test_backoff_is_capped(archive: Archive) -> None:
    for _ in range(20):
        state = record_source_failure(archive, "gs", "down", now=T0, backoff_max=3600.0)
    assert state.backed_off_until == "2024-06-01T13:00:00+00:00"


def test_backfill_state_round_trip(archive: Archive) -> None:
    assert get_backfill(archive, "mid") is None
    save_backfill(
        archive, "mid", next_url="https://mid.ru/?PAGEN_1=3", pages_done=2, done=False, now=T0
    )
    save_backfill(archive, "mid", next_url=None, pages_done=3, done=True, now=T0)
    state = get_backfill(archive, "mid")
    assert state is not None
    assert (state.next_url, state.pages_done, state.done, state.updated_at) == (None, 3, True, T0)


def test_times_must_be_iso(archive: Archive) -> None:
    with pytest.raises(ArchiveError, match="not an ISO 8601 time"):
        start_run(archive, "gs", "manual", now="yesterday")


def test_nested_write_joins_the_outer_transaction(archive: Archive) -> None:
    with pytest.raises(RuntimeError), archive.write() as conn:
        with archive.write():
            conn.execute("INSERT INTO sources (name) VALUES ('x')")
        raise RuntimeError("outer fails")
    assert rows(archive, "SELECT count(*) FROM sources") == [(0,)]


def test_opening_in_a_missing_folder_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match=r"missing/archive\.db"):
        Archive.open(tmp_path / "missing" / "archive.db")
