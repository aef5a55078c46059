"""The page's head facts: title, date line, document number, language, and what the title says.

The title is found by the profile's selectors, then by the page's own `<title>`/`og:title`. The
date line and document number are looked for in the blocks right around the title (above or
below it, as sites differ), never further: a republisher's own posting date elsewhere on the
page, or a date inside the text, must not become `published`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from worker.extract.blocks import BREAK, Block
from worker.extract.boilerplate import DropRules
from worker.extract.dates import (
    FoundDate,
    find_month_day,
    find_title_date,
    find_trailing_date,
    parse_date_line,
    parse_time_only,
    year_from_paths,
)
from worker.extract.language import identify
from worker.extract.text import casefolded, normalise
from worker.profiles import SiteProfile

# How many blocks before and after the title may hold its date line and document number.
_HEAD_WINDOW_BEFORE = 3
_HEAD_WINDOW_AFTER = 4
_DOCUMENT_NUMBER = re.compile(r"^\d{1,5}-[0-3]\d-[01]\d-(?:19|20)\d\d$")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]+")
_ANY_CYRILLIC = re.compile(r"[А-Яа-яЁё]")  # without `+`, a search skips ahead by the class
_LATIN = re.compile(r"[A-Za-z]+")
_PLACE = re.compile(r"^[A-ZА-ЯЁ][\w’'.\-]*(?:\s+[\w’'.\-]+){0,3}$")


@dataclass(frozen=True)
class Head:
    title: str
    title_index: int | None  # the title's block, when it is inside the content root
    published: str | None
    document_number: str | None
    last_index: int  # the last block that belongs to the head (title, date line, number)
    title_date: FoundDate | None  # the title's date, read once for `title_place` and `names`


def find_title(
    tree: LexborHTMLParser,
    root: LexborNode,
    blocks: list[Block],
    profile: SiteProfile,
    rules: DropRules,
) -> str | None:
    """The printed title inside the content root, else the page's own `<title>`."""
    for selector in profile.title:
        # The first match is nearly always the title: the search for all the others (the
        # rest of the page) is made only when it is boilerplate or empty.
        first = root.css_first(selector)
        if first is None:
            continue
        text = _printed_title(first, root, rules)
        if text:
            return text
        for node in root.css(selector)[1:]:
            text = _printed_title(node, root, rules)
            if text:
                return text
    page_title = _page_title(tree)
    if not page_title:
        return None
    for block in blocks:
        if len(block.text) >= 15 and page_title.startswith(block.text):
            return block.text
    return page_title


def _printed_title(node: LexborNode, root: LexborNode, rules: DropRules) -> str:
    """The node's text, or "" when it sits in boilerplate."""
    if rules.inside_dropped(node, root):
        return ""
    return normalise(node.text(deep=True, separator=" "))


def _page_title(tree: LexborHTMLParser) -> str | None:
    for selector in ('meta[property="og:title"]', 'meta[name="title"]'):
        node = tree.css_first(selector)
        if node is not None:
            content = normalise(node.attributes.get("content") or "")
            if content:
                return content
    node = tree.css_first("title")
    if node is None:
        return None
    text = normalise(node.text())
    # "Title - Site name" / "Title | Site name": keep the part before the site's name.
    return re.split(r"\s+[|–—-]\s+(?=[^|–—-]+$)", text)[0] if text else None


def read_head(
    blocks: list[Block],
    title: str,
    profile: SiteProfile,
    root: LexborNode,
    paths: tuple[str, ...] = (),
) -> Head:
    """The head facts; `paths` (the page's URL and markup) give a year to a title without one."""
    title_index = next((i for i, b in enumerate(blocks) if b.text == title), None)
    anchor = title_index if title_index is not None else 0
    window = range(
        max(0, anchor - _HEAD_WINDOW_BEFORE), min(len(blocks), anchor + _HEAD_WINDOW_AFTER + 1)
    )
    last = anchor
    date_text = _selected_text(root, profile.date)
    title_found = find_title_date(title) or _title_date_without_year(title, paths)
    found, date_index = _date_from_blocks(
        blocks,
        window,
        title_index,
        title_found if title_index is not None else None,
        profile,
        date_text,
    )
    if date_index is not None:
        last = max(last, date_index)
    number = _selected_text(root, profile.document_number)
    number_index = None
    if number is None or not _DOCUMENT_NUMBER.match(number):
        number = None
        for i in window:
            text = blocks[i].text
            if text[:1].isdigit() and _DOCUMENT_NUMBER.match(text):  # numbers open with a digit
                number, number_index = text, i
                break
    else:
        number_index = next((i for i in window if blocks[i].text == number), None)
    if number_index is not None:
        last = max(last, number_index)
    return Head(
        title=title,
        title_index=title_index,
        published=found.iso(profile.timezone) if found else None,
        document_number=number,
        last_index=last if title_index is not None or date_index is not None else -1,
        title_date=title_found,
    )


def _title_date_without_year(title: str, paths: tuple[str, ...]) -> FoundDate | None:
    """A title's `September 10` with the year of a date the page prints with that month and day
    (an image path, a link, its URL); None when none does: never the current year."""
    month_day = find_month_day(title)
    if month_day is None:
        return None
    year = year_from_paths(*month_day, paths)
    if year is None:
        return None
    return FoundDate(year, month_day[0], month_day[1], None, None, len(title), len(title))


def _selected_text(root: LexborNode, selectors: tuple[str, ...]) -> str | None:
    for selector in selectors:
        node = root.css_first(selector)
        if node is not None:
            text = normalise(node.text(deep=True, separator=" "))
            if text:
                return text
    return None


def _date_from_blocks(
    blocks: list[Block],
    window: range,
    title_index: int | None,
    title_date: FoundDate | None,
    profile: SiteProfile,
    selected: str | None,
) -> tuple[FoundDate | None, int | None]:
    """The date line's date (with its time, or the title's date with a time-only line)."""
    candidates: list[tuple[str, int | None]] = []
    if selected:
        candidates.append((selected, None))
    # Nearest blocks first: the line right below or above the title is the likeliest.
    ordered = sorted(
        (i for i in window if i != title_index), key=lambda i: abs(i - (title_index or 0))
    )
    candidates.extend((blocks[i].text, i) for i in ordered if blocks[i].tag != BREAK)
    for text, index in candidates:
        if _is_posting_date(text, profile):
            continue
        found = parse_date_line(text)
        if found is not None:
            if found.hour is None and index is not None and index + 1 < len(blocks):
                time = parse_time_only(blocks[index + 1].text)
                if time is not None:
                    return found.with_time(*time), index + 1
            return found, index if index is not None else _index_of(blocks, window, text)
        time = parse_time_only(text)
        if time is not None and title_date is not None:
            return title_date.with_time(*time), index if index is not None else _index_of(
                blocks, window, text
            )
    return title_date, None


def _index_of(blocks: list[Block], window: range, text: str) -> int | None:
    """The block that printed a selector's text (spacing may differ: spans glue, `text()` splits)."""
    squeezed = "".join(text.split())
    for i in window:
        block = "".join(blocks[i].text.split())
        if block and block in squeezed:
            return i
    return None


def _is_posting_date(text: str, profile: SiteProfile) -> bool:
    return text.casefold().startswith(casefolded(profile.posted_prefixes))


def title_date(title: str, timezone: str | None) -> str | None:
    found = find_trailing_date(title)
    return found.iso(timezone) if found else None


def title_place(title: str, found: FoundDate | None) -> str | None:
    """The place in a title shaped `Briefing by ... NAME, PLACE, DATE` (`found` is its date)."""
    if found is None:
        return None
    segments = [s.strip() for s in title[: found.start].rstrip(" ,").split(",") if s.strip()]
    if len(segments) < 2:
        return None
    return segments[-1] if _PLACE.match(segments[-1]) else None


def detect_language(html_lang: str | None, sample: str, profile: SiteProfile) -> str:
    """The language of the text (the language-identification library, among the languages of the
    label tables); when it cannot tell, Cyrillic text is Russian, else the page's `lang`, else the
    site's language.

    In the fallback, words are counted, not letters (the sample is the body's first sentences).
    """
    identified = identify(sample, profile.languages)
    if identified is not None:
        return identified
    # Counting words matters only when there is Cyrillic to outnumber the Latin ones.
    if not sample.isascii() and _ANY_CYRILLIC.search(sample) is not None:
        cyrillic = len(_CYRILLIC.findall(sample))
        latin = len(_LATIN.findall(sample))
        if cyrillic > latin:
            return "ru"
    code = (html_lang or "").split("-")[0].split("_")[0].strip().lower()
    if code and code != "ru" and len(code) == 2:
        return code
    return profile.language or "en"
