"""Reading the archive: documents as users name them, versions and what changed, copies,
full-text search with its filters and refusals, streaming exports and the status summary."""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import fixture_record, store_record
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.archive import (
    Archive,
    export_passages,
    export_records,
    get_version,
    list_versions,
    other_copies,
    resolve_document,
    search,
    status_summary,
    store_failure,
)
from worker.archive.migrations import SCHEMA_VERSION
from worker.archive.models import PASSAGE_COLUMNS
from worker.archive.queries import summarise
from worker.archive.search import fts_query
from worker.archive.texts import passages
from worker.diff import diff_records
from worker.errors import DocumentNotFound, SearchQueryError, VersionNotFound
from worker.record import Record, Section, TocEntry, Turn
from worker.render import render_diff_text

GS = "https://www.globalsecurity.org/wmd/library/news/russia/2020/russia-201105-russia-mfab01.htm"
MID = "https://mid.ru/en/press_service/spokesman/briefings/1955710/"
MIRROR = "https://www.globalsecurity.org/wmd/library/news/russia/2024/russia-240529-mfa01.htm"
EMBASSY = "https://embassy.example/briefings/2020-11-05"


fixture = fixture_record


def put(archive: Archive, record: Record, now: str, url: str | None = None) -> int:
    record = record.with_url(url) if url else record
    return store_record(archive, record, now=now).document_id


def edit_first_paragraph(record: Record, text: str) -> Record:
    first = record.sections[0]
    changed = replace(first, paragraphs=(text, *first.paragraphs[1:]))
    return replace(record, sections=(changed, *record.sections[1:]))


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive.open(tmp_path / "archive.db") as opened:
        seed = fixture("globalsecurity-2020-11-05")
        put(opened, seed, "2024-06-01T00:00:00+00:00")
        put(opened, fixture("midru-2024-05-29"), "2024-06-01T00:00:00+00:00")
        put(opened, fixture("midru-ru-2020-11-05"), "2024-06-01T00:00:00+00:00")
        # version 2 of the seed: its first paragraph rewritten
        put(
            opened,
            edit_first_paragraph(seed, "Quarantine measures are tightening everywhere."),
            "2024-06-02T00:00:00+00:00",
        )
        # a mirror of the mid.ru briefing (same number) and of the seed (same title and day)
        put(opened, fixture("midru-2024-05-29"), "2024-06-03T00:00:00+00:00", MIRROR)
        put(opened, replace(seed, site="generic"), "2024-06-03T00:00:00+00:00", EMBASSY)
        yield opened


# --- documents and versions -------------------------------------------------------------------


def test_resolve_by_url_id_and_number(archive: Archive) -> None:
    by_url = resolve_document(archive, GS.replace("https://www.", "HTTPS://WWW.") + "#top")
    assert (by_url.id, by_url.url, by_url.versions) == (1, GS, 2)
    assert resolve_document(archive, "2").url == MID
    assert resolve_document(archive, "1012-29-05-2024").id == 2  # the earliest of two copies


@pytest.mark.parametrize("doc", ["https://mid.ru/nothing/", "999", "1-01-01-1999"])
def test_resolve_unknown_document(archive: Archive, doc: str) -> None:
    with pytest.raises(DocumentNotFound) as raised:
        resolve_document(archive, doc)
    assert str(raised.value).startswith(f"{doc}: no document with this")
    assert "\n" not in str(raised.value)


def test_get_version(archive: Archive) -> None:
    latest = get_version(archive, 1)
    assert (latest.number, latest.cause, latest.seen_at) == (
        2,
        "fetch",
        "2024-06-02T00:00:00+00:00",
    )
    first = get_version(archive, 1, 1)
    assert first.record == fixture("globalsecurity-2020-11-05")
    assert first.identity == first.record.identity() and first.capture_id is not None
    with pytest.raises(VersionNotFound, match=r"document 1 has no version 7 \(versions 1 to 2\)"):
        get_version(archive, 1, 7)


def test_list_versions_says_what_changed(archive: Archive) -> None:
    seed = get_version(archive, 1).record
    longer = seed.sections[-1]
    turn = Turn(role="question", speaker="RIA Novosti", text="One more question?")
    with_turn = replace(
        seed,
        published="2020-11-06",
        sections=(*seed.sections[:-1], replace(longer, turns=(*longer.turns, turn))),
    )
    put(archive, with_turn, "2024-06-05T00:00:00+00:00", GS)
    versions = list_versions(archive, 1)
    assert [v.number for v in versions] == [1, 2, 3]
    assert [v.summary for v in versions] == [
        "first version",
        "1 section changed",
        "published; 1 section changed, 1 turn added",
    ]
    assert versions[2].changes is not None and versions[2].changes.turns_added == 1


def test_versions_and_diff_agree_on_site_and_language(archive: Archive) -> None:
    seed = get_version(archive, 1).record
    moved = replace(seed, site="generic", language="ru")  # a new identity, the same briefing
    put(archive, moved, "2024-06-05T00:00:00+00:00", GS)
    versions = list_versions(archive, 1)
    assert [v.summary for v in versions][-1] == "no change in content"
    assert render_diff_text(diff_records(seed, moved)) == "no changes\n"


_WORD = st.sampled_from(["talks", "on", "trade", "resume", "in", "Moscow"])
_LINE = st.lists(_WORD, min_size=1, max_size=5).map(" ".join)
_TURN = st.builds(Turn, role=st.sampled_from(["question", "answer"]),
                  speaker=st.sampled_from([None, "TASS"]), text=_LINE)  # fmt: skip
_SECTION = st.one_of(
    st.builds(Section, part=st.just("statements"), heading=st.sampled_from([None, "Trade"]),
              paragraphs=st.lists(_LINE, max_size=3).map(tuple)),
    st.builds(Section, part=st.just("answers"), heading=st.sampled_from([None, "Talks"]),
              turns=st.lists(_TURN, max_size=3).map(tuple)),
)  # fmt: skip
_TOC_ENTRY = st.builds(TocEntry, part=st.just("answers"), heading=_WORD)
_RECORD = st.builds(
    Record,
    url=st.just(GS),
    site=st.sampled_from(["mid", "generic"]),
    language=st.sampled_from(["en", "ru"]),
    title=st.sampled_from(["Briefing", "Press briefing"]),
    published=st.sampled_from([None, "2024-05-29"]),
    document_number=st.sampled_from([None, "1012-29-05-2024"]),
    speaker=st.just(None),
    place=st.sampled_from([None, "Moscow"]),
    toc=st.lists(_TOC_ENTRY, max_size=2).map(tuple),
    sections=st.lists(_SECTION, max_size=3).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(_RECORD, _RECORD)
def test_the_versions_summary_is_read_off_the_diff(before: Record, after: Record) -> None:
    summary, diff = summarise(before, after), diff_records(before, after)
    assert (summary.describe() == "no change in content") == diff.is_empty
    assert summary.fields == tuple(f.field for f in diff.fields) + (("toc",) if diff.toc else ())
    sections = summary.sections_added + summary.sections_removed + summary.sections_changed
    assert sections == len(diff.changed_sections)
    turns = [i.status for s in diff.changed_sections for i in s.items if i.kind == "turn"]
    assert (summary.turns_added, summary.turns_removed, summary.turns_changed) == (
        turns.count("added"),
        turns.count("removed"),
        turns.count("changed"),
    )


def test_other_copies(archive: Archive) -> None:
    assert [d.url for d in other_copies(archive, 2)] == [MIRROR]
    assert [d.url for d in other_copies(archive, 1)] == [EMBASSY]
    assert other_copies(archive, 3) == []
    matched = archive.conn.execute("SELECT matched_by FROM copies WHERE document_id = 1")
    assert matched.fetchall() == [("title and date",)]


# --- search -----------------------------------------------------------------------------------


def test_plain_words_are_all_required(archive: Archive) -> None:
    hits = search(archive, "BRICS ministers", site="mid.ru")
    # FTS5's snippet(): the 16 words that hold the most of the query's words, marked.
    assert hits and all("[BRICS]" in h.snippet or "[ministers]" in h.snippet for h in hits)
    assert hits[0].url == MID and hits[0].published == "2024-05-29T16:14:00+03:00"
    assert "[BRICS]" in hits[0].snippet and "[ministers]" in hits[0].snippet
    assert search(archive, "BRICS coronavirus") == []


def test_words_under_not_are_never_marked(archive: Archive) -> None:
    hits = search(archive, "BRICS NOT (coronavirus OR ministers)", site="mid.ru")
    assert hits and all("[BRICS]" in h.snippet and "[ministers]" not in h.snippet for h in hits)


def test_phrase_prefix_and_operators(archive: Archive) -> None:
    assert search(archive, '"epidemiological situation"', site="globalsecurity")
    assert search(archive, '"situation epidemiological"') == []
    assert search(archive, "epidemiolog*", site="globalsecurity")
    assert search(archive, "zzzz OR BRICS")
    assert search(archive, "BRICS NOT ASEAN", site="mid.ru")
    assert search(archive, "(zzzz OR BRICS) ministers")


def test_latest_versions_only_unless_asked(archive: Archive) -> None:
    assert search(archive, "Quarantine tightening")[0].version == 2
    old = search(archive, '"going from bad to worse"', site="globalsecurity")
    assert old == []
    every = search(archive, '"going from bad to worse"', site="globalsecurity", all_versions=True)
    assert {(h.url, h.version) for h in every} == {(GS, 1)}


def test_speaker_date_and_site_filters(archive: Archive) -> None:
    hits = search(archive, "ASEAN", speaker="TASS")
    assert hits and {h.speaker for h in hits} == {"TASS"}
    assert all(h.heading for h in hits)
    assert search(archive, "ASEAN", speaker="zakharova")  # a word of the name, any case
    by_zakharova = search(archive, "ASEAN", speaker="maria zakh")  # words and beginnings
    assert by_zakharova and {h.speaker for h in by_zakharova} == {"Maria Zakharova"}
    assert search(archive, "ASEAN", speaker="akharova") == []  # not the middle of a word
    with pytest.raises(SearchQueryError, match="speaker: '!!' has no words"):
        search(archive, "ASEAN", speaker="!!")
    assert search(archive, "ASEAN", since="2024-05-29", until="2024-05-29")
    assert search(archive, "ASEAN", since="2024-05-30") == []
    assert search(archive, "ASEAN", until="2024-05-28") == []
    assert {h.url for h in search(archive, "ASEAN")} == {MID, MIRROR}
    assert {h.url for h in search(archive, "ASEAN", site="mid.ru")} == {MID, MIRROR}
    assert search(archive, "ASEAN", site="globalsecurity") == []


def test_cyrillic_search(archive: Archive) -> None:
    hits = search(archive, "эпидемиологическая обстановка")
    assert hits and hits[0].url == "https://mid.ru/ru/foreign_policy/news/1420571/"


def test_limit(archive: Archive) -> None:
    assert len(search(archive, "the", limit=3)) == 3


@pytest.mark.parametrize(
    "query", ['"unbalanced', "AND OR (", "NOT", "BRICS OR", "(BRICS", "BRICS)", "", "- : ;"]
)
def test_malformed_queries_raise_search_query_error(archive: Archive, query: str) -> None:
    with pytest.raises(SearchQueryError) as raised:
        search(archive, query)
    assert "\n" not in str(raised.value)


def test_punctuation_is_never_syntax(archive: Archive) -> None:
    assert search(archive, "Nagorno-Karabakh conflict")
    assert search(archive, "heading:BRICS") == []  # not a column filter, two plain words
    assert search(archive, 'Children’s "Day"')


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('a "b c" d* (e OR f)') == '"a" AND "b c" AND "d" * AND ( "e" OR "f" )'
    assert fts_query('say "" quote') == '"say" AND "quote"'


def test_bad_dates_are_refused(archive: Archive) -> None:
    with pytest.raises(SearchQueryError, match="since: expected a date"):
        search(archive, "BRICS", since="last week")


# --- export and status ------------------------------------------------------------------------


def test_export_records_streams_latest_versions(archive: Archive) -> None:
    exported = export_records(archive, None)
    assert isinstance(exported, types.GeneratorType)
    records = list(exported)
    assert [(r.document_id, r.version) for r in records] == [(1, 2), (2, 1), (3, 1), (4, 1), (5, 1)]
    assert records[0].seen_at == "2024-06-02T00:00:00+00:00" and records[0].cause == "fetch"
    line = records[1].to_dict()
    assert set(line) == {"document_id", "version", "seen_at", "cause", "record"}
    assert Record.from_dict(line["record"]) == fixture("midru-2024-05-29")  # type: ignore[arg-type]
    assert [r.document_id for r in export_records(archive, "2024-06-02")] == [1, 4, 5]
    later = export_records(archive, "2024-06-02T12:00:00+00:00")
    assert [r.document_id for r in later] == [4, 5]


def test_export_passages(archive: Archive) -> None:
    rows = list(export_passages(archive, "2024-06-03"))
    assert {r.document_id for r in rows} == {4, 5}
    first = rows[0].to_dict()
    assert (
        list(first)
        == list(PASSAGE_COLUMNS)
        == [
            "document_id",
            "url",
            "title",
            "published",
            "version",
            "seen_at",
            "section_index",
            "seq",
            "part",
            "heading",
            "role",
            "speaker",
            "text",
        ]
    )
    assert (first["url"], first["seq"], first["role"]) == (MIRROR, 0, "statement")


def test_status_summary(archive: Archive) -> None:
    for n in range(12):
        store_failure(
            archive,
            f"https://mid.ru/{n}/",
            source="mid",
            reason=f"http status {n}",
            page=None,
            duration=0.1,
        )
    status = status_summary(archive)
    assert (status.documents, status.versions, status.gone) == (5, 6, 0)
    assert status.captures == 6 and status.fetches == 18 and status.passages > 100
    # The stored per-version counts (migration 6) are every version's passages, as read back.
    counted = sum(
        len(list(passages(get_version(archive, d, v).record)))
        for d, v in archive.conn.execute("SELECT document_id, number FROM versions")
    )
    assert status.passages == counted
    assert status.size_bytes > 0 and status.schema_version == SCHEMA_VERSION
    assert len(status.recent_errors) == 10
    assert status.recent_errors[0].outcome == "error: http status 11"
    assert [s.state.name for s in status.sources] == []


# --- properties -------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    ['"', "(", ")", "AND", "OR", "NOT", "NEAR", "*", "^", ":", "-", "+", "{", "}", "BRICS", "a*"]
)


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    with Archive.open(tmp_path_factory.mktemp("search") / "archive.db") as opened:
        put(opened, fixture("midru-2024-05-29"), "2024-06-01T00:00:00+00:00")
        yield opened


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES | st.text(max_size=8), max_size=8).map(" ".join))
def test_any_query_runs_or_raises_search_query_error(small_archive: Archive, query: str) -> None:
    try:
        hits = search(small_archive, query, limit=5)
    except SearchQueryError as error:
        assert "\n" not in str(error)
    else:
        assert len(hits) <= 5
