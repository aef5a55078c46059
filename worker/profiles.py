"""Site profiles: what the worker knows about one site, as data in `config/sites/*.toml`.

`generic.toml` holds the rules every page gets (boilerplate selectors, answers-part headers,
labels, challenge and not-found markers). A site profile (`mid.ru.toml`, `globalsecurity.toml`)
adds to those lists and sets its own hosts, content roots, time zone and listing rules. The
profile for a page is chosen by the URL's host; a source's `site` or `--site` overrides it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from worker import urls
from worker.config import Table, read_toml
from worker.errors import BadURL, ConfigError

GENERIC = "generic"

# Keys whose lists a site profile appends to the generic profile's lists.
_LIST_KEYS = (
    "roots",
    "drop",
    "drop_lines",
    "drop_patterns",
    "title",
    "date",
    "document_number",
    "answers_headers",
    "toc_titles",
    "question_words",
    "posted_prefixes",
    "challenge_markers",
    "not_found_markers",
)
_KNOWN_KEYS = {"name", "hosts", "timezone", "language", "listing", "labels", *_LIST_KEYS}
_LISTING_KEYS = {"items", "link", "date", "next", "numbered"}
# The lists of one language's `[labels.xx]` table; a site's lists add to the generic ones.
_LABEL_KEYS = (
    "question",
    "answer",
    "spaced",
    "honorifics",
    "job_titles",
    "name_ends",
    "oblique_openers",
)


@dataclass(frozen=True)
class LabelWords:
    """One language's label words (`[labels.xx]` in a profile): data, so that a site in another
    language needs a table, not code."""

    language: str  # ISO 639-1
    question: tuple[str, ...] = ()  # label names of a question: `Q`, `Вопрос`, `问`, `Follow-up`
    answer: tuple[str, ...] = ()  # label names of an answer that name nobody: `A`, `答`
    spaced: tuple[str, ...] = ()  # label names printed without colon, before spaces (`Q`)
    honorifics: tuple[str, ...] = ()  # `MR.`: a label of honorific and surname names nobody fully
    job_titles: tuple[str, ...] = ()  # words before a name in a title (`Spokesperson`, `发言人`)
    name_ends: tuple[str, ...] = ()  # words after a name in a title without spaces (`主持`)
    # Words that open a title whose names stand in an oblique case (`Брифинг`, `Ответы`).
    oblique_openers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListingRules:
    """How to read a listing page: where its items, links and next page are."""

    link: str  # CSS selector of briefing links (inside `items` when given)
    items: str | None = None  # CSS selector of the list items of the main list
    date: str | None = None  # CSS selector of an item's date, inside the item
    next: str | None = None  # CSS selector of the link to the next (older) listing page
    # Without a next link: later pages are files beside the first, `{n}` from 1 ("default_{n}.shtml")
    numbered: str | None = None


@dataclass(frozen=True)
class SiteProfile:
    name: str
    hosts: tuple[str, ...]
    timezone: str | None  # UTC offset such as "+03:00" for the site's printed times
    language: str | None  # the site's language when a page does not say
    roots: tuple[str, ...]  # CSS selectors of the content root, most specific first
    drop: tuple[str, ...]  # CSS selectors of boilerplate elements
    drop_lines: frozenset[str]  # exact boilerplate lines, compared case-folded
    drop_patterns: tuple[re.Pattern[str], ...]  # boilerplate lines by pattern
    title: tuple[str, ...]  # CSS selectors of the title, tried before the generic search
    date: tuple[str, ...]  # CSS selectors of the date line
    document_number: tuple[str, ...]  # CSS selectors of the document number
    answers_headers: tuple[str, ...]  # lines that open the answers part (no colon needed)
    toc_titles: tuple[str, ...]  # title lines of a table of contents
    question_words: tuple[str, ...]  # label names that mark a question ("Question", "Вопрос")
    posted_prefixes: tuple[str, ...]  # a republisher's own posting-date lines start so
    challenge_markers: tuple[str, ...]  # text of anti-bot interstitials
    not_found_markers: tuple[str, ...]  # titles of error pages served with 200
    listing: ListingRules | None = None
    labels: tuple[LabelWords, ...] = ()  # label words by language, generic and site merged
    # All `drop_patterns` as one pattern, so a line is matched once (derived, not configured).
    drop_pattern: re.Pattern[str] | None = field(init=False, compare=False)
    # Each label list of all languages joined, asked for on every page (derived).
    label_lists: dict[str, tuple[str, ...]] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        pattern = (
            re.compile("|".join(f"(?:{p.pattern})" for p in self.drop_patterns), re.IGNORECASE)
            if self.drop_patterns
            else None
        )
        # A frozen dataclass sets its derived field through object.__setattr__.
        object.__setattr__(self, "drop_pattern", pattern)
        lists = {
            key: tuple(word for words in self.labels for word in getattr(words, key))
            for key in _LABEL_KEYS
        }
        object.__setattr__(self, "label_lists", lists)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the label tables know: the candidates of language identification."""
        return tuple(words.language for words in self.labels)

    def label_words(self, key: str) -> tuple[str, ...]:
        """One list (`question`, `answer`, ...) of every language's table, in table order."""
        return self.label_lists[key]

    def matches_host(self, host: str) -> bool:
        # Subdomains too: a profile's hosts only choose parsing rules, they bound no request.
        return urls.host_matches(host, self.hosts, subdomains=True)


@dataclass(frozen=True)
class Profiles:
    """All loaded profiles; the generic one is always present."""

    by_name: dict[str, SiteProfile]

    @property
    def names(self) -> set[str]:
        return set(self.by_name)

    def get(self, name: str) -> SiteProfile:
        try:
            return self.by_name[name]
        except KeyError:
            known = ", ".join(sorted(self.by_name))
            raise ConfigError("--site", name, f"unknown site profile (known: {known})") from None

    def for_url(self, url: str | None) -> SiteProfile:
        try:
            host = urls.host_of(url) if url else None
        except BadURL:
            host = None  # not a web address: the generic rules read it
        if host:
            for profile in self.by_name.values():
                if profile.name != GENERIC and profile.matches_host(host):
                    return profile
        return self.by_name[GENERIC]

    def choose(self, url: str | None, site: str | None) -> SiteProfile:
        return self.get(site) if site else self.for_url(url)


def default_sites_dir() -> Path:
    """The profiles shipped with the worker: in the wheel, or in the source checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_bundled_config" / "sites", package.parent / "config" / "sites"):
        if candidate.is_dir():
            return candidate
    raise ConfigError(
        str(package.parent / "config" / "sites"), "(directory)", "site profiles not found"
    )


def load_profiles(sites_dir: Path | None = None) -> Profiles:
    sites_dir = sites_dir or default_sites_dir()
    raw: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted(sites_dir.glob("*.toml")):
        data = read_toml(path)
        name = Table(data, str(path), "").required_str("name")
        raw[name] = (path, data)
    if GENERIC not in raw:
        raise ConfigError(
            str(sites_dir / "generic.toml"), "(file)", "the generic profile is missing"
        )
    generic_path, generic = raw[GENERIC]
    profiles = {GENERIC: _build(generic_path, generic, None)}
    for name, (path, data) in raw.items():
        if name != GENERIC:
            profiles[name] = _build(path, data, generic)
    return Profiles(by_name=profiles)


def _build(path: Path, data: dict[str, Any], base: dict[str, Any] | None) -> SiteProfile:
    table = Table(data, str(path), "")
    table.check_known(_KNOWN_KEYS)
    inherited = Table(base or {}, str(path), "")
    lists: dict[str, tuple[str, ...]] = {}
    for key in _LIST_KEYS:
        # Site rules come first so that a site's own selectors win over generic guesses.
        lists[key] = table.strings(key, ()) + inherited.strings(key, ())
    patterns = []
    for i, pattern in enumerate(lists["drop_patterns"]):
        try:
            patterns.append(re.compile(pattern, re.IGNORECASE))
        except re.error as error:
            raise ConfigError(
                str(path), f"drop_patterns[{i}]", f"not a regular expression: {error}"
            ) from None
    timezone = table.get("timezone", str, None)
    if timezone is not None and not re.fullmatch(r"[+-]\d\d:\d\d", timezone):
        raise ConfigError(
            str(path), "timezone", f"expected a UTC offset such as '+03:00', got {timezone!r}"
        )
    return SiteProfile(
        name=table.required_str("name"),
        hosts=tuple(h.lower() for h in table.strings("hosts", ())),
        timezone=timezone,
        language=table.get("language", str, None),
        roots=lists["roots"],
        drop=lists["drop"],
        drop_lines=frozenset(line.casefold() for line in lists["drop_lines"]),
        drop_patterns=tuple(patterns),
        title=lists["title"],
        date=lists["date"],
        document_number=lists["document_number"],
        answers_headers=lists["answers_headers"],
        toc_titles=lists["toc_titles"],
        question_words=lists["question_words"],
        posted_prefixes=lists["posted_prefixes"],
        challenge_markers=lists["challenge_markers"],
        not_found_markers=lists["not_found_markers"],
        listing=_listing(table),
        labels=_labels(table, inherited),
    )


def _labels(site: Table, generic: Table) -> tuple[LabelWords, ...]:
    """The `[labels.xx]` tables, the site's lists before the generic ones of the same language."""
    tables: dict[str, list[Table]] = {}
    for source in (site, generic):
        if "labels" not in source.data:
            continue
        languages = Table(source.data["labels"], source.where, "labels")
        for language in languages.data:
            table = Table(languages.data[language], source.where, f"labels.{language}")
            table.check_known(set(_LABEL_KEYS))
            tables.setdefault(language, []).append(table)
    return tuple(
        LabelWords(
            language,
            **{key: sum((t.strings(key, ()) for t in found), ()) for key in _LABEL_KEYS},
        )
        for language, found in tables.items()
    )


def _listing(profile: Table) -> ListingRules | None:
    if "listing" not in profile.data:
        return None
    table = Table(profile.data["listing"], profile.where, "listing")
    table.check_known(_LISTING_KEYS)
    return ListingRules(
        link=table.required_str("link"),
        items=table.get("items", str, None),
        date=table.get("date", str, None),
        next=table.get("next", str, None),
        numbered=_numbered(table),
    )


def _numbered(table: Table) -> str | None:
    value = table.get("numbered", str, None)
    if value is not None and (value.count("{n}") != 1 or "/" in value):
        raise ConfigError(
            table.where, table.key("numbered"), f"expected a file name with one {{n}}: {value!r}"
        )
    return value
