"""What changed between two versions of a record, counted for `briefings versions`.

The counts are read off `worker.diff.diff_records`, the diff `briefings diff` shows, so the two
commands always agree: the same fields (`site`, `language`, `url` and `warnings` are not
compared), sections aligned by part and heading, and turns paired the same way inside each
changed section (an edited turn is `changed`; one rewritten past recognition is one removed
and one added, as the diff shows it).
"""

from __future__ import annotations

from collections import Counter

from worker.archive.models import ChangeSummary
from worker.diff import diff_records
from worker.record import Record


def summarise(before: Record, after: Record) -> ChangeSummary:
    diff = diff_records(before, after)
    fields = tuple(change.field for change in diff.fields) + (("toc",) if diff.toc else ())
    sections = Counter(section.status for section in diff.changed_sections)
    turns = Counter(
        item.status
        for section in diff.changed_sections
        for item in section.items
        if item.kind == "turn"
    )
    return ChangeSummary(
        fields=fields,
        sections_added=sections["added"],
        sections_removed=sections["removed"],
        sections_changed=sections["changed"],
        turns_added=turns["added"],
        turns_removed=turns["removed"],
        turns_changed=turns["changed"],
    )
