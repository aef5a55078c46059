"""Migration 6: what `status` and `list` read at every call, stored or indexed once.

At 30,000 briefings `status` spent most of its time counting every version's passages through
`version_sections` and `section_passages` (~0.6 M rows), and `list` sorted every document to
print the newest 50. Now:

- `versions.passages`: the version's paragraphs and turns, written with the version
  (`store._add_version`) and filled here for the versions already stored; `status` sums it.
- `documents_newest`: the documents in `list`'s order (newest briefing first, undated last), so
  the first page of `list` reads that many rows, not the whole table and a sort.
- `documents_gone`: the few gone documents (`status`, `list --gone`, `changes`), not a scan.
"""

from __future__ import annotations

STATEMENTS = (
    "ALTER TABLE versions ADD COLUMN passages INTEGER NOT NULL DEFAULT 0",
    # Each stored section's size once, times the versions that use it (one pass each).
    """UPDATE versions SET passages = counted.n
FROM (
    SELECT vs.version_id, sum(sizes.n) AS n FROM version_sections AS vs
    JOIN (SELECT section_id, count(*) AS n FROM section_passages GROUP BY section_id) AS sizes
        ON sizes.section_id = vs.section_id
    GROUP BY vs.version_id
) AS counted
WHERE counted.version_id = versions.id""",
    "CREATE INDEX documents_newest ON documents (published IS NULL, published DESC, id DESC)",
    "CREATE INDEX documents_gone ON documents (gone_at) WHERE gone_at IS NOT NULL",
)
