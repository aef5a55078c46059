"""How the archive stores a version: its text in plain rows, unchanged sections and texts stored
once, the sqlite-utils search index, and captures compressed against a base capture of their
site; whatever is stored reads back exactly."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest
from conftest import PAGES, fixture_html, fixture_record, store_record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from worker import parse_page
from worker.archive import (
    Archive,
    captures,
    export_records,
    get_version,
    iter_reparse_candidates,
    list_versions,
)
from worker.archive.captures import Dictionaries
from worker.archive.db import PAGE_SIZE
from worker.archive.search import search
from worker.errors import ArchiveError
from worker.page import Page
from worker.record import Record, Section, TocEntry, Turn

RECORDS = sorted(PAGES.glob("*.json"))
T0 = "2024-06-01T12:00:00+00:00"


def put(archive: Archive, record: Record, url: str, body: bytes | None = None) -> int:
    return store_record(archive, record, url=url, body=body, now=T0).document_id


def empty_sections(record: Record) -> Record:
    """`record` with an empty statements section first and an empty answers section last."""
    sections = (
        Section(part="statements", heading=None),
        *record.sections,
        Section(part="answers", heading="Nothing asked"),
    )
    return Record.from_dict({**record.to_dict(), "sections": [s.to_dict() for s in sections]})


# --- the record's text, stored once -----------------------------------------------------------


@pytest.mark.parametrize("path", RECORDS, ids=[p.stem for p in RECORDS])
def test_every_fixture_record_reads_back_exactly(archive: Archive, path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["url"] = data["url"] or f"https://example.org/{path.stem}"
    record = Record.from_dict(data)
    document_id = put(archive, record, data["url"])
    document_id_2 = put(archive, empty_sections(record), data["url"] + "/empty")
    stored = get_version(archive, document_id)
    assert stored.record == record and stored.record.to_dict() == data
    assert stored.identity == record.identity()
    assert get_version(archive, document_id_2).record == empty_sections(record)
    (exported, _) = export_records(archive, None)
    assert exported.to_dict()["record"] == data


def test_a_version_is_plain_text_beside_its_compressed_capture(archive: Archive) -> None:
    record = fixture_record("midru-2024-05-29")
    html = fixture_html("midru-2024-05-29")
    put(archive, record, "https://mid.ru/en/a/", html)
    texts = {row[0] for row in archive.conn.execute("SELECT text FROM passages")}
    for section in record.sections:
        assert set(section.paragraphs + tuple(t.text for t in section.turns)) <= texts
    (title, speaker, toc) = archive.conn.execute("SELECT title, speaker, toc FROM versions").fetchone()
    assert (title, speaker) == (record.title, record.speaker)
    assert json.loads(toc) == [e.to_dict() for e in record.toc]


def test_list_versions_compares_rebuilt_records(archive: Archive) -> None:
    record = fixture_record("midru-2024-05-29")
    url = "https://mid.ru/en/a/"
    last = record.sections[-1]
    turn = Turn(role="question", speaker="TASS", text="A follow-up?\n\nWith two paragraphs.")
    longer = Record.from_dict(
        {
            **record.to_dict(),
            "sections": [s.to_dict() for s in record.sections[:-1]]
            + [Section(last.part, last.heading, turns=(*last.turns, turn)).to_dict()],
        }
    )
    document_id = put(archive, record, url)
    put(archive, longer, url, b"v2")
    first, second = list_versions(archive, document_id)
    assert first.changes is None
    assert second.changes is not None and second.changes.turns_added == 1
    assert get_version(archive, document_id, 2).record == longer


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
_TURNS = st.builds(Turn, role=st.sampled_from(["question", "answer"]),
                   speaker=st.none() | _TEXT, text=_TEXT)  # fmt: skip
_SECTIONS = st.one_of(
    st.builds(Section, part=st.just("statements"), heading=st.none() | _TEXT,
              paragraphs=st.lists(_TEXT, max_size=3).map(tuple)),
    st.builds(Section, part=st.just("answers"), heading=st.none() | _TEXT,
              turns=st.lists(_TURNS, max_size=3).map(tuple)),
)  # fmt: skip
_RECORDS = st.builds(
    Record,
    url=st.just("https://example.org/b"),
    site=st.just("generic"),
    language=st.sampled_from(["en", "ru"]),
    title=_TEXT,
    published=st.none() | st.just("2024-05-29"),
    document_number=st.none() | _TEXT,
    speaker=st.none() | _TEXT,
    place=st.none() | _TEXT,
    toc=st.lists(st.builds(TocEntry, part=st.sampled_from(["statements", "answers"]),
                           heading=_TEXT), max_size=2).map(tuple),
    sections=st.lists(_SECTIONS, max_size=4).map(tuple),
    warnings=st.lists(_TEXT, max_size=2).map(tuple),
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_RECORDS)
def test_any_record_reads_back_exactly(record: Record) -> None:
    with Archive.open(Path(":memory:")) as archive:
        document_id = put(archive, record, "https://example.org/b")
        assert get_version(archive, document_id).record == record


# --- captures, compressed against a base capture of their host ---------------------------------

MIDRU = fixture_html("midru-2024-05-29")
GLOBALSECURITY = fixture_html("globalsecurity-2020-11-05")


def variant(template: bytes, seed: int) -> bytes:
    """`template` with ~2 KB of text of its own, as a later page of the same site would have."""
    rng = random.Random(seed)
    words = " ".join(rng.choice(WORDS) for _ in range(300)).encode()
    return template.replace(b"</body>", b"<p>" + words + b"</p></body>", 1)


WORDS = "the ministry said that talks on security and trade will resume in moscow next week".split()


def keep(archive: Archive, body: bytes, url: str) -> int:
    page = Page.from_bytes(body, url=url)
    with archive.write():
        return captures.keep(archive, page, url, None, T0)


def stored(archive: Archive) -> list[tuple[int, str, int | None, bytes, int]]:
    return [
        (row[0], row[1], row[2], bytes(row[3]), row[4])
        for row in archive.conn.execute(
            "SELECT id, host, dictionary_id, body, size FROM captures ORDER BY id"
        )
    ]


def test_captures_of_a_host_use_its_first_capture_as_their_dictionary(tmp_path: Path) -> None:
    bodies = {}
    with Archive.open(tmp_path / "a.db") as archive:
        for n in range(12):
            host, template = ("mid.ru", MIDRU) if n % 2 else ("www.gs.org:8080", GLOBALSECURITY)
            url = f"https://{host}/briefings/{n}"
            bodies[keep(archive, variant(template, n), url)] = variant(template, n)
        rows = stored(archive)
        bases = {host: id_ for id_, host, dictionary_id, _, _ in rows if dictionary_id is None}
        assert bases == {"www.gs.org:8080": 1, "mid.ru": 2}
        for id_, host, dictionary_id, blob, size in rows:
            if id_ not in bases.values():
                assert dictionary_id == bases[host]
                assert len(blob) < 0.1 * size  # plain zstd: ~0.3
        assert all(captures.load(archive, id_).body == body for id_, body in bodies.items())
    with Archive.open(tmp_path / "a.db") as cold:  # nothing cached: bases read from the file
        assert all(captures.load(cold, id_).body == body for id_, body in bodies.items())


def test_a_capture_that_compresses_poorly_becomes_a_new_base(archive: Archive) -> None:
    url = "https://mid.ru/briefings/{}"
    old = keep(archive, variant(MIDRU, 1), url.format(1))
    redesigned = keep(archive, variant(GLOBALSECURITY, 2), url.format(2))
    after = keep(archive, variant(GLOBALSECURITY, 3), url.format(3))
    before = keep(archive, variant(MIDRU, 4), url.format(4))  # an old-style page: its old base
    dictionaries = {row[0]: row[2] for row in stored(archive)}
    assert dictionaries == {old: None, redesigned: None, after: redesigned, before: old}
    for n, id_ in enumerate((old, redesigned, after, before), start=1):
        template = MIDRU if n in (1, 4) else GLOBALSECURITY
        assert captures.load(archive, id_).body == variant(template, n)


def test_a_small_capture_never_becomes_a_base(archive: Archive) -> None:
    base = keep(archive, variant(MIDRU, 1), "https://mid.ru/a")
    small = keep(archive, b"<html><body>Service unavailable</body></html>", "https://mid.ru/b")
    assert {row[0]: row[2] for row in stored(archive)} == {base: None, small: base}
    assert captures.load(archive, small).body == b"<html><body>Service unavailable</body></html>"


def test_a_huge_capture_is_kept_alone_and_never_becomes_a_base(archive: Archive) -> None:
    """A multi-megabyte page (hostile or broken) is compressed fast and serves no later page."""
    base = keep(archive, variant(MIDRU, 1), "https://mid.ru/a")
    rng = random.Random(7)
    huge = b"<html><body>" + bytes(rng.randrange(97, 123) for _ in range(3_000_000)) + b"</body>"
    assert len(huge) > captures.MAX_BASE
    big = keep(archive, huge, "https://mid.ru/huge")
    later = keep(archive, variant(MIDRU, 2), "https://mid.ru/b")
    assert {row[0]: row[2] for row in stored(archive)} == {base: None, big: None, later: base}
    assert captures.load(archive, big).body == huge
    with archive.write():  # an edit of the huge page is not compressed against it either
        page = Page.from_bytes(huge + b"!", url="https://mid.ru/huge")
        edited = captures.keep(archive, page, "https://mid.ru/huge", None, T0)
    assert stored(archive)[-1][2] is None
    assert captures.load(archive, edited).body == huge + b"!"


def test_identical_bytes_are_stored_once(archive: Archive) -> None:
    first = keep(archive, variant(MIDRU, 1), "https://mid.ru/a")
    second = keep(archive, variant(MIDRU, 2), "https://mid.ru/b")
    assert keep(archive, variant(MIDRU, 2), "https://mirror.example/b") == second
    assert keep(archive, variant(MIDRU, 1), "https://mid.ru/a") == first
    assert len(stored(archive)) == 2


def test_a_rolled_back_base_never_decodes_a_later_capture(archive: Archive) -> None:
    page = Page.from_bytes(variant(GLOBALSECURITY, 1), url="https://mid.ru/a")
    with pytest.raises(RuntimeError), archive.write():
        captures.keep(archive, page, "https://mid.ru/a", None, T0)
        raise RuntimeError  # the base is rolled back, but its dictionary was cached
    base = keep(archive, variant(MIDRU, 2), "https://mid.ru/b")  # the same id, other bytes
    later = keep(archive, variant(MIDRU, 3), "https://mid.ru/c")
    assert base == 1 and stored(archive)[1][2] == base
    assert captures.load(archive, later).body == variant(MIDRU, 3)


def test_the_dictionary_cache_is_bounded(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "a.db") as archive:
        archive.dictionaries = Dictionaries(size=2)
        bodies = {}
        for n in range(9):
            url = f"https://site{n % 3}.example/{n}"
            bodies[keep(archive, variant(MIDRU, n), url)] = variant(MIDRU, n)
        assert len(archive.dictionaries) == 2
        assert all(captures.load(archive, id_).body == body for id_, body in bodies.items())


def test_reparse_reads_captures_compressed_with_a_base(archive: Archive) -> None:
    record = fixture_record("midru-2024-05-29")
    bodies = [variant(MIDRU, n) for n in range(3)]
    for n, body in enumerate(bodies):
        put(archive, record.with_url(f"https://mid.ru/{n}/"), f"https://mid.ru/{n}/", body)
    assert [row[2] for row in stored(archive)] == [None, 1, 1]
    candidates = list(iter_reparse_candidates(archive, all_versions=False))
    assert [c.body for c in candidates] == bodies
    assert parse_page(candidates[2].body, url=candidates[2].url).sections == record.sections


# --- the file ---------------------------------------------------------------------------------


def test_a_new_archive_has_8_kib_pages_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "new.db") as archive:
        assert archive.conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 8192
    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("PRAGMA page_size = 4096")
    old.execute("CREATE TABLE t (x)")
    old.execute("DROP TABLE t")
    old.close()
    with Archive.open(tmp_path / "old.db") as archive:
        assert archive.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
        record = fixture_record("midru-2024-05-29")
        assert get_version(archive, put(archive, record, "https://mid.ru/a/")).record == record


def test_search_reads_the_index_sqlite_utils_made(archive: Archive) -> None:
    record = fixture_record("midru-2024-05-29")
    put(archive, record, "https://mid.ru/a/")
    by_text = search(archive, '"disaster management"')
    assert by_text and all("[disaster management]" in hit.snippet for hit in by_text)
    rows = list(archive.db.table("passages").search('"disaster management"'))
    assert rows and all("disaster management" in str(row["text"]) for row in rows)


# --- a damaged archive: one clear error, never a wrong record -----------------------------------


def stored_midru(archive: Archive) -> tuple[int, Record]:
    record = fixture_record("midru-2024-05-29")
    html = fixture_html("midru-2024-05-29")
    return put(archive, record, "https://mid.ru/en/a/", html), record


def test_a_text_changed_behind_the_archives_back_is_an_error_naming_the_version(
    archive: Archive,
) -> None:
    document_id, _ = stored_midru(archive)
    with archive.write() as conn:
        conn.execute("UPDATE passages SET text = 'something else' WHERE id = 1")
    with pytest.raises(
        ArchiveError,
        match=r"^document 1 version 1 \(versions row 1\): its stored text does not match",
    ):
        get_version(archive, document_id)


def test_a_record_that_does_not_match_its_identity_is_an_error(archive: Archive) -> None:
    document_id, _ = stored_midru(archive)
    with archive.write() as conn:
        conn.execute("UPDATE versions SET identity = ?", ("0" * 64,))
    with pytest.raises(ArchiveError, match="does not match its identity hash"):
        get_version(archive, document_id)


def test_an_edited_page_is_compressed_against_its_documents_first_capture(
    archive: Archive,
) -> None:
    record = fixture_record("midru-2024-05-29")
    url = "https://mid.ru/en/a/"
    put(archive, record.with_url("https://mid.ru/en/other/"), "https://mid.ru/en/other/", MIDRU)
    first = variant(MIDRU, 1)
    put(archive, record, url, first)
    edited_body = first.replace(b"</body>", b"<p>Corrected on Tuesday.</p></body>", 1)
    edited = Record.from_dict({**record.to_dict(), "title": record.title + " (corrected)"})
    put(archive, edited, url, edited_body)
    rows = stored(archive)
    assert [row[2] for row in rows] == [None, 1, 2]  # the edit's dictionary: capture 2
    assert len(rows[2][3]) < 0.02 * len(edited_body)
    with Archive.open(archive.path) as cold:  # read two steps back, nothing cached
        assert captures.load(cold, rows[2][0]).body == edited_body
