"""Dates as briefing pages print them, to ISO 8601.

Seen forms: `5 November 2020 18:48`, glued `5 November 202018:48` (a date and a time element
with no space between), `5 ноября 2020 года`, `November 5, 2020`, `June12, 2018` (no space after
the month), `05.11.2020 18:48`, `2020-11-05T18:48`, `2016年11月15日`, and a line with only a time
(`15:23`) that takes its date from the title. A title without a year (`... on September 10`)
takes it from a date the page prints elsewhere (`year_from_paths`), never from the clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan январь января янв janvier janv januar jän enero ene janeiro",
        "february feb февраль февраля фев février févr februar febrero fevereiro fev",
        "march mar март марта мар mars märz marzo março",
        "april apr апрель апреля апр avril abril",
        "may май мая mai mayo maio",
        "june jun июнь июня июн juin juni junio junho",
        "july jul июль июля июл juillet juil juli julio julho",
        "august aug август августа авг août august agosto",
        "september sep sept сентябрь сентября сен сент septembre september septiembre setembro set",
        "october oct октябрь октября окт octobre oktober okt octubre outubro out",
        "november nov ноябрь ноября ноя novembre noviembre novembro",
        "december dec декабрь декабря дек décembre dezember dez diciembre dic dezembro",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

# Possessive: a month is always followed by a dot or a space, never by a letter, so giving back
# letters cannot help a match and the search is spared trying it at every letter of a title.
_MONTH = r"(?P<month>[^\W\d_]{3,10}+)\.?"
_TIME = r"(?:\D{0,4}?(?P<hour>[01]?\d|2[0-3])[:.](?P<minute>[0-5]\d)(?!\d))?"
_YEAR_WORD = r"(?:\s*(?:года|год|г\.))?"

_PATTERNS = (
    # 5 November 2020, 5 ноября 2020 года, 5 de noviembre de 2020; the time may be glued on.
    re.compile(
        rf"(?P<day>[0-3]?\d)\.?\s+(?:de\s+)?{_MONTH}\s+(?:de\s+)?(?P<year>(?:19|20)\d\d){_YEAR_WORD}{_TIME}",
        re.IGNORECASE,
    ),
    # November 5, 2020; June12, 2018
    re.compile(
        rf"{_MONTH}\s*(?P<day>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d){_TIME}",
        re.IGNORECASE,
    ),
    # 05.11.2020 or 05/11/2020 (day first, as the ministry writes it)
    re.compile(rf"(?P<day>[0-3]?\d)[./](?P<mnum>[01]?\d)[./](?P<year>(?:19|20)\d\d){_TIME}"),
    # 2020-11-05 or 2020-11-05T18:48
    re.compile(rf"(?P<year>(?:19|20)\d\d)-(?P<mnum>[01]\d)-(?P<day>[0-3]\d){_TIME}"),
    # 2016年11月15日 (Chinese and Japanese)
    re.compile(
        rf"(?P<year>(?:19|20)\d\d)\s*年\s*(?P<mnum>[01]?\d)\s*月\s*(?P<day>[0-3]?\d)\s*日{_TIME}"
    ),
)
# Where a form can first match, found by searches that skip ahead by a character class (the forms
# themselves open with an optional part, so a search tries them at every character). Every form
# has a year; all but the month-first form open with a digit; that one's month (10 letters and a
# dot at most) stands right before the spaces in front of the day.
_YEAR = re.compile(r"(?:19|20)\d\d")
_DIGIT = re.compile(r"\d")
_AFTER_MONTH = re.compile(r"\s*[0-3]?\d(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d", re.IGNORECASE)
_MONTH_FIRST = _PATTERNS[1]
_MONTH_CHARS = 11
_TIME_ONLY = re.compile(r"^\s*(?P<hour>[01]?\d|2[0-3])[:.](?P<minute>[0-5]\d)\s*$")
# What may stand beside a date on a date line without making it a sentence.
_DATE_LINE_REST = re.compile(r"^[\W\d_]*(?:[^\W\d_]{2,12}[\W\d_]*){0,2}$")


# Not frozen: one is built for every date-shaped match, and a frozen dataclass takes three times
# as long to build. Nothing changes a date once found (`with_time` makes a new one).
@dataclass(slots=True)
class FoundDate:
    year: int
    month: int
    day: int
    hour: int | None
    minute: int | None
    start: int
    end: int

    def iso(self, timezone: str | None) -> str:
        date = f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.hour is None or self.minute is None:
            return date
        return f"{date}T{self.hour:02d}:{self.minute:02d}:00{timezone or ''}"

    def with_time(self, hour: int, minute: int) -> FoundDate:
        return FoundDate(self.year, self.month, self.day, hour, minute, self.start, self.end)


def find_date(text: str) -> FoundDate | None:
    """The first valid date in `text`, with its time when one follows it."""
    digit = _first_digit(text)
    if digit is None:
        return None
    best: FoundDate | None = None
    for pattern in _PATTERNS:
        if best is not None and best.start == 0:
            break  # no form can start earlier
        for match in _matches(pattern, text, digit):
            if best is not None and match.start() >= best.start:
                break  # this form's later matches start later still
            found = _build(match)
            if found is not None:
                best = found
                break
    return best


def _first_digit(text: str) -> int | None:
    """Where the first digit is, when `text` has a year at all (most lines have none)."""
    if _YEAR.search(text) is None:
        return None
    digit = _DIGIT.search(text)
    return digit.start() if digit else None


def _matches(pattern: re.Pattern[str], text: str, digit: int) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)`, started where a match can first begin (`digit` is the first)."""
    if pattern is not _MONTH_FIRST:
        return pattern.finditer(text, digit)
    after = _AFTER_MONTH.search(text)
    if after is None:
        return iter(())
    return pattern.finditer(text, max(0, after.start() - _MONTH_CHARS))


def _build(match: re.Match[str]) -> FoundDate | None:
    groups = match.groupdict()
    month = _MONTHS.get(groups["month"].casefold()) if groups.get("month") else int(groups["mnum"])
    day, year = int(groups["day"]), int(groups["year"])
    if month is None or not 1 <= month <= 12 or not 1 <= day <= _days_in(year, month):
        return None
    hour = int(groups["hour"]) if groups.get("hour") else None
    minute = int(groups["minute"]) if groups.get("minute") else None
    return FoundDate(year, month, day, hour, minute, match.start(), match.end())


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse_time_only(text: str) -> tuple[int, int] | None:
    match = _TIME_ONLY.match(text)
    return (int(match.group("hour")), int(match.group("minute"))) if match else None


def parse_date_line(text: str) -> FoundDate | None:
    """A date when `text` is a date line (a date, maybe a time and a weekday), not a sentence."""
    if len(text) > 60:
        return None
    found = find_date(text)
    if found is None:
        return None
    rest = text[: found.start] + " " + text[found.end :]
    return found if _DATE_LINE_REST.match(rest) else None


def find_trailing_date(text: str) -> FoundDate | None:
    """A date that ends `text` (as in a title `..., Moscow, November 5, 2020`)."""
    digit = _first_digit(text)
    if digit is None:
        return None
    found = None
    for pattern in _PATTERNS:
        for match in _matches(pattern, text, digit):
            candidate = _build(match)
            if candidate is not None and not text[candidate.end :].strip(" .,)"):
                found = candidate
    return found


# A month and day that end a title with no year: `on September 10`, `10 сентября`.
_MONTH_DAY_END = (
    re.compile(rf"{_MONTH}\s*(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\W*$", re.IGNORECASE),
    re.compile(rf"(?P<day>[0-3]?\d)\s+{_MONTH}\W*$", re.IGNORECASE),
)
# Dates in paths and file names: `W020180910...` (fmprc's images), `/2018/09/10/`, `2018-09-10`.
# (TRS, the CMS of China's ministries, names files `W0` and the date: a digit may precede there.)
_PATH_DATE = re.compile(r"(?:(?<!\d)|(?<=[A-Za-z]0))((?:19|20)\d\d)([-/_]?)([01]\d)\2([0-3]\d)")


def find_month_day(text: str) -> tuple[int, int] | None:
    """(month, day) when `text` ends in a date without a year."""
    for pattern in _MONTH_DAY_END:
        match = pattern.search(text)
        if match is None:
            continue
        month = _MONTHS.get(match.group("month").casefold())
        day = int(match.group("day"))
        if month is not None and 1 <= day <= 31:
            return month, day
    return None


def year_from_paths(month: int, day: int, texts: tuple[str, ...]) -> int | None:
    """The year of the first date in `texts` (the page's URL, its markup) on that month and day."""
    for text in texts:
        for match in _PATH_DATE.finditer(text):
            if int(match.group(3)) == month and int(match.group(4)) == day:
                return int(match.group(1))
    return None


def find_title_date(title: str) -> FoundDate | None:
    """The date that ends the title or, as Chinese titles print it, opens it."""
    found = find_trailing_date(title)
    if found is not None:
        return found
    leading = find_date(title)
    return leading if leading is not None and leading.start == 0 else None
