"""What Datasette shows about the archive: titles and descriptions of its tables, views and
columns, the facets, and the canned queries (`briefings serve`).

Plain data, read by Datasette as its metadata for one database, named as Datasette names it
(the file's stem).
"""

from __future__ import annotations

from typing import Any

_TEXT_COLUMNS = {
    "document_id": "The briefing (documents.id); links to the briefing's page",
    "version": "Version number: 1 for the first text seen, then one more per edit",
    "version_id": "versions.id",
    "section_index": "The section's place in the version, from 0",
    "part": "statements (the opening remarks) or answers (the questions and answers)",
    "heading": "The section's heading",
    "position": "The paragraph's or turn's place in its section, from 0",
    "role": "statement, question or answer",
    "speaker": "Who said it, as the transcript names them",
    "text": "The paragraph or turn itself",
    "passage_id": "passages.id: the text, stored once however many versions share it",
}

TABLES: dict[str, dict[str, Any]] = {
    "briefings": {
        "title": "Briefings",
        "description": "Every briefing as of its latest version. Open one by its document_id.",
        "facets": ["site", "speaker", "month"],
        "sort_desc": "published",
        "columns": {
            "document_id": "The briefing; links to its page",
            "month": "The month it was published (YYYY-MM)",
            "versions": "How many distinct versions were seen (more than 1: edited later)",
            "last_changed": "When its latest version was first seen",
            "gone_at": "When the page stopped answering (404/410) or moved away",
        },
    },
    "texts": {
        "title": "Paragraphs and turns",
        "description": "One row per paragraph or turn of every version. Search finds words in "
        "the text (FTS5: a phrase in double quotes, word* for a prefix, OR, NOT).",
        "facets": ["site", "speaker", "role"],
        "fts_table": "passages_fts",
        "fts_pk": "passage_id",
        "searchmode": "raw",  # FTS5 syntax: phrases, prefixes, OR, NOT; a syntax error is a 400
        "columns": _TEXT_COLUMNS,
    },
    "questions": {
        "title": "Questions and answers",
        "description": "Each question in a latest version with the turn that answers it.",
        "facets": ["site", "outlet", "month"],
        "columns": {
            "outlet": "The questioner as the transcript names them (often not named)",
            "answered_by": "Who answered",
        },
    },
    "timeline": {
        "title": "Versions over time",
        "description": "Every version of every briefing with what changed since the one before.",
        "facets": ["site", "cause"],
        "sort_desc": "seen_at",
        "columns": {
            "cause": "fetch: the site changed the page; reparse: a newer parser read it again",
            "changes": "What changed since the version before",
        },
    },
    "passages": {
        "title": "Texts",
        "description": "Each distinct paragraph or turn text, stored once (texts has where "
        "each was said).",
        "columns": {"text": "The text"},
    },
    "documents": {
        "description": "One row per canonical URL, with its latest version's facts and when it "
        "is checked again.",
    },
    "versions": {
        "description": "One row per distinct version of a document; its text is in "
        "version_sections, sections, section_passages and passages (see the texts view).",
        "columns": {
            "changes": "What changed since the version before",
            "identity": "sha256 of the record without url and warnings",
        },
    },
    "fetches": {
        "description": "Every fetch attempt and its outcome: new, changed, unchanged, "
        "not-modified, gone, moved or error: <reason>.",
        "facets": ["outcome"],
        "sort_desc": "id",
    },
    "captures": {
        "description": "The raw bytes each version came from, zstd-compressed (body).",
    },
}

QUERIES: dict[str, dict[str, Any]] = {
    "latest_briefings": {
        "title": "Latest briefings",
        "description": "The 100 most recently published briefings.",
        "sql": "SELECT document_id, published, title, site, speaker, versions, url"
        " FROM briefings ORDER BY published DESC LIMIT 100",
    },
    "search": {
        "title": "Search what was said",
        "description": "Words in the text (FTS5 syntax), with optional speaker, site and date "
        "filters (dates YYYY-MM-DD; leave a filter empty to skip it). Latest versions only.",
        "sql": """SELECT t.document_id, t.version, t.published, t.title, t.heading, t.role,
    t.speaker, snippet(passages_fts, 0, '[', ']', '…', 24) AS snippet
FROM passages_fts
JOIN texts AS t ON t.passage_id = passages_fts.rowid
JOIN latest_versions AS v ON v.id = t.version_id
WHERE passages_fts MATCH :words
    AND (:speaker = '' OR t.speaker LIKE '%' || :speaker || '%')
    AND (:site = '' OR t.site = :site)
    AND (:since = '' OR substr(t.published, 1, 10) >= :since)
    AND (:until = '' OR substr(t.published, 1, 10) <= :until)
ORDER BY passages_fts.rank
LIMIT 200""",
    },
    "questions_per_outlet_per_month": {
        "title": "Questions per outlet per month",
        "sql": "SELECT month, coalesce(outlet, '(not named)') AS outlet, count(*) AS questions"
        " FROM questions GROUP BY month, outlet ORDER BY month DESC, questions DESC",
    },
    "changed_this_week": {
        "title": "What changed this week",
        "description": "New versions of briefings first seen in the last seven days.",
        "sql": "SELECT seen_at, document_id, version, title, cause, changes, url FROM timeline"
        " WHERE seen_at >= strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-7 days')"
        " ORDER BY seen_at DESC",
    },
}


def metadata(database: str) -> dict[str, Any]:
    """Datasette's metadata for the archive served as `database`."""
    tables = {}
    for name, table in TABLES.items():
        entry = dict(table)
        if "columns" in entry:
            entry["columns"] = dict(entry["columns"])
        tables[name] = entry
    return {
        "title": "Briefings archive",
        "description_html": "Every version of every briefing the worker archived. Start with "
        "briefings, search paragraphs and turns, or open a canned query. Follow the changes "
        '(new briefings, edits, briefings gone) in a feed reader: <a href="/-/feeds/changes.atom">'
        "changes.atom</a>; a briefing's page links its site's and its speaker's feeds.",
        "databases": {
            database: {
                "description": "Read-only view of the live archive.",
                "tables": tables,
                "queries": QUERIES,
            }
        },
    }
