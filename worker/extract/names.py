"""The briefer's name as a title prints it, and the record's speaker from labels and title.

Titles name the briefer after a job title (`Press Secretary Jay Carney`, `Spokesperson Geng
Shuang's`, `外交部发言人耿爽主持`) or, on Russian pages, by initials and surname in the case the
title's grammar asks (`Ответы Министра ... С.В.Лаврова`), put back in the nominative here. The job
titles, name endings and the Russian title openings are data in the label tables of the profiles.
"""

from __future__ import annotations

import re
from functools import lru_cache

from worker.extract.dates import FoundDate
from worker.profiles import SiteProfile

# Russian case endings of surnames back to the nominative, longest first (feminine oblique
# `-овой` before masculine genitive `-ова`: after an oblique opening, a woman's name never ends
# in `-ова`).
_NOMINATIVE_ENDINGS: dict[str, tuple[tuple[str, str], ...]] = {
    "ru": (
        ("скому", "ский"),
        ("ского", "ский"),
        ("цкого", "цкий"),
        ("ским", "ский"),
        ("овой", "ова"),
        ("евой", "ева"),
        ("иной", "ина"),
        ("ыной", "ына"),
        ("ской", "ская"),
        ("цкой", "цкая"),
        ("овым", "ов"),
        ("евым", "ев"),
        ("иным", "ин"),
        ("ыным", "ын"),
        ("ову", "ов"),
        ("еву", "ев"),
        ("ину", "ин"),
        ("ыну", "ын"),
        ("ова", "ов"),
        ("ева", "ев"),
        ("ина", "ин"),
        ("ына", "ын"),
    ),
}
_INITIALS_NAME = re.compile(r"(?<![\w.])(?:[А-ЯЁ]\.\s?){1,2}[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?")
_HAN_NAME = r"[\u4e00-\u9fff·]{2,4}?"
# Words that are no part of a name in a title (job words, function words, "En Route"): a name
# stops at them, in the job-title rule and in the comma-segment rule alike.
_NOT_NAME = frozenset(
    """
    aboard affairs after and at before briefing by conference daily department deputy director
    during en federation for foreign from gaggle house in information minister ministry of
    office official on online press regarding regular remarks representative route russia
    russian spokesman spokesperson spokeswoman statement the to white with брифинг дел
    департамента директора заместителя иностранных информации мид министерства официального
    печати представителя россии
    """.split()
)
_NAME_TOKEN = re.compile(r"^(?:[A-ZА-ЯЁ]\.\s?){1,2}[A-ZА-ЯЁ][\w’'\-]+$|^[A-ZА-ЯЁ][\w’'\-]+$")
_MAX_NAME_WORDS = 3


def title_name(title: str, profile: SiteProfile, found: FoundDate | None = None) -> str | None:
    """The briefer's name in the title, in the nominative, without job titles; or None.

    `found` is the title's date: a title shaped `... NAME, PLACE, DATE` names the briefer at the
    end of its first segment, the rule tried last.
    """
    if title.isascii():
        # No Cyrillic initials, no Han characters to look for.
        return _latin_name(title, profile) or _segment_name(title, found)
    return (
        _russian_name(title, profile)
        or _han_name(title, profile)
        or _latin_name(title, profile)
        or _segment_name(title, found)
    )


def _russian_name(title: str, profile: SiteProfile) -> str | None:
    match = _INITIALS_NAME.search(title)
    if match is None:
        return None
    name = match.group(0).replace(" ", "")
    openers = profile.label_words("oblique_openers")
    first_word = title.split(maxsplit=1)[0] if title.strip() else ""
    return nominative(name, "ru") if first_word in openers else name


def nominative(name: str, language: str) -> str:
    """A surname in an oblique case put back in the nominative (`С.В.Лаврова` → `С.В.Лавров`)."""
    for ending, replacement in _NOMINATIVE_ENDINGS.get(language, ()):
        if name.endswith(ending):
            return name[: -len(ending)] + replacement
    return name


def _han_name(title: str, profile: SiteProfile) -> str | None:
    pattern = _han_pattern(profile.label_words("job_titles"), profile.label_words("name_ends"))
    match = pattern.search(title) if pattern is not None else None
    return match.group("name") if match else None


@lru_cache(maxsize=16)
def _han_pattern(job_titles: tuple[str, ...], name_ends: tuple[str, ...]) -> re.Pattern[str] | None:
    """Job title, name, name ending: for titles written without spaces (only Han job titles)."""
    jobs = sorted(
        (j for j in job_titles if re.search(r"[\u4e00-\u9fff]", j)), key=len, reverse=True
    )
    if not jobs or not name_ends:
        return None
    return re.compile(
        f"(?:{'|'.join(map(re.escape, jobs))})(?P<name>{_HAN_NAME})"
        f"(?:{'|'.join(map(re.escape, name_ends))})"
    )


def _latin_name(title: str, profile: SiteProfile) -> str | None:
    """The capitalised words right after a job title (`Secretary Jay Carney`), two or three."""
    jobs = _folded(profile.label_words("job_titles"))
    tokens = title.replace(",", " , ").split()
    folded = [token.casefold() for token in tokens]
    if jobs.isdisjoint(folded):
        return None  # most titles name no one after a job title: no walk
    for i, token in enumerate(folded):
        if token not in jobs:
            continue
        name: list[str] = []
        for word in tokens[i + 1 :]:
            bare = word[:-2] if word.endswith(("'s", "’s")) else word
            if not bare[:1].isupper() or bare.casefold() in jobs or bare.casefold() in _NOT_NAME:
                break
            name.append(bare)
            if bare != word or len(name) == _MAX_NAME_WORDS:
                break  # a possessive ends the name
        if len(name) >= 2:
            return " ".join(name)
    return None


@lru_cache(maxsize=16)
def _folded(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(word.casefold() for word in words)


def _segment_name(title: str, found: FoundDate | None) -> str | None:
    """The name that ends the first comma segment of a dated title (`Briefing by Spokeswoman
    Maria Zakharova, Moscow, ...`): two or three name words, or initials and a surname."""
    if found is None:
        return None
    segment = title[: found.start].split(",", 1)[0]
    name: list[str] = []
    for token in reversed(segment.split()):
        if token.casefold() in _NOT_NAME or not _NAME_TOKEN.match(token):
            break
        name.insert(0, token)
        if len(name) == _MAX_NAME_WORDS:
            break
    if len(name) >= 2 or (len(name) == 1 and "." in name[0]):
        return " ".join(name)
    return None


def record_speaker(label: str | None, from_title: str | None, profile: SiteProfile) -> str | None:
    """The name on the answer labels; the title's full name where the label is only an honorific
    and that person's surname (`MR. CARNEY` → `Jay Carney`); the title's name without a label."""
    if label is None:
        return from_title
    if from_title is None:
        return label
    words = label.split()
    honorifics = _folded(profile.label_words("honorifics"))
    if (
        len(words) == 2
        and words[0].casefold() in honorifics
        and from_title.split()[-1].casefold() == words[1].casefold()
    ):
        return from_title
    return label
