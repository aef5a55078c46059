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

_NUMBERING = re.compile(r"^(?:\(?\d{1,3}[.)]|[IVXLC]{1,6}\.|[•·▪■◦*–—-])\s*(?=\S)")
_MAX_HEADER_CHARS = 120
_TRAILING = re.compile(r"[\s:.;–—-]+$")


@dataclass(frozen=True)
class Markers:
    answers_header: re.Pattern[str]
    header_keywords: re.Pattern[str]  # a header holds one of these; most lines hold none
    toc_title: re.Pattern[str]
    labels: LabelReader

    def is_answers_header(self, text: str) -> bool:
        if len(text) > _MAX_HEADER_CHARS:
            return False
        if self.header_keywords.search(text) is None:
            return False
        return self.answers_header.fullmatch(_TRAILING.sub("", strip_numbering(text))) is not None

    def is_toc_title(self, text: str) -> bool:
        return len(text) <= 60 and self.toc_title.fullmatch(_TRAILING.sub("", text)) is not None


def strip_numbering(text: str) -> str:
    """`1.     Sergey Lavrov's talks` → `Sergey Lavrov's talks` (numbers are never renumbered)."""
    return _NUMBERING.sub("", text, count=1)


def has_numbering(text: str) -> bool:
    return _NUMBERING.match(text) is not None and text[:1].isdigit()


@lru_cache(maxsize=32)
def markers_for(profile: SiteProfile) -> Markers:
    return Markers(
        answers_header=_phrases(profile.answers_headers),
        header_keywords=_keywords(profile.answers_headers),
        toc_title=_phrases(profile.toc_titles),
        labels=LabelReader(profile.question_words),
    )


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
