"""The page's own table of contents, found by its shape.

Shapes seen: a titled or untitled list of in-page links (`<ol>`/`<ul>`, flat or nested);
numbered paragraphs (`1. <a href="#1">`, Word's `1.&nbsp;&nbsp;&nbsp;Topic`); plain unnumbered
paragraphs under a title line. The answers header may sit anywhere among the items (its own
line, an item of the same list, a line inside the list). An untitled run of items is a TOC only
when its items link into the page or reappear later as headings, so a numbered list that opens
the text is never mistaken for one.
"""

from __future__ import annotations

from dataclasses import dataclass

from worker.extract.blocks import BREAK, Block
from worker.extract.markers import Markers, has_numbering, strip_numbering
from worker.extract.text import fold
from worker.record import Part

# Where the TOC's title may appear, counted in blocks after the page's head.
_TITLE_SEARCH = 3
_MAX_ITEM_CHARS = 400


# Not frozen: one is built per TOC line, and a frozen dataclass takes three times as long to
# build. Nothing changes an item once read.
@dataclass(slots=True)
class TocItem:
    part: Part
    heading: str
    target: str | None  # the in-page anchor the item links to
    folded: str | None = None  # `key()` once computed

    def key(self) -> str:
        """The heading folded, as `Block.key` folds a line; folded on first use and kept."""
        if self.folded is None:
            self.folded = fold(self.heading)
        return self.folded


@dataclass(frozen=True)
class Toc:
    items: tuple[TocItem, ...]
    first: int  # index of the TOC's first block (its title when it has one)
    end: int  # index of the first block after it


def find_toc(blocks: list[Block], start: int, markers: Markers) -> Toc:
    headings_later = _LaterHeadings(blocks)
    for title_at in range(start, min(len(blocks), start + _TITLE_SEARCH)):
        if markers.is_toc_title(blocks[title_at].text):
            toc = _read_items(blocks, title_at + 1, markers, headings_later, titled=True)
            if toc.items:
                return Toc(toc.items, title_at, toc.end)
    toc = _read_items(blocks, start, markers, headings_later, titled=False)
    if toc.items and _confirmed(toc, headings_later):
        return toc
    return Toc((), start, start)


class _LaterHeadings:
    """The last position of every heading-like block's text, to tell TOC lines from body.

    Built on first use: linked, listed or numbered items never need it, and folding every
    heading of the page is dear.
    """

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = blocks
        self.positions: dict[str, int] | None = None

    def last(self, key: str) -> int:
        """Where a heading folded to `key` last appears, or -1."""
        if self.positions is None:
            self.positions = {
                block.key(): i
                for i, block in enumerate(self.blocks)
                if block.bold or block.is_heading_tag
            }
        return self.positions.get(key, -1)


def _read_items(
    blocks: list[Block], start: int, markers: Markers, headings_later: _LaterHeadings, titled: bool
) -> Toc:
    items: list[TocItem] = []
    part: Part = "statements"
    structured: bool | None = None  # list items, numbers or links; else plain lines
    i = start
    while i < len(blocks):
        block = blocks[i]
        if block.tag == BREAK:
            break
        if markers.is_answers_header(block.text):
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            if (
                (items or titled)
                and following is not None
                and _is_item(following, i + 1, headings_later, structured)
            ):
                part = "answers"
                i += 1
                continue
            break
        if not _is_item(block, i, headings_later, structured):
            break
        if structured is None:
            structured = _is_structured(block)
        target = block.links[0] if block.links else None
        items.append(TocItem(part, strip_numbering(block.text), target))
        i += 1
    return Toc(tuple(items), start, i)


def _is_structured(block: Block) -> bool:
    return block.tag == "li" or bool(block.links) or has_numbering(block.text)


def _is_item(
    block: Block, index: int, headings_later: _LaterHeadings, structured: bool | None
) -> bool:
    """Whether `block` continues a TOC whose items so far are `structured` (None: no items yet).

    A TOC keeps its style: after numbered or linked items, a plain line is the body's start; a
    plain line is an item only when it reappears later as a heading and is no heading itself.
    """
    if len(block.text) > _MAX_ITEM_CHARS or block.offsite_links_only or block.tag == BREAK:
        return False
    if _is_structured(block):
        return structured is not False
    if structured or block.bold or block.is_heading_tag:
        return False
    return headings_later.last(block.key()) > index


def _confirmed(toc: Toc, headings_later: _LaterHeadings) -> bool:
    """An untitled run of items is a TOC when most items point into the page."""
    items = toc.items
    if len(items) < 2:
        return False
    if sum(1 for item in items if item.target) * 2 >= len(items):
        return True  # linked: whether they reappear as headings does not matter
    reappearing = sum(1 for item in items if headings_later.last(item.key()) >= toc.end)
    return reappearing * 2 >= len(items)
