"""Builds tests/data/schema2.db and schema2-export.jsonl with the worker as it was at schema 2
(main at 62e9056, before migrations 3 and 4). Kept for the record: today's worker cannot run it (it
writes schema 4), so the .db file is committed; the upgrade test reads it.

Contents: every imitation fixture page as version 1 (fetched with the profile its JSON names),
a second version of one briefing with one paragraph edited and a third with a turn added, a
404 (gone), a redirect (logged as a 301 `gone`), a failed fetch whose bytes were kept, a 304.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from worker.archive import (
    Archive,
    export_records,
    store_failure,
    store_gone,
    store_not_modified,
    store_page,
)
from worker.page import Page
from worker.record import Record, Turn

HERE = Path(__file__).parent
PAGES = HERE.parent / "fixtures" / "pages"
T0 = "2024-06-01T12:00:00+00:00"


def main(out: Path) -> None:
    out.unlink(missing_ok=True)
    with Archive.open(out) as archive:
        first: tuple[Page, Record] | None = None
        for number, path in enumerate(sorted(PAGES.glob("*.json"))):
            record = Record.from_dict(json.loads(path.read_text(encoding="utf-8")))
            url = record.url or f"https://example.org/{path.stem}"
            html = path.with_suffix(".html").read_bytes()
            page = Page.from_bytes(html, url=url, headers={"etag": f'"{number}"'}, fetched_at=T0)
            at = f"2024-06-01T12:{number:02d}:00+00:00"
            store_page(archive, page, record, source="s", parser_version="p1", duration=0.1, now=at)
            if first is None and any(s.part == "answers" for s in record.sections):
                first = (page, record)
        assert first is not None
        page, record = first
        statements = next(i for i, s in enumerate(record.sections) if s.paragraphs)
        section = record.sections[statements]
        paragraphs = (section.paragraphs[0] + " (corrected)", *section.paragraphs[1:])
        sections = list(record.sections)
        sections[statements] = replace(section, paragraphs=paragraphs)
        second = replace(record, sections=tuple(sections))
        edited = Page.from_bytes(page.body + b"<!-- edited -->", url=page.url, fetched_at=T0)
        store_page(archive, edited, second, source="s", parser_version="p1", duration=0.1,
                   now="2024-06-02T08:00:00+00:00")
        last = next(i for i, s in enumerate(second.sections) if s.turns)
        answers = second.sections[last]
        turn = Turn(role="question", speaker="TASS", text="A follow-up question about the Arctic?")
        sections = list(second.sections)
        sections[last] = replace(answers, turns=(*answers.turns, turn))
        third = replace(second, sections=tuple(sections))
        again = Page.from_bytes(edited.body + b"<!-- again -->", url=page.url, fetched_at=T0)
        store_page(archive, again, third, source="s", parser_version="p1", duration=0.1,
                   now="2024-06-09T08:00:00+00:00")
        urls = [row[0] for row in archive.conn.execute("SELECT canonical_url FROM documents ORDER BY id")]
        store_not_modified(archive, urls[1], source="s", duration=0.1, now="2024-06-03T00:00:00+00:00")
        store_gone(archive, urls[2], 404, source="s", duration=0.1, now="2024-06-03T00:00:00+00:00")
        store_gone(archive, "https://example.org/old-address", 301, source="s", duration=0.0,
                   now="2024-06-03T00:00:00+00:00")
        broken = Page.from_bytes(b"<html><body>Please wait</body></html>",
                                 url="https://example.org/broken", fetched_at=T0)
        store_failure(archive, "https://example.org/broken", source="s", reason="challenge page",
                      page=broken, duration=0.1, now="2024-06-03T00:00:00+00:00")
        with open(out.with_name("schema2-export.jsonl"), "w", encoding="utf-8") as file:
            for version in export_records(archive, None):
                file.write(json.dumps(version.to_dict(), ensure_ascii=False) + "\n")
    archive.conn.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "schema2.db")
