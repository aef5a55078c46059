"""Text rules of `RECORD.md`: whitespace, Unicode NFC and mojibake repair.

Mojibake here is UTF-8 that a republisher decoded with a single-byte charset and saved again as
UTF-8 (`‚Äď` for `–` is UTF-8 read as Mac Central European; `â€“` is UTF-8 read as cp1252).
Every character of such a charset stands for exactly one byte, so encoding a run of suspicious
characters back gives the original bytes: where those bytes form valid multi-byte UTF-8
sequences, the sequences are decoded and put back. Correct text is left alone because a lone
accented letter or Cyrillic text never re-encodes into a valid multi-byte UTF-8 sequence.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# The charsets republishers were seen to misread UTF-8 with, most likely first.
_MOJIBAKE_CODECS = ("mac_latin2", "cp1252", "mac_roman")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")


def _suspect_pattern() -> re.Pattern[str]:
    """Characters that stand for a UTF-8 lead byte followed by one for a continuation byte.

    Only text with such a pair can hold mojibake; checking for it first keeps the repair off
    the hot path for correct text (Cyrillic, curly quotes, accented names).
    """

    def chars(first: int, last: int) -> set[str]:
        return {
            bytes([byte]).decode(codec, errors="ignore")
            for codec in _MOJIBAKE_CODECS
            for byte in range(first, last + 1)
        } - {""}

    leads, continuations = chars(0xC2, 0xF4), chars(0x80, 0xBF)
    lead_class = "".join(re.escape(c) for c in sorted(leads))
    continuation_class = "".join(re.escape(c) for c in sorted(continuations))
    return re.compile(f"[{lead_class}][{continuation_class}]")


_SUSPECT = _suspect_pattern()
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def normalise(text: str) -> str:
    """Collapse whitespace (no-break spaces included), trim, repair mojibake, NFC."""
    if text.isascii():
        return " ".join(text.split()) if _needs_collapse(text) else text.strip()
    # Every whitespace character but the space is unprintable, so a printable line without a
    # double space needs no collapsing; one pass of `isprintable` beats looking for each kind.
    text = " ".join(text.split()) if "  " in text or not text.isprintable() else text.strip()
    text = repair_mojibake(text)
    return unicodedata.normalize("NFC", text)


def _needs_collapse(text: str) -> bool:
    """Whether ASCII text has whitespace other than single spaces (found by `in`, a memchr).

    A line free of it needs no collapsing, which spares splitting long paragraphs into words
    and joining them again.
    """
    return (
        "  " in text
        or "\n" in text
        or "\t" in text
        or "\r" in text
        or "\x0c" in text
        or "\x0b" in text
        or "\x1c" in text
        or "\x1d" in text
        or "\x1e" in text
        or "\x1f" in text
    )


def repair_mojibake(text: str) -> str:
    if not _SUSPECT.search(text):
        return text
    return _NON_ASCII_RUN.sub(_repair_run, text)


def _repair_run(match: re.Match[str]) -> str:
    run = match.group(0)
    for codec in _MOJIBAKE_CODECS:
        repaired = _repair_with(run, codec)
        if repaired is not None:
            return repaired
    return run


def _repair_with(run: str, codec: str) -> str | None:
    """The run with every valid UTF-8 sequence hidden in it decoded, or None if there is none."""
    try:
        raw = run.encode(codec)
    except UnicodeEncodeError:
        return None
    if len(raw) != len(run):
        return None
    pieces: list[str] = []
    position = 0
    for sequence in _UTF8_SEQUENCE.finditer(raw):
        try:
            character = sequence.group(0).decode("utf-8")
        except UnicodeDecodeError:
            continue  # shaped like UTF-8 but no character (a surrogate, an overlong form)
        pieces.append(run[position : sequence.start()])
        pieces.append(character)
        position = sequence.end()
    if not pieces:
        return None
    pieces.append(run[position:])
    return "".join(pieces)


def fold(text: str) -> str:
    """A key for comparing headings that differ only in case, quotes, dashes or spacing.

    Only letters and digits are kept. Most headings are ASCII, where deleting the other bytes
    is a single `bytes.translate`; in other text, dropping the spaces first leaves the pattern
    only the punctuation to remove.
    """
    folded = text.casefold()
    if folded.isascii():
        return folded.encode().translate(None, _ASCII_NOT_ALNUM).decode()
    return _FOLD_DROP.sub("", "".join(folded.split()))


_FOLD_DROP = re.compile(r"[\W_]+")
_ASCII_NOT_ALNUM = bytes(byte for byte in range(128) if not chr(byte).isalnum())


@lru_cache(maxsize=64)
def casefolded(phrases: tuple[str, ...]) -> tuple[str, ...]:
    """A profile's phrases case-folded once (a tuple also serves `str.startswith`)."""
    return tuple(phrase.casefold() for phrase in phrases)
