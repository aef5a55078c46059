"""Pages that must never become records: empty bodies, anti-bot challenges, error pages, and
listing, index and search pages (a run of short dated items and links).

Each raises `ExtractError` with a stable reason (`empty`, `challenge`, `not-a-briefing`) so the
pipeline logs a failure and retries later instead of storing a version of the wrong thing.
"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from worker.errors import ExtractError
from worker.extract.blocks import BREAK, Block
from worker.extract.dates import find_date
from worker.extract.text import casefolded
from worker.profiles import SiteProfile

# A challenge page is small; a real briefing that quotes such a phrase is not.
_CHALLENGE_BLOCKS = 12
_CHALLENGE_MAX_TEXT = 3000
# Less text than this is no briefing (a one-paragraph statement still has more).
_MIN_BODY_CHARS = 80


def refuse_empty(text: str, source: str | None) -> None:
    if not text or text.isspace():  # `strip` would copy the whole page
        raise ExtractError("empty", source, "the page has no content")


def refuse_challenge(
    blocks: list[Block], body: LexborNode, profile: SiteProfile, source: str | None
) -> None:
    """A page whose first lines show an anti-bot marker and that has little text besides.

    Only the first blocks are searched (the interstitial's message opens its page); when boilerplate
    removal left no blocks at all, the page's whole visible text is.
    """
    if _more_text_than(blocks, _CHALLENGE_MAX_TEXT):
        return  # too much text for an interstitial, whatever it says (spares folding it)
    opening = (
        " ".join(block.text for block in blocks[:_CHALLENGE_BLOCKS]) if blocks else body.text()
    )
    folded = opening.casefold()
    markers = profile.challenge_markers
    found = [m for m, key in zip(markers, casefolded(markers), strict=True) if key in folded]
    if found:
        raise ExtractError("challenge", source, f"anti-bot page ({found[0]!r})")


def _more_text_than(blocks: list[Block], limit: int) -> bool:
    """Whether the blocks hold more than `limit` characters (counted until they do)."""
    chars = 0
    for block in blocks:
        chars += len(block.text)
        if chars > limit:
            return True
    return False


def refuse_not_found(
    title: str | None, status: int, profile: SiteProfile, source: str | None
) -> str:
    """The title, unless the page is an error page served with 200 (or has no title)."""
    if status >= 400:
        raise ExtractError("not-a-briefing", source, f"HTTP status {status}")
    if not title:
        raise ExtractError("not-a-briefing", source, "no title found")
    # Starting with a marker covers being one.
    if title.casefold().startswith(casefolded(profile.not_found_markers)):
        raise ExtractError("not-a-briefing", source, f"error page ({title!r})")
    return title


def refuse_thin(blocks: list[Block], source: str | None) -> None:
    """A body with less text than a one-paragraph statement (counted until there is enough)."""
    chars = 0
    for block in blocks:
        if block.tag != BREAK:
            chars += len(block.text)
            if chars >= _MIN_BODY_CHARS:
                return
    raise ExtractError("not-a-briefing", source, f"only {chars} characters of text")


# A listing, an index or a search page is a run of items, each a short text with its own date
# (mid.ru's "13.06.2024 15:40" above each link, globalsecurity's "... TASS 24 Nov 2020 -- ...").
# A briefing mentions dates too, but in a few of its paragraphs, not in most of its text.
_ITEM_MAX_CHARS = 400  # an item of a listing: a title, a source, a date, a line of summary
_MIN_ITEMS = 5  # dated items, with distinct dates, before a page can be a listing
_ITEM_SHARE = 0.5  # of the page's text in dated items and in blocks that are only links


def refuse_listing(blocks: list[Block], source: str | None) -> None:
    """A page most of whose text is short dated items and links to other pages."""
    total = 0
    in_items = 0
    dates: set[str] = set()
    for block in blocks:
        if block.tag == BREAK:
            continue
        size = len(block.text)
        total += size
        if block.offsite_links_only:
            in_items += size
        elif size <= _ITEM_MAX_CHARS:
            found = find_date(block.text)
            if found is not None:
                in_items += size
                dates.add(found.iso(None)[:10])
    if len(dates) >= _MIN_ITEMS and in_items >= _ITEM_SHARE * total:
        raise ExtractError(
            "not-a-briefing",
            source,
            f"a listing or index page ({len(dates)} dated items make"
            f" {100 * in_items // max(total, 1)}% of its text)",
        )
