"""What changed between two versions of a record, counted for `briefings versions`.

Sections and turns are aligned in order (difflib), so an inserted exchange counts as one added,
not as every later one changed. Fields are the record's top-level facts; `url` and `warnings`
are not part of a version and never counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from difflib import SequenceMatcher

from worker.archive.models import ChangeSummary
from worker.record import Record

_FIELDS = ("title", "published", "document_number", "speaker", "place", "language", "site", "toc")


@dataclass(frozen=True)
class _Counts:
    added: int = 0
    removed: int = 0
    changed: int = 0


def summarise(before: Record, after: Record) -> ChangeSummary:
    fields = tuple(name for name in _FIELDS if getattr(before, name) != getattr(after, name))
    sections = _count(_section_keys(before), _section_keys(after))
    turns = _count(_turn_keys(before), _turn_keys(after))
    return ChangeSummary(
        fields=fields,
        sections_added=sections.added,
        sections_removed=sections.removed,
        sections_changed=sections.changed,
        turns_added=turns.added,
        turns_removed=turns.removed,
        turns_changed=turns.changed,
    )


def _section_keys(record: Record) -> list[str]:
    return [json.dumps(s.to_dict(), ensure_ascii=False, sort_keys=True) for s in record.sections]


def _turn_keys(record: Record) -> list[str]:
    return [
        json.dumps(turn.to_dict(), ensure_ascii=False, sort_keys=True)
        for section in record.sections
        for turn in section.turns
    ]


def _count(before: list[str], after: list[str]) -> _Counts:
    added = removed = changed = 0
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old, new = i2 - i1, j2 - j1
        changed += min(old, new)
        added += max(new - old, 0)
        removed += max(old - new, 0)
    return _Counts(added, removed, changed)
