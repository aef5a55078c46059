"""Full-text search over passages (`briefings search`).

User queries never reach FTS5 as typed. Each word becomes a quoted FTS5 string, so punctuation,
`-`, `:` or a stray keyword cannot be read as syntax; `"two words"` is a phrase; a word ending
in `*` is a prefix; upper-case `AND`, `OR`, `NOT` and parentheses keep their FTS5 meaning; words
side by side must all occur. The query is matched against passage text and headings; a heading
is indexed with its section's first passage (`passages.py`). `speaker=` keeps the passages
whose speaker has its words, each whole or as a beginning. A query FTS5 still cannot run
raises `SearchQueryError`.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from typing import Any

from worker.archive import snippets
from worker.archive.db import Archive
from worker.archive.models import SearchHit
from worker.archive.passages import Passage, passages
from worker.archive.versions import PackedRecord, read_record
from worker.errors import ArchiveError, SearchQueryError

# What SQLite says about a MATCH expression it cannot run (anything else is not the user's fault).
_QUERY_ERRORS = ("fts5", "MATCH", "unterminated string")
_OPERATORS = ("AND", "OR", "NOT")
_TOKEN = re.compile(r'"([^"]*)"|([()])|([^\s()"]+)|(")')

# The index is contentless (passages.py): a hit's passage is read from its version's record.
_SEARCH = """
SELECT passages_fts.rowid - v.passages_from, d.canonical_url, d.title, d.published, v.number,
    d.id, v.id, v.capture_id, v.identity, v.record
FROM passages_fts
JOIN versions AS v ON v.id = (
    SELECT id FROM versions WHERE passages_from <= passages_fts.rowid
    ORDER BY passages_from DESC, id DESC LIMIT 1
)
JOIN documents AS d ON d.id = v.document_id
WHERE passages_fts MATCH :match
"""

_FILTERS = {
    "latest": "v.number = (SELECT max(number) FROM versions WHERE document_id = v.document_id)",
    "since": "substr(d.published, 1, 10) >= :since",
    "until": "substr(d.published, 1, 10) <= :until",
    "site": "d.site = :site",
}


def fts_query(query: str) -> str:
    """The FTS5 MATCH expression for a user's query (see the module docstring)."""
    return _parse(query)[0]


def _parse(query: str) -> tuple[str, list[snippets.Term]]:
    """The MATCH expression for `query`, and the terms a snippet marks (all but those under a
    NOT), each once."""
    terms: list[str] = []
    marks: list[snippets.Term] = []
    negated: list[bool] = [False]  # per open parenthesis: whether NOT applies to it
    # FTS5 reads its query as a C string: a NUL would cut a quoted word in half.
    for match in _TOKEN.finditer(query.replace("\x00", " ")):
        phrase, paren, word, stray = match.groups()
        if stray:
            raise SearchQueryError(f"search query {query!r} has an unbalanced double quote")
        text = phrase if phrase is not None else word
        term = paren or _term(text)
        if term is None:
            continue
        if terms and _ends_operand(terms[-1]) and _starts_operand(term):
            terms.append("AND")
        after_not = bool(terms) and terms[-1] == "NOT"
        if term == "(":
            negated.append(negated[-1] or after_not)
        elif term == ")" and len(negated) > 1:
            negated.pop()
        elif term.startswith('"') and not (after_not or negated[-1]):
            mark = snippets.term(text.rstrip("*"), prefix=text.endswith("*"))
            if mark is not None and mark not in marks:
                marks.append(mark)
        terms.append(term)
    if not any(_starts_operand(t) and t != "(" for t in terms):
        raise SearchQueryError(f"search query {query!r} has no words to search for")
    return "{text heading} : (" + " ".join(terms) + ")", marks


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
    match, marks = _parse(query)
    if speaker is not None:
        match = f"({match}) AND {_speaker_match(speaker)}"
    params: dict[str, Any] = {
        "match": match,
        "since": _date(since, "since"),
        "until": _date(until, "until"),
        "site": site,
        "limit": limit,
    }
    wanted = [name for name in ("since", "until", "site") if params[name] is not None]
    if not all_versions:
        wanted.insert(0, "latest")
    sql = _SEARCH + "".join(f" AND {_FILTERS[name]}" for name in wanted)
    sql += " ORDER BY rank, passages_fts.rowid LIMIT :limit"
    try:
        rows = archive.conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as error:
        if not any(mark in str(error) for mark in _QUERY_ERRORS):
            raise
        raise SearchQueryError(f"cannot search for {query!r}: {error}") from None
    read = _Passages(archive)
    hits = []
    for row in rows:
        seq, url, title, published, number, document_id = row[:6]
        passage = read.get(PackedRecord(*row[6:]), seq)
        # The snippet may come from the heading only where the index holds it.
        texts = [passage.text, passage.heading or ""] if passage.opens_section else [passage.text]
        hits.append(
            SearchHit(
                url=url,
                title=title,
                published=published,
                speaker=passage.speaker,
                heading=passage.heading,
                snippet=snippets.snippet(texts, marks),
                version=number,
                document_id=document_id,
            )
        )
    return hits


def _speaker_match(speaker: str) -> str:
    """The MATCH expression for passages whose speaker has every word of `speaker` (or a word
    starting with it): "Zakharova", "maria zakh" and "TASS" all find their speakers."""
    words = snippets.words(speaker)
    if not words:
        raise SearchQueryError(f"speaker: {speaker!r} has no words to look for")
    return "{speaker} : (" + " ".join('"' + w + '" *' for w in words) + ")"


class _Passages:
    """Passages read from their versions' records, each record read once per search."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self._read: dict[int, list[Passage]] = {}

    def get(self, packed: PackedRecord, seq: int) -> Passage:
        read = self._read.get(packed.version_id)
        if read is None:
            read = self._read[packed.version_id] = list(passages(read_record(self.archive, packed)))
        if not 0 <= seq < len(read):
            raise ArchiveError(
                f"version {packed.version_id}: the search index has a passage {seq} its record"
                f" lacks ({len(read)} passages)"
            )
        return read[seq]


def _date(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise SearchQueryError(f"{name}: expected a date YYYY-MM-DD, got {value!r}") from None
