"""Human-readable renderings of a `Record` (a plain-text outline and Markdown) and of the
changes between two versions (`worker.diff.RecordDiff`) as lines for a terminal.

`briefings show --format text|markdown` prints the first two, `briefings diff` the third. Both are plain strings (no terminal markup)
so they can be piped or saved, and deterministic so tests and diffs of the output stay stable.
Labels that stand for the transcript itself ("Question", the answers-part header) follow the
record's language; the metadata labels are the tool's own and stay English.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from worker.diff import (
    Chunk,
    FieldChange,
    Item,
    ItemChange,
    Op,
    RecordDiff,
    SectionChange,
    TocChange,
    item_text,
)
from worker.record import Part, Record, Section, TocEntry, Turn

DEFAULT_WIDTH = 88

# Words the transcript itself would print, by record language; English for any other language.
_QUESTION = {"en": "Question", "ru": "Вопрос", "zh": "问"}
_ANSWER = {"en": "Answer", "ru": "Ответ", "zh": "答"}
_ANSWERS_PART = {"en": "Answers to media questions", "ru": "Ответы на вопросы СМИ", "zh": "答记者问"}

_TURN_INDENT = "    "

_MD_INLINE = re.compile(r"([\\`*_\[\]<>~])")
_MD_ENTITY = re.compile(r"&(?=#\d+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
# A line starting like this would become a heading, list item, quote or rule.
_MD_BLOCK_START = re.compile(r"^([#+\-=])|^(\d+)([.)])", re.MULTILINE)


def turn_label(turn: Turn, language: str = "en") -> str:
    """The label a transcript prints before a turn: `Question (TASS)`, `Maria Zakharova`."""
    if turn.role == "question":
        question = _QUESTION.get(language, _QUESTION["en"])
        return f"{question} ({turn.speaker})" if turn.speaker else question
    return turn.speaker or _ANSWER.get(language, _ANSWER["en"])


def answers_part_label(language: str = "en") -> str:
    return _ANSWERS_PART.get(language, _ANSWERS_PART["en"])


def metadata_items(record: Record) -> list[tuple[str, str]]:
    """(label, value) pairs for the record's metadata that is present, in display order."""
    items = [
        ("Date", record.published),
        ("Speaker", record.speaker),
        ("Place", record.place),
        ("Document", record.document_number),
        ("Site", record.site),
        ("URL", record.url),
        ("Language", record.language),
    ]
    return [(label, value) for label, value in items if value]


# --- plain text -----------------------------------------------------------------------------


def render_text(record: Record, width: int | None = DEFAULT_WIDTH) -> str:
    """The record as a terminal outline; `width=None` leaves every paragraph on one line."""
    blocks = [
        _text_title(record.title, width),
        _text_metadata(record),
        *_text_toc(record, width),
        *_text_body(record, width),
        *_text_warnings(record.warnings, width),
    ]
    return "\n\n".join(block for block in blocks if block) + "\n"


def _wrap(text: str, width: int | None, indent: str = "", first_indent: str = "") -> str:
    if width is None:
        return first_indent + text
    wrapper = textwrap.TextWrapper(
        width=width,
        initial_indent=first_indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return wrapper.fill(text) or first_indent


def _underlined(text: str, char: str, width: int | None) -> str:
    wrapped = _wrap(text, width)
    longest = max(len(line) for line in wrapped.splitlines()) if wrapped else 0
    return f"{wrapped}\n{char * longest}"


def _text_title(title: str, width: int | None) -> str:
    return _underlined(title, "=", width)


def _text_metadata(record: Record) -> str:
    items = metadata_items(record)
    pad = max((len(label) for label, _ in items), default=0) + 1
    return "\n".join(f"{label + ':':<{pad}} {value}" for label, value in items)


def _numbered_toc(toc: Iterable[TocEntry]) -> Iterator[tuple[int, TocEntry, bool]]:
    """Each entry with its 1-based number and whether it opens the answers part."""
    previous: Part | None = None
    for number, entry in enumerate(toc, start=1):
        yield number, entry, entry.part == "answers" and previous != "answers"
        previous = entry.part


def _text_toc(record: Record, width: int | None) -> list[str]:
    if not record.toc:
        return []
    digits = len(str(len(record.toc)))
    lines = ["Contents"]
    for number, entry, opens_answers in _numbered_toc(record.toc):
        if opens_answers:
            lines.append(f"  {answers_part_label(record.language)}:")
        prefix = f"  {number:>{digits}}. "
        lines.append(_wrap(entry.heading, width, " " * len(prefix), prefix))
    return ["\n".join(lines)]


def _text_body(record: Record, width: int | None) -> list[str]:
    blocks: list[str] = []
    previous: Part | None = None
    for section in record.sections:
        if section.part == "answers" and previous != "answers":
            blocks.append(f"*** {answers_part_label(record.language)} ***")
        blocks.extend(_text_section(section, record.language, width))
        previous = section.part
    return blocks


def _text_section(section: Section, language: str, width: int | None) -> list[str]:
    blocks = [_underlined(section.heading, "-", width)] if section.heading else []
    blocks.extend(_wrap(paragraph, width) for paragraph in section.paragraphs)
    blocks.extend(_text_turn(turn, language, width) for turn in section.turns)
    return blocks


def _text_turn(turn: Turn, language: str, width: int | None) -> str:
    first, *rest = turn.text.split("\n\n")
    lines = [_wrap(f"{turn_label(turn, language)}: {first}", width, _TURN_INDENT)]
    lines.extend(_wrap(paragraph, width, _TURN_INDENT, _TURN_INDENT) for paragraph in rest)
    return "\n\n".join(lines)


def _text_warnings(warnings: tuple[str, ...], width: int | None) -> list[str]:
    if not warnings:
        return []
    lines = ["Warnings:", *(_wrap(w, width, "    ", "  - ") for w in warnings)]
    return ["\n".join(lines)]


# --- Markdown -------------------------------------------------------------------------------


def escape_markdown(text: str) -> str:
    """`text` as literal Markdown: inline markup characters and line-start block markers escaped."""
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_ENTITY.sub("&amp;", text)
    return _MD_BLOCK_START.sub(_escape_block_start, text)


def _escape_block_start(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return f"{match.group(2)}\\{match.group(3)}"


def render_markdown(record: Record) -> str:
    """The record as a Markdown document: title, metadata list, contents, one `##` per section."""
    blocks = [
        f"# {escape_markdown(record.title)}",
        _md_metadata(record),
        *_md_toc(record),
        *_md_body(record),
        *_md_warnings(record.warnings),
    ]
    return "\n\n".join(block for block in blocks if block) + "\n"


def _md_metadata(record: Record) -> str:
    lines = []
    for label, value in metadata_items(record):
        shown = f"<{value}>" if label == "URL" else escape_markdown(value)
        lines.append(f"- **{label}:** {shown}")
    return "\n".join(lines)


def _md_toc(record: Record) -> list[str]:
    if not record.toc:
        return []
    blocks = ["## Contents"]
    lines: list[str] = []
    for number, entry, opens_answers in _numbered_toc(record.toc):
        if opens_answers:
            # A list must end before the part label; the next one restarts at its own number.
            blocks.extend(["\n".join(lines)] if lines else [])
            blocks.append(f"*{escape_markdown(answers_part_label(record.language))}*")
            lines = []
        lines.append(f"{number}. {escape_markdown(entry.heading)}")
    blocks.extend(["\n".join(lines)] if lines else [])
    return blocks


def _md_body(record: Record) -> list[str]:
    blocks: list[str] = []
    for section in record.sections:
        if section.heading:
            blocks.append(f"## {escape_markdown(section.heading)}")
        blocks.extend(escape_markdown(paragraph) for paragraph in section.paragraphs)
        blocks.extend(_md_turn(turn, record.language) for turn in section.turns)
    return blocks


def _md_turn(turn: Turn, language: str) -> str:
    first, *rest = [escape_markdown(p) for p in turn.text.split("\n\n")]
    label = escape_markdown(turn_label(turn, language))
    return "\n\n".join([f"**{label}:** {first}", *rest])


def _md_warnings(warnings: tuple[str, ...]) -> list[str]:
    if not warnings:
        return []
    return ["## Parser warnings", "\n".join(f"- {escape_markdown(w)}" for w in warnings)]


# ---- diffs -----------------------------------------------------------------------------------

CONTEXT_WORDS = 4  # unchanged words shown on each side of a change

_BREAK = re.compile(r"\s*\n\s*")
_SPACES = re.compile(r" {2,}")
_RED, _GREEN, _YELLOW, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[0m"


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
    head = _flat(item_text(item))
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
