"""Full-text search over passages (`briefings search`), with the index anyone else uses.

`passages_fts` is the FTS5 table sqlite-utils makes for `passages.text` (external content, kept
in sync by triggers), so `sqlite-utils search`, Datasette's search box and this module read one
index. User queries never reach FTS5 as typed. Each word becomes a quoted FTS5 string, so
punctuation, `-`, `:` or a stray keyword cannot be read as syntax; `"two words"` is a phrase; a
word ending in `*` is a prefix; upper-case `AND`, `OR`, `NOT` and parentheses keep their FTS5
meaning; words side by side must all occur. `speaker=` keeps the passages whose speaker has its
words, each whole or as a beginning. Hits come best first (FTS5's bm25 rank); a query that
matches more than `RANKED_MAX` texts (a word in nearly every paragraph) comes newest first, since
ranking them all would cost more than the search. Snippets are FTS5's own `snippet()`. A query
FTS5 still cannot run raises `SearchQueryError`.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from datetime import date
from functools import lru_cache
from typing import Any

from worker.archive.db import Archive
from worker.archive.models import SearchHit
from worker.errors import SearchQueryError

# What SQLite says about a MATCH expression it cannot run (anything else is not the user's fault).
_QUERY_ERRORS = ("fts5", "MATCH", "unterminated string")
_OPERATORS = ("AND", "OR", "NOT")
_TOKEN = re.compile(r'"([^"]*)"|([()])|([^\s()"]+)|(")')
_WORD = re.compile(r"[^\W_]+")
START, END, ELLIPSIS, WORDS = "[", "]", "…", 16

# Candidate texts, best first (FTS5's bm25 rank), or newest first for a query that matches so
# many texts that ranking them all would take longer than reading them (`RANKED_MAX`). Counting
# stops past RANKED_MAX: a common word's full count alone grows with the archive.
_COUNT = (
    "SELECT count(*) FROM (SELECT 1 FROM passages_fts WHERE passages_fts MATCH :match LIMIT :cap)"
)
_RANKED = (
    "SELECT rowid FROM passages_fts WHERE passages_fts MATCH :match ORDER BY rank, rowid"
    " LIMIT :window"
)
_NEWEST = (
    "SELECT rowid FROM passages_fts WHERE passages_fts MATCH :match ORDER BY rowid DESC"
    " LIMIT :window"
)
RANKED_MAX = 2000
# Each candidate text in every place it was said (a section of a version), with its filters.
_PLACES = """
SELECT sp.passage_id, d.canonical_url, v.title, v.published, v.number, d.id, sp.speaker,
    s.heading, vs.position, sp.position
FROM section_passages AS sp
JOIN version_sections AS vs ON vs.section_id = sp.section_id
JOIN sections AS s ON s.id = sp.section_id
JOIN versions AS v ON v.id = vs.version_id
JOIN documents AS d ON d.id = v.document_id
WHERE sp.passage_id IN (SELECT value FROM json_each(:ids))
"""
# The snippets of the hits in one pass over the matches between the lowest and highest hit
# (`+rowid`: not a lookup per hit, which costs FTS5 a seek in every index segment, ~0.5 ms a
# hit on a few thousand briefings). The matches in that range are at most the candidates read.
_SNIPPETS = f"""
SELECT rowid, snippet(passages_fts, 0, '{START}', '{END}', '{ELLIPSIS}', {WORDS})
FROM passages_fts WHERE passages_fts MATCH :match AND rowid BETWEEN :low AND :high
    AND +rowid IN (SELECT value FROM json_each(:ids))
"""

_FILTERS = {
    "latest": "v.number = (SELECT max(number) FROM versions WHERE document_id = v.document_id)",
    "since": "substr(v.published, 1, 10) >= :since",
    "until": "substr(v.published, 1, 10) <= :until",
    "site": "v.site = :site",
    "speaker": "worker_speaker_has(sp.speaker, :speaker)",
}


def fts_query(query: str) -> str:
    """The FTS5 MATCH expression for a user's query (see the module docstring)."""
    terms: list[str] = []
    # FTS5 reads its query as a C string: a NUL would cut a quoted word in half.
    for match in _TOKEN.finditer(query.replace("\x00", " ")):
        phrase, paren, word, stray = match.groups()
        if stray:
            raise SearchQueryError(f"search query {query!r} has an unbalanced double quote")
        term = paren or _term(phrase if phrase is not None else word)
        if term is None:
            continue
        if terms and _ends_operand(terms[-1]) and _starts_operand(term):
            terms.append("AND")
        terms.append(term)
    if not any(_starts_operand(t) and t != "(" for t in terms):
        raise SearchQueryError(f"search query {query!r} has no words to search for")
    return " ".join(terms)


def _term(word: str) -> str | None:
    if word in _OPERATORS:
        return word
    prefix = word.endswith("*")
    bare = word.rstrip("*")
    if not any(ch.isalnum() for ch in bare):
        return None  # punctuation alone: FTS5 would read it as an empty phrase
    quoted = '"' + bare.replace('"', '""') + '"'
    return f"{quoted} *" if prefix else quoted


def _starts_operand(term: str) -> bool:
    return term == "(" or term.startswith('"')


def _ends_operand(term: str) -> bool:
    return term == ")" or term.startswith('"')


def search(
    archive: Archive,
    query: str,
    *,
    speaker: str | None = None,
    since: str | None = None,
    until: str | None = None,
    site: str | None = None,
    all_versions: bool = False,
    limit: int = 50,
) -> list[SearchHit]:
    """Passages matching `query`, best first; latest versions only unless `all_versions`."""
    speaker_words = None
    if speaker is not None:
        speaker_words = " ".join(fold(word) for word in words(speaker))
        if not speaker_words:
            raise SearchQueryError(f"speaker: {speaker!r} has no words to look for")
    params: dict[str, Any] = {
        "match": fts_query(query),
        "since": _date(since, "since"),
        "until": _date(until, "until"),
        "site": site,
        "speaker": speaker_words,
        "limit": limit,
    }
    wanted = [name for name in ("since", "until", "site", "speaker") if params[name] is not None]
    if not all_versions:
        wanted.insert(0, "latest")
    places = _PLACES + "".join(f" AND {_FILTERS[name]}" for name in wanted)
    conn = archive.conn
    conn.create_function("worker_speaker_has", 2, _speaker_has, deterministic=True)
    try:
        matched = int(conn.execute(_COUNT, {**params, "cap": RANKED_MAX + 1}).fetchone()[0])
        ranked = matched <= RANKED_MAX
        window = max(4 * limit, 100)
        if ranked:  # ranking costs the same for any window: rank them all once
            best_first = [
                int(row[0]) for row in conn.execute(_RANKED, {**params, "window": matched})
            ]
        while True:
            # The best (or newest) `window` texts; more when filters leave fewer than `limit` hits.
            if ranked:
                ids = best_first[:window]
            else:
                ids = [int(row[0]) for row in conn.execute(_NEWEST, {**params, "window": window})]
            order = {passage_id: k for k, passage_id in enumerate(ids)}
            rows = conn.execute(places, {**params, "ids": json.dumps(ids)}).fetchall()
            if len(rows) >= limit or len(ids) < window:
                break
            window *= 4
        rows.sort(key=lambda row: (order[row[0]], row[5], row[4], row[8], row[9]))
        rows = rows[:limit]
        snippets = _snippets(conn, params, [row[0] for row in rows])
        return [
            SearchHit(
                url=row[1],
                title=row[2],
                published=row[3],
                version=row[4],
                document_id=row[5],
                speaker=row[6],
                heading=row[7],
                snippet=snippets[row[0]],
            )
            for row in rows
        ]
    except sqlite3.OperationalError as error:
        if not any(mark in str(error) for mark in _QUERY_ERRORS):
            raise
        raise SearchQueryError(f"cannot search for {query!r}: {error}") from None


def _snippets(conn: sqlite3.Connection, params: dict[str, Any], ids: list[int]) -> dict[int, str]:
    """Each hit's FTS5 snippet, by passage id."""
    if not ids:
        return {}
    bounds = {"low": min(ids), "high": max(ids), "ids": json.dumps(sorted(set(ids)))}
    return {int(row[0]): str(row[1]) for row in conn.execute(_SNIPPETS, {**params, **bounds})}


def _speaker_has(speaker: str | None, wanted: str) -> bool:
    """Whether every one of the `wanted` words (folded) starts a word of `speaker`: "Zakharova",
    "maria zakh" and "TASS" all find their speakers."""
    if speaker is None:
        return False
    own = [fold(word) for word in words(speaker)]
    return all(any(o.startswith(w) for o in own) for w in wanted.split())


def words(text: str) -> list[str]:
    """The words of `text` as the index splits it: runs of letters and digits."""
    return _WORD.findall(text)


def fold(word: str) -> str:
    """A word as the index compares it: lower case, and Latin letters without their accents
    (`unicode61 remove_diacritics 2` leaves other scripts' letters whole: й is not и)."""
    return "".join(_fold_letter(ch) for ch in word.lower())


@lru_cache(maxsize=4096)
def _fold_letter(ch: str) -> str:
    decomposed = unicodedata.normalize("NFD", ch)
    if len(decomposed) > 1 and unicodedata.name(decomposed[0], "").startswith("LATIN"):
        return "".join(c for c in decomposed if not unicodedata.combining(c))
    return ch


def _date(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise SearchQueryError(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None
