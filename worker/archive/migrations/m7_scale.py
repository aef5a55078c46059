"""Migration 7: what the 30,000-briefing runs showed growing with the archive.

- The search index merges its segments 8 at a time instead of FTS5's default 4. Each page is its
  own transaction, so every page writes a small segment of `passages_fts`, and FTS5 merges
  segments as they pile up: with 4 at a time each indexed word is rewritten about log4(N) times,
  which made indexing a page's passages most of the cost of storing it, growing with the archive
  (4.6 + 2.5 ms a page at 15,000 briefings, 3.0 + 0.8 ms at 1,000: insert + commit). With 8 at a
  time it is 2.7 + 1.4 ms at 15,000. A search reads a few more segments; on 15,000 briefings one
  segment against 27 changed a search by about 10%.
- `status` sums every version's passage count (migration 6) from a narrow index instead of
  reading the whole `versions` table (8 ms at 15,000 briefings).
"""

from __future__ import annotations

AUTOMERGE = 8

STATEMENTS = (
    f"INSERT INTO passages_fts (passages_fts, rank) VALUES ('automerge', {AUTOMERGE})",
    "CREATE INDEX versions_passages ON versions (passages)",
)
