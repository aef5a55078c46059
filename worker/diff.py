"""What changed between two versions of a briefing record, section by section and turn by turn.

`briefings diff` and `briefings versions` show this (`worker.render.render_diff_text` prints it
for a terminal, `diff_to_dict` as JSON). Sections are aligned by (part, heading), so
an inserted or dropped topic does not make every later section look changed; where headings
differ the alignment falls back to position. Inside a changed section, paragraphs or turns are
aligned the same way and an edited one carries a word-level diff, so a one-word correction reads
as one word, not as a replaced paragraph. Everything here is a pure function of two `Record`s.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal

from worker.record import Part, Record, Section, TocEntry, Turn

Op = Literal["equal", "insert", "delete"]
Chunk = tuple[Op, str]
ItemKind = Literal["paragraph", "turn"]
ItemStatus = Literal["added", "removed", "changed"]
SectionStatus = Literal["added", "removed", "changed", "unchanged"]
TocStatus = Literal["added", "removed"]
Item = str | Turn
Pair = tuple[int | None, int | None]

# `toc` is compared entry by entry (`RecordDiff.toc`); `url` and `warnings` are not part of a
# version's identity, and `site` and `language` belong to the source rather than the briefing.
METADATA_FIELDS = ("title", "published", "document_number", "speaker", "place")

# Below this share of common words, an edited paragraph is shown as removed plus added.
SIMILARITY = 0.5

_WORD = re.compile(r"(\s*)(\S+)")


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class TocChange:
    """`index` is 1-based: the entry's place in the old TOC if removed, in the new one if added."""

    status: TocStatus
    index: int
    entry: TocEntry


@dataclass(frozen=True)
class ItemChange:
    """A paragraph (`str`) or a turn; indexes are 1-based, None on the side it is missing from."""

    kind: ItemKind
    status: ItemStatus
    old_index: int | None
    new_index: int | None
    old: Item | None
    new: Item | None
    words: tuple[Chunk, ...] = ()

    @property
    def index(self) -> int:
        index = self.new_index if self.new_index is not None else self.old_index
        assert index is not None
        return index


@dataclass(frozen=True)
class SectionChange:
    """One aligned section; indexes are 1-based, None on the side it is missing from."""

    status: SectionStatus
    part: Part
    old_index: int | None
    new_index: int | None
    old_heading: str | None
    new_heading: str | None
    items: tuple[ItemChange, ...] = ()
    heading_words: tuple[Chunk, ...] = ()

    @property
    def index(self) -> int:
        index = self.new_index if self.new_index is not None else self.old_index
        assert index is not None
        return index

    @property
    def heading(self) -> str | None:
        return self.new_heading if self.new_index is not None else self.old_heading

    @property
    def heading_changed(self) -> bool:
        return self.status == "changed" and self.old_heading != self.new_heading


@dataclass(frozen=True)
class RecordDiff:
    """`sections` holds every aligned section, unchanged ones too; `language` (the new record's)
    picks the turn labels when rendering."""

    fields: tuple[FieldChange, ...]
    toc: tuple[TocChange, ...]
    sections: tuple[SectionChange, ...]
    language: str = "en"

    @property
    def is_empty(self) -> bool:
        return not self.fields and not self.toc and not self.changed_sections

    @property
    def changed_sections(self) -> tuple[SectionChange, ...]:
        return tuple(s for s in self.sections if s.status != "unchanged")


# --- computing the diff ---------------------------------------------------------------------


def diff_records(old: Record, new: Record) -> RecordDiff:
    """The changes that turn `old` into `new`."""
    return RecordDiff(
        fields=_field_changes(old, new),
        toc=_toc_changes(old.toc, new.toc),
        sections=_section_changes(old.sections, new.sections),
        language=new.language,
    )


def word_diff(old: str, new: str) -> tuple[Chunk, ...]:
    """Chunks whose `equal`+`delete` texts join to `old` and `equal`+`insert` texts to `new`.

    Words are matched on their letters alone; the whitespace before a word goes with it, so a
    replaced word reads `a [-b-]{+x+} c` rather than swallowing the spaces around it.
    """
    a, b = _tokens(old), _tokens(new)
    chunks: list[Chunk] = []
    for tag, i1, i2, j1, j2 in _opcodes([w for _, w in a], [w for _, w in b]):
        chunks.extend(_token_chunks(tag, a[i1:i2], b[j1:j2]))
    return _merged(chunks)


def _opcodes(
    a: Sequence[Hashable], b: Sequence[Hashable]
) -> Sequence[tuple[str, int, int, int, int]]:
    # autojunk would treat frequent words ("the") in long paragraphs as noise and skip them.
    return SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def _field_changes(old: Record, new: Record) -> tuple[FieldChange, ...]:
    pairs = ((name, getattr(old, name), getattr(new, name)) for name in METADATA_FIELDS)
    return tuple(FieldChange(name, a, b) for name, a, b in pairs if a != b)


def _toc_changes(old: Sequence[TocEntry], new: Sequence[TocEntry]) -> tuple[TocChange, ...]:
    changes: list[TocChange] = []
    for tag, i1, i2, j1, j2 in _opcodes(old, new):
        if tag != "equal":
            changes.extend(TocChange("removed", i + 1, old[i]) for i in range(i1, i2))
            changes.extend(TocChange("added", j + 1, new[j]) for j in range(j1, j2))
    return tuple(changes)


def _section_key(section: Section) -> tuple[str, str | None]:
    return (section.part, section.heading)


def _section_changes(old: Sequence[Section], new: Sequence[Section]) -> tuple[SectionChange, ...]:
    keys_old, keys_new = [_section_key(s) for s in old], [_section_key(s) for s in new]
    changes: list[SectionChange] = []
    for tag, i1, i2, j1, j2 in _opcodes(keys_old, keys_new):
        for i, j in _pair_by_position(tag, range(i1, i2), range(j1, j2), old, new):
            changes.append(_section_change(old, new, i, j))
    return tuple(changes)


def _pair_by_position(
    tag: str, olds: range, news: range, old: Sequence[Section], new: Sequence[Section]
) -> Iterator[Pair]:
    """Pairs within one opcode block; a replaced block pairs sections of the same part in order."""
    if tag == "equal":
        yield from zip(olds, news, strict=True)
        return
    count = min(len(olds), len(news))
    leftover_old, leftover_new = list(olds[count:]), list(news[count:])
    for i, j in zip(olds[:count], news[:count], strict=True):
        if old[i].part == new[j].part:
            yield i, j
        else:
            leftover_old.append(i)
            leftover_new.append(j)
    yield from ((i, None) for i in sorted(leftover_old))
    yield from ((None, j) for j in sorted(leftover_new))


def _section_change(
    old: Sequence[Section], new: Sequence[Section], i: int | None, j: int | None
) -> SectionChange:
    a = old[i] if i is not None else None
    b = new[j] if j is not None else None
    items = _item_changes(a, b)
    status = _section_status(a, b, items)
    part = b.part if b is not None else a.part if a is not None else "statements"
    return SectionChange(
        status=status,
        part=part,
        old_index=None if i is None else i + 1,
        new_index=None if j is None else j + 1,
        old_heading=a.heading if a is not None else None,
        new_heading=b.heading if b is not None else None,
        items=items,
        heading_words=_heading_words(a, b),
    )


def _section_status(
    a: Section | None, b: Section | None, items: tuple[ItemChange, ...]
) -> SectionStatus:
    if a is None:
        return "added"
    if b is None:
        return "removed"
    return "changed" if items or a.heading != b.heading else "unchanged"


def _heading_words(a: Section | None, b: Section | None) -> tuple[Chunk, ...]:
    if a is None or b is None or a.heading == b.heading:
        return ()
    return word_diff(a.heading or "", b.heading or "")


def _item_changes(a: Section | None, b: Section | None) -> tuple[ItemChange, ...]:
    """Paragraph changes, then turn changes (a section holds one kind or the other)."""
    return (
        *_list_changes("paragraph", a.paragraphs if a else (), b.paragraphs if b else ()),
        *_list_changes("turn", a.turns if a else (), b.turns if b else ()),
    )


def _list_changes(
    kind: ItemKind, old: Sequence[Item], new: Sequence[Item]
) -> tuple[ItemChange, ...]:
    changes: list[ItemChange] = []
    for tag, i1, i2, j1, j2 in _opcodes(old, new):
        if tag == "equal":
            continue
        for i, j in _pair_similar(old[i1:i2], new[j1:j2]):
            changes.append(
                _item_change(
                    kind, old, new, None if i is None else i1 + i, None if j is None else j1 + j
                )
            )
    return tuple(changes)


def _pair_similar(old: Sequence[Item], new: Sequence[Item]) -> list[Pair]:
    """Pairs in order: each old item with the next new one that is similar enough, else alone."""
    pairs: list[Pair] = []
    start = 0
    for i, item in enumerate(old):
        match = next((k for k in range(start, len(new)) if _similar(item, new[k])), None)
        if match is None:
            pairs.append((i, None))
            continue
        pairs.extend((None, k) for k in range(start, match))
        pairs.append((i, match))
        start = match + 1
    pairs.extend((None, k) for k in range(start, len(new)))
    return pairs


def item_text(item: Item) -> str:
    return item if isinstance(item, str) else item.text


def _similar(a: Item, b: Item) -> bool:
    words_a, words_b = item_text(a).split(), item_text(b).split()
    return SequenceMatcher(None, words_a, words_b, autojunk=False).ratio() >= SIMILARITY


def _item_change(
    kind: ItemKind, old: Sequence[Item], new: Sequence[Item], i: int | None, j: int | None
) -> ItemChange:
    a = old[i] if i is not None else None
    b = new[j] if j is not None else None
    status: ItemStatus = "added" if a is None else "removed" if b is None else "changed"
    words = word_diff(item_text(a), item_text(b)) if a is not None and b is not None else ()
    return ItemChange(
        kind=kind,
        status=status,
        old_index=None if i is None else i + 1,
        new_index=None if j is None else j + 1,
        old=a,
        new=b,
        words=words,
    )


def _tokens(text: str) -> list[tuple[str, str]]:
    """(whitespace before, word) pairs; trailing whitespace becomes a token with an empty word."""
    tokens: list[tuple[str, str]] = _WORD.findall(text)
    tail = text[sum(len(ws) + len(word) for ws, word in tokens) :]
    return [*tokens, (tail, "")] if tail else tokens


def _token_chunks(tag: str, a: list[tuple[str, str]], b: list[tuple[str, str]]) -> list[Chunk]:
    if tag == "equal":
        return [
            c for (ws_a, word), (ws_b, _) in zip(a, b, strict=True) for c in _same(ws_a, ws_b, word)
        ]
    old, new = "".join(ws + w for ws, w in a), "".join(ws + w for ws, w in b)
    if tag == "replace":
        lead = a[0][0] if a[0][0] == b[0][0] else ""
        return [("equal", lead), ("delete", old[len(lead) :]), ("insert", new[len(lead) :])]
    return [("delete", old)] if a else [("insert", new)]


def _same(ws_old: str, ws_new: str, word: str) -> list[Chunk]:
    if ws_old == ws_new:
        return [("equal", ws_old + word)]
    return [("delete", ws_old), ("insert", ws_new), ("equal", word)]


def _merged(chunks: list[Chunk]) -> tuple[Chunk, ...]:
    merged: list[Chunk] = []
    for op, text in chunks:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return tuple(merged)


# --- JSON -----------------------------------------------------------------------------------


def diff_to_dict(diff: RecordDiff) -> dict[str, Any]:
    """The diff as plain JSON-ready data (`briefings diff --json`)."""
    return {
        "empty": diff.is_empty,
        "fields": [{"field": f.field, "old": f.old, "new": f.new} for f in diff.fields],
        "toc": [{"status": t.status, "index": t.index, **t.entry.to_dict()} for t in diff.toc],
        "sections": [_section_dict(s) for s in diff.sections],
    }


def _section_dict(section: SectionChange) -> dict[str, Any]:
    data: dict[str, Any] = {
        "status": section.status,
        "part": section.part,
        "old_index": section.old_index,
        "new_index": section.new_index,
        "old_heading": section.old_heading,
        "new_heading": section.new_heading,
    }
    if section.heading_changed:
        data["heading_words"] = [list(chunk) for chunk in section.heading_words]
    if section.status != "unchanged":
        data["items"] = [_item_dict(item) for item in section.items]
    return data


def _item_dict(item: ItemChange) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": item.kind,
        "status": item.status,
        "old_index": item.old_index,
        "new_index": item.new_index,
        "old": _item_value(item.old),
        "new": _item_value(item.new),
    }
    if item.status == "changed":
        data["words"] = [list(chunk) for chunk in item.words]
    return data


def _item_value(item: Item | None) -> str | dict[str, Any] | None:
    return item.to_dict() if isinstance(item, Turn) else item
