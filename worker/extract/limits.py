"""Bounded work per page: what the extract stage refuses before it parses.

lexbor's tree builder does work that grows with the square of some inputs: every start tag
checks the stack of open elements (a page of 30,000 nested `<div>`s takes 4 s, 1,000,000 never
end), and every attribute is compared with the tag's others (50,000 on one tag take 34 s). So
one linear scan over the page's tags runs first and refuses, as `ExtractError` with the reason
`too-complex`, a page past any of these limits:

    MAX_CHARS        20,000,000  characters: the fetcher's byte cap, for pages not fetched
    MAX_TAGS            400,000  `<` characters, start and end tags (a long briefing: 5,000-12,000)
    MAX_DEPTH             1,000  elements open at once, estimated as HTML closes them
                                 (real pages: 10-40)
    MAX_ATTRIBUTES        1,000  attributes on one tag (real pages: under 20)
    MAX_SECONDS            10.0  for the whole extract, checked after the scan and the walk

The depth is estimated without parsing: void elements and elements whose end tag HTML may leave
out (`p`, `li`, `td`...) are not counted, and an end tag closes every element opened after the
one it names, as the parser does. With these limits the parse of any page stays well under a
second, and the walk over the tree (`blocks.flatten`) uses a stack, not recursion, so no depth
can raise `RecursionError`.
"""

from __future__ import annotations

import re
import time
from itertools import islice

from worker.errors import ExtractError

MAX_CHARS = 20_000_000
MAX_TAGS = 400_000
MAX_DEPTH = 1_000
MAX_ATTRIBUTES = 1_000
MAX_SECONDS = 10.0
WALK_STARTS = 2_500

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
# A tag long enough to hold more than MAX_ATTRIBUTES attributes (each takes two characters).
_LONG_TAG = re.compile(rf"<[A-Za-z][^>]{{{2 * MAX_ATTRIBUTES},}}>?")
_ATTRIBUTE = re.compile(r"[^\s=/]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]*))?")
# Elements that never hold others, or whose end tag may be left out (the parser closes them
# when a sibling starts): neither nests deeper by being left open.
_NOT_NESTING = frozenset(
    "area base br col embed hr img input link meta param source track wbr keygen basefont "
    "bgsound frame image isindex spacer "
    "p li dt dd tr td th tbody thead tfoot option optgroup colgroup caption rb rt rp rtc "
    "html head body".split()
)
# Raw text: their content is not markup (a script's `"<div>"` string opens nothing).
_RAW_TEXT = frozenset(
    ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes")
)


def check_size(text: str, source: str | None) -> float:
    """Refuse a page past the limits (see the module); the time the check started."""
    started = time.monotonic()
    if len(text) > MAX_CHARS:
        _refuse(source, f"{len(text)} characters, over the limit of {MAX_CHARS}")
    for long_tag in _LONG_TAG.finditer(text):
        attributes = _ATTRIBUTE.finditer(long_tag.group(), 1)
        if next(islice(attributes, MAX_ATTRIBUTES, None), None) is not None:
            _refuse(source, f"more than {MAX_ATTRIBUTES} attributes on one element")
    tags = text.count("<")  # counted in C before any list of tags is made
    if tags > MAX_TAGS:
        _refuse(source, f"more than {MAX_TAGS} tags")
    # Fewer start tags than this cannot nest deep enough to cost the parser anything (with the
    # elements HTML implies, at most ~4 times as deep: 10,000 levels parse in 0.4 s), and walking
    # the tags in Python costs ~15% of an extract: real pages (at most ~1,000 start tags) skip it.
    if tags - text.count("</") > WALK_STARTS:
        _check_depth(_TAG.findall(text), source)
    return started


def _check_depth(tags: list[tuple[str, str]], source: str | None) -> None:
    open_names: list[str] = []
    open_count = dict.fromkeys(_NOT_NESTING, 0)
    raw_until: str | None = None
    for closing, tag in tags:
        name = tag.lower()
        if raw_until is not None:
            if closing and name == raw_until:
                raw_until = None
        elif closing:
            if open_count.get(name):
                # The parser closes every element opened after the one this end tag names.
                while True:
                    last = open_names.pop()
                    open_count[last] -= 1
                    if last == name:
                        break
        elif name in _RAW_TEXT:
            raw_until = name
        elif name not in _NOT_NESTING:
            open_names.append(name)
            open_count[name] = open_count.get(name, 0) + 1
            if len(open_names) > MAX_DEPTH:
                _refuse(source, f"elements nested more than {MAX_DEPTH} deep")


def check_time(started: float, source: str | None) -> None:
    """Refuse a page whose extract has taken longer than `MAX_SECONDS` so far."""
    spent = time.monotonic() - started
    if spent > MAX_SECONDS:
        _refuse(source, f"took {spent:.1f} s, over the limit of {MAX_SECONDS:g} s")


def _refuse(source: str | None, detail: str) -> None:
    raise ExtractError("too-complex", source, detail)
