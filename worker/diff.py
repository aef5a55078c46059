"""What changed between two versions of a briefing record, section by section and turn by turn.

`briefings diff` and `briefings versions` show this. Sections are aligned by (part, heading), so
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
from worker.render import turn_label

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
CONTEXT_WORDS = 4

_WORD = re.compile(r"(\s*)(\S+)")
_BREAK = re.compile(r"\s*\n\s*")
_SPACES = re.compile(r" {2,}")
_RED, _GREEN, _YELLOW, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[0m"


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


def _text(item: Item) -> str:
    return item if isinstance(item, str) else item.text


def _similar(a: Item, b: Item) -> bool:
    words_a, words_b = _text(a).split(), _text(b).split()
    return SequenceMatcher(None, words_a, words_b, autojunk=False).ratio() >= SIMILARITY


def _item_change(
    kind: ItemKind, old: Sequence[Item], new: Sequence[Item], i: int | None, j: int | None
) -> ItemChange:
    a = old[i] if i is not None else None
    b = new[j] if j is not None else None
    status: ItemStatus = "added" if a is None else "removed" if b is None else "changed"
    words = word_diff(_text(a), _text(b)) if a is not None and b is not None else ()
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


# --- text output ----------------------------------------------------------------------------


def render_diff_text(diff: RecordDiff, color: bool = False, context: int = CONTEXT_WORDS) -> str:
    """The diff as lines for a terminal: `~` changed, `+` added, `-` removed.

    Changed words are marked `[-old-]{+new+}` (git's word-diff style), or red and green with
    `color`; unchanged text is cut to `context` words around each change. An empty diff gives
    `no changes`.
    """
    if diff.is_empty:
        return "no changes\n"
    style = _Style(color, context)
    lines = [*_field_lines(diff.fields, style), *_toc_lines(diff.toc, style)]
    for section in diff.changed_sections:
        lines.extend(_section_lines(section, diff.language, style))
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class _Style:
    color: bool
    context: int

    def paint(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.color else text

    def sign(self, sign: str) -> str:
        code = {"+": _GREEN, "-": _RED, "~": _YELLOW}[sign]
        return self.paint(code, sign)

    def mark(self, op: Op, core: str) -> str:
        if self.color:
            return self.paint(_RED if op == "delete" else _GREEN, core)
        return f"[-{core}-]" if op == "delete" else f"{{+{core}+}}"


def _field_lines(fields: Sequence[FieldChange], style: _Style) -> list[str]:
    return [f"{style.sign('~')} {f.field}: {_shown(f.old)} → {_shown(f.new)}" for f in fields]


def _shown(value: str | None) -> str:
    return "(none)" if value is None else value


def _toc_lines(toc: Sequence[TocChange], style: _Style) -> list[str]:
    if not toc:
        return []
    lines = [f"{style.sign('~')} toc:"]
    for change in toc:
        sign = "+" if change.status == "added" else "-"
        entry = f"{change.index}. [{change.entry.part}] {change.entry.heading}"
        lines.append(f"    {style.sign(sign)} {_line_color(sign, entry, style)}")
    return lines


def _line_color(sign: str, text: str, style: _Style) -> str:
    return style.paint(_GREEN if sign == "+" else _RED, text)


def _section_title(section: SectionChange) -> str:
    heading = f'"{section.heading}"' if section.heading is not None else "(no heading)"
    return f"section {section.index} [{section.part}] {heading}"


def _section_lines(section: SectionChange, language: str, style: _Style) -> list[str]:
    if section.status == "changed":
        lines = [f"{style.sign('~')} {_section_title(section)}"]
        if section.heading_changed:
            lines.append(f"    heading: {_words_line(section.heading_words, style)}")
        lines.extend(f"    {_changed_item_line(i, language, style)}" for i in section.items)
        return lines
    sign = "+" if section.status == "added" else "-"
    lines = [f"{style.sign(sign)} {_line_color(sign, _section_title(section), style)}"]
    for item in section.items:
        text = _item_summary(item.new if sign == "+" else item.old, language, style)
        lines.append(f"    {style.sign(sign)} {_line_color(sign, text, style)}")
    return lines


def _item_summary(item: Item | None, language: str, style: _Style) -> str:
    if item is None:
        return ""
    head = _flat(_text(item))
    words = head.split(" ")
    limit = 3 * style.context
    shown = " ".join(words[:limit]) + (" ..." if len(words) > limit else "")
    return shown if isinstance(item, str) else f"{turn_label(item, language)}: {shown}"


def _changed_item_line(item: ItemChange, language: str, style: _Style) -> str:
    name = f"{item.kind} {item.index}"
    if item.status == "changed":
        return f"{name}{_label_part(item, language, style)}: {_words_line(item.words, style)}"
    sign = "+" if item.status == "added" else "-"
    source = item.new if item.status == "added" else item.old
    summary = _item_summary(source, language, style)
    text = f"{name}, {summary}" if isinstance(source, Turn) else f"{name}: {summary}"
    return f"{style.sign(sign)} {_line_color(sign, text, style)}"


def _label_part(item: ItemChange, language: str, style: _Style) -> str:
    if not isinstance(item.old, Turn) or not isinstance(item.new, Turn):
        return ""
    old, new = turn_label(item.old, language), turn_label(item.new, language)
    if old == new:
        return f", {new}"
    return f", {style.mark('delete', old)}{style.mark('insert', new)}"


def _words_line(chunks: Sequence[Chunk], style: _Style) -> str:
    last = len(chunks) - 1
    parts = [_chunk_text(op, text, k == 0, k == last, style) for k, (op, text) in enumerate(chunks)]
    return _SPACES.sub(" ", "".join(parts)).strip()


def _chunk_text(op: Op, text: str, first: bool, last: bool, style: _Style) -> str:
    flat = _flat(text)
    if op == "equal":
        return _trimmed(flat, first, last, style.context)
    core = flat.strip()
    if not core:
        return flat if op == "insert" else ""
    lead, trail = flat[: len(flat) - len(flat.lstrip())], flat[len(flat.rstrip()) :]
    return f"{lead}{style.mark(op, core)}{trail}"


def _flat(text: str) -> str:
    """One line: a paragraph break inside a turn shows as ¶."""
    return _BREAK.sub(" ¶ ", text)


def _trimmed(text: str, first: bool, last: bool, context: int) -> str:
    """Unchanged text cut to `context` words next to each change it touches."""
    words = text.split()
    lead = " " if text[:1].isspace() else ""
    trail = " " if text[-1:].isspace() else ""
    if last:
        kept = words if len(words) <= 2 * context and first else words[:context]
        more = len(kept) < len(words)
        return lead + " ".join(kept) + (" ..." if more else trail)
    if first:
        kept = words[-context:]
        return ("... " if len(kept) < len(words) else lead) + " ".join(kept) + trail
    if len(words) <= 2 * context:
        return text
    return f"{lead}{' '.join(words[:context])} ... {' '.join(words[-context:])}{trail}"


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
