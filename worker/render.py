"""Human-readable renderings of a `Record`: a plain-text outline and Markdown.

`briefings show --format text|markdown` prints these. Both are plain strings (no terminal markup)
so they can be piped or saved, and deterministic so tests and diffs of the output stay stable.
Labels that stand for the transcript itself ("Question", the answers-part header) follow the
record's language; the metadata labels are the tool's own and stay English.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Iterator

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
