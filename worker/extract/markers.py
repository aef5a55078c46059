"""Recognisers for the structural lines of a briefing, built once per site profile.

The answers-part header, the table of contents' title and the numbering of TOC items. Headers
match whole lines only, so a statements topic such as "Answers to media questions about the
summit" is an ordinary heading, never the header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from worker.extract.labels import LabelReader
from worker.profiles import SiteProfile

_NUMBERING_FORMS = r"(?:\(?\d{1,3}[.)]|[IVXLC]{1,6}\.|[•·▪■◦*–—-])\s*(?=\S)"
_NUMBERING = re.compile("^" + _NUMBERING_FORMS)
_NUMBERING_FIRST = frozenset("(IVXLC•·▪■◦*–—-")  # what `_NUMBERING` can open with, digits aside
_MAX_HEADER_CHARS = 120
_TRAILING_CHARS = r"[\s:.;–—-]"
_TRAILING = re.compile(_TRAILING_CHARS + "+$")


@dataclass(frozen=True)
class Markers:
    answers_header: re.Pattern[str]
    # The header with any numbering and trailing punctuation: a test anchored at the start
    # that fails within the first characters of most lines, before the dearer exact test.
    answers_header_loose: re.Pattern[str]
    # What a header can open with (a numbering or a phrase's first letter, in any case): one
    # character tested before trying the phrases one by one. None when that cannot be told.
    header_start: re.Pattern[str] | None
    header_keywords: re.Pattern[str]  # a header holds one of these
    toc_title: re.Pattern[str]
    labels: LabelReader

    def is_answers_header(self, text: str) -> bool:
        if len(text) > _MAX_HEADER_CHARS:
            return False
        if self.header_start is not None and self.header_start.match(text) is None:
            return False
        if self.answers_header_loose.fullmatch(text) is None:
            return False
        if self.header_keywords.search(text) is None:
            return False
        return self.answers_header.fullmatch(_TRAILING.sub("", strip_numbering(text))) is not None

    def is_toc_title(self, text: str) -> bool:
        return len(text) <= 60 and self.toc_title.fullmatch(_TRAILING.sub("", text)) is not None


def strip_numbering(text: str) -> str:
    """`1.     Sergey Lavrov's talks` → `Sergey Lavrov's talks` (numbers are never renumbered)."""
    first = text[:1]
    if first not in _NUMBERING_FIRST and not first.isdecimal():
        return text  # most lines open with a letter, which no numbering does
    numbering = _NUMBERING.match(text)  # `sub` would try the anchored pattern at every position
    return text[numbering.end() :] if numbering else text


def has_numbering(text: str) -> bool:
    return text[:1].isdigit() and _NUMBERING.match(text) is not None


def markers_for(profile: SiteProfile) -> Markers:
    # Keyed by the three lists it reads: hashing a whole profile costs more than building these.
    return _markers(
        profile.answers_headers,
        profile.toc_titles,
        profile.question_words + profile.label_words("question"),
        profile.label_words("answer"),
        profile.label_words("spaced"),
    )


@lru_cache(maxsize=32)
def _markers(
    answers_headers: tuple[str, ...],
    toc_titles: tuple[str, ...],
    question_words: tuple[str, ...],
    answer_words: tuple[str, ...],
    spaced_words: tuple[str, ...],
) -> Markers:
    answers_header = _phrases(answers_headers)
    return Markers(
        answers_header=answers_header,
        answers_header_loose=re.compile(
            f"(?:{_NUMBERING_FORMS})?{answers_header.pattern}{_TRAILING_CHARS}*",
            answers_header.flags,
        ),
        header_start=_starts(answers_headers),
        header_keywords=_keywords(answers_headers),
        toc_title=_phrases(toc_titles),
        labels=LabelReader(question_words, answer_words, spaced_words),
    )


def _starts(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """A class of the first characters of the phrases and numberings, in any case.

    None when a phrase opens with no letter or digit: an apostrophe or a space there is matched
    loosely, so the phrase's second character could open a header too.
    """
    if not phrases or not all(phrase[:1].isalnum() for phrase in phrases):
        return None
    chars = {phrase[0] for phrase in phrases} | _NUMBERING_FIRST
    return re.compile("[" + "".join(map(re.escape, sorted(chars))) + r"\d]", re.IGNORECASE)


def _keywords(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """The start of each phrase's longest word ("questions" → "quest"), for a cheap first test."""
    stems = sorted({max(p.casefold().split(), key=len)[:5] for p in phrases if p.strip()})
    return re.compile("|".join(re.escape(stem) for stem in stems), re.IGNORECASE)


def _phrases(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive pattern matching any phrase, apostrophes and spaces loosely."""
    alternatives = []
    for phrase in phrases:
        escaped = re.escape(phrase)
        escaped = escaped.replace("'", "['’]?").replace(r"\ ", r"\s+")
        alternatives.append(escaped)
    return re.compile("(?:" + "|".join(alternatives) + ")", re.IGNORECASE)
