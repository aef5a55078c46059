"""Pages that must never become records: empty bodies, anti-bot challenges, error pages.

Each raises `ExtractError` with a stable reason (`empty`, `challenge`, `not-a-briefing`) so the
pipeline logs a failure and retries later instead of storing a version of the wrong thing.
"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

from worker.errors import ExtractError
from worker.extract.blocks import Block
from worker.profiles import SiteProfile

# A challenge page is small; a real briefing that quotes such a phrase is not.
_CHALLENGE_BLOCKS = 12
_CHALLENGE_MAX_TEXT = 3000
# Less text than this is no briefing (a one-paragraph statement still has more).
_MIN_BODY_CHARS = 80


def refuse_empty(text: str, source: str | None) -> None:
    if not text.strip():
        raise ExtractError("empty", source, "the page has no content")


def refuse_challenge(
    blocks: list[Block], body: LexborNode, profile: SiteProfile, source: str | None
) -> None:
    """A page whose first lines show an anti-bot marker and that has little text besides.

    Only the first blocks are searched (the interstitial's message opens its page); when boilerplate
    removal left no blocks at all, the page's whole visible text is.
    """
    opening = (
        " ".join(block.text for block in blocks[:_CHALLENGE_BLOCKS]) if blocks else body.text()
    )
    folded = opening.casefold()
    found = [marker for marker in profile.challenge_markers if marker.casefold() in folded]
    if found and sum(len(block.text) for block in blocks) <= _CHALLENGE_MAX_TEXT:
        raise ExtractError("challenge", source, f"anti-bot page ({found[0]!r})")


def refuse_not_found(
    title: str | None, status: int, profile: SiteProfile, source: str | None
) -> str:
    """The title, unless the page is an error page served with 200 (or has no title)."""
    if status >= 400:
        raise ExtractError("not-a-briefing", source, f"HTTP status {status}")
    if not title:
        raise ExtractError("not-a-briefing", source, "no title found")
    folded = title.casefold()
    for marker in profile.not_found_markers:
        if folded == marker.casefold() or folded.startswith(marker.casefold()):
            raise ExtractError("not-a-briefing", source, f"error page ({title!r})")
    return title


def refuse_thin(body_chars: int, source: str | None) -> None:
    if body_chars < _MIN_BODY_CHARS:
        raise ExtractError("not-a-briefing", source, f"only {body_chars} characters of text")
