"""Clean a parsed page and flatten its content into a list of text blocks.

lexbor's `text()` glues block boundaries and drops `<br>`, so paragraphs are rebuilt here: one
walk over the content root emits a `Block` for every run of inline content between block
boundaries, with the facts later steps need (which tag holds it, list depth, whether all of it
is bold, the anchors it defines and the in-page links it holds). Boilerplate lines become
`BREAK` blocks: "Back to top" links separate exchanges on some sites, and that is worth keeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

from worker.extract.boilerplate import DropRules
from worker.extract.markers import strip_numbering
from worker.extract.text import fold, normalise
from worker.profiles import SiteProfile

BREAK = "break"

_BLOCK_TAGS = frozenset(
    "p div section article main li ul ol h1 h2 h3 h4 h5 h6 table tbody thead tfoot tr td th "
    "blockquote dl dt dd pre center figure figcaption hr address details summary body html".split()
)
_HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_BOLD_TAGS = frozenset(("b", "strong"))
_LIST_TAGS = frozenset(("ul", "ol"))
# Boilerplate lines are short; longer text is never compared with them.
_MAX_BOILERPLATE_CHARS = 200
# Tags whose direct text is a single paragraph even when it contains a <br>.
_PARAGRAPH_TAGS = frozenset(("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd"))


@dataclass(slots=True)
class Block:
    text: str
    tag: str
    lines: list[str]  # the text split at line breaks, for tags that hold several paragraphs
    bold: bool = False  # every visible character is bold
    bold_prefix: str = ""  # the bold text the block starts with (a label such as "Question")
    list_depth: int = 0
    anchors: list[str] = field(default_factory=list)  # names and ids defined in the block
    links: list[str] = field(default_factory=list)  # in-page link targets (#x → x)
    offsite_links_only: bool = False  # all its text is links to other pages (menus, news lists)
    folded: str | None = None  # `key()` once computed

    @property
    def is_heading_tag(self) -> bool:
        return self.tag in _HEADING_TAGS

    def key(self) -> str:
        """The text folded without its numbering: what TOC lines and headings are matched by.

        The TOC and the body both ask for it, so it is folded on first use and kept.
        """
        if self.folded is None:
            self.folded = fold(strip_numbering(self.text))
        return self.folded


@lru_cache(maxsize=32)
def _longest(lines: frozenset[str]) -> int:
    """The length of a profile's longest boilerplate line."""
    return max(map(len, lines), default=0)


def content_root(tree: LexborHTMLParser, profile: SiteProfile) -> LexborNode | None:
    for selector in profile.roots:
        node = tree.css_first(selector)
        if node is not None:
            return node
    return tree.body


class _Flattener:
    """One walk over the content root; inline content accumulates in `parts` until a boundary."""

    def __init__(self, profile: SiteProfile, rules: DropRules) -> None:
        self.drop_lines = profile.drop_lines
        self.max_drop_line = _longest(profile.drop_lines)
        self.drop_pattern = profile.drop_pattern
        self.rules = rules
        self.skip_tags = rules.tags
        self.block_tags = _BLOCK_TAGS - rules.tags  # boilerplate block tags are skipped below
        self.blocks: list[Block] = []
        self.pending_anchors: list[str] = []
        # The current run; `parts` is cleared in place, never replaced.
        self.parts: list[str] = []
        self.prefix: list[str] = []  # bold text before the first plain text
        self.plain_seen = False
        self.bold_seen = False
        self.anchors: list[str] = []
        self.links: list[str] = []
        self.offsite = 0  # characters inside links to other pages
        self.links_only_seen = False  # whether any block is only links (see `drop_link_lists`)
        # Whether the elements whose only attribute is this class are boilerplate: pages repeat
        # a few classes (`MsoNormal`) on most paragraphs, and matching fragments is dear.
        self.dropped_classes: dict[str, bool] = {}

    def flush(self, tag: str, depth: int) -> None:
        """End the current run: emit its block and start the next run afresh."""
        parts = self.parts
        if not parts:
            # An anchor with no text of its own marks the block that follows it.
            if self.anchors:
                self.pending_anchors.extend(self.anchors)
                self.anchors = []
            return
        raw = parts[0] if len(parts) == 1 else "".join(parts)
        parts.clear()
        prefix = "".join(self.prefix) if self.prefix else ""
        bold = self.bold_seen and not self.plain_seen
        self._emit(raw, tag, depth, bold, prefix, self.anchors, self.links, self.offsite)
        if self.prefix:
            self.prefix = []
        self.plain_seen = self.bold_seen = False
        self.anchors = []
        self.links = []
        self.offsite = 0

    def _emit(
        self,
        raw: str,
        tag: str,
        depth: int,
        bold: bool,
        prefix: str,
        anchors: list[str],
        links: list[str],
        offsite: int,
    ) -> None:
        """The block of one run of text as printed (`raw`), or a break when it is boilerplate.

        `prefix` is its leading bold text, `offsite` how many of its characters link elsewhere.
        """
        if "\n" not in raw:
            text = normalise(raw)
            lines = [text] if text else []
        else:
            separator = "\n\n" if tag in _PARAGRAPH_TAGS else "\n"
            lines = [line for line in map(normalise, raw.split(separator)) if line]
            text = " ".join(lines)
        if self.pending_anchors:
            anchors = self.pending_anchors + anchors
            self.pending_anchors = []
        if not lines:
            self.pending_anchors = anchors
        elif len(text) <= _MAX_BOILERPLATE_CHARS and self._is_boilerplate(text):
            self.blocks.append(Block(text, BREAK, []))
        else:
            if not prefix:
                bold_prefix = ""
            elif prefix == raw and "\n" not in raw:
                bold_prefix = text  # all bold (a heading): no second normalising
            else:
                bold_prefix = normalise(prefix)
            links_only = offsite > 0 and offsite >= len(raw.strip())
            if links_only:
                self.links_only_seen = True
            self.blocks.append(
                Block(text, tag, lines, bold, bold_prefix, depth, anchors, links, links_only)
            )

    def _is_boilerplate(self, text: str) -> bool:
        # Case folding never shortens a text, so a line longer than all listed lines is none.
        if len(text) <= self.max_drop_line and text.casefold() in self.drop_lines:
            return True
        return self.drop_pattern is not None and self.drop_pattern.fullmatch(text) is not None

    def dropped(self, attrs: dict[str, str | None]) -> bool:
        """`DropRules.drops`, remembered for the elements whose only attribute is a class."""
        classes = attrs.get("class") if len(attrs) == 1 else None
        if classes is None:
            return self.rules.drops(attrs)
        known = self.dropped_classes.get(classes)
        if known is None:
            known = self.dropped_classes[classes] = self.rules.drops(attrs)
        return known

    def visit(self, node: LexborNode, bold: bool, tag: str, depth: int) -> None:
        # A stack of the elements being walked, not recursion: a page may nest elements deeper
        # than Python's recursion limit. A frame is what to resume in the parent (its next
        # child, bold, tag, depth) and what to do once the child is done (`_Exit`).
        parts = self.parts
        stack: list[tuple[LexborNode | None, bool, str, int, _Exit | None]] = []
        on_exit: _Exit | None = None
        # Sibling links rather than `node.iter()`: a generator per element costs more.
        following = node.first_child
        while True:
            while following is not None:
                child, following = following, following.next
                # Text nodes are the most frequent: only they have text content (an empty one
                # has none and is passed over below by its tag, `-text`).
                content = child.text_content
                if content is not None:
                    if not content or (not parts and content.isspace()):
                        continue
                    parts.append(content)
                    if bold:
                        self.bold_seen = True
                        if not self.plain_seen:
                            self.prefix.append(content)
                    elif not self.plain_seen and not content.isspace():
                        self.plain_seen = True
                    continue
                child_tag = child.tag
                if child_tag in self.block_tags:
                    # The commonest paragraph holds one text node (or none): its text is read
                    # here, with no walk.
                    only = child.first_child
                    content = only.text_content if only is not None and only.next is None else None
                    simple = only is None or content is not None
                    shown = content if content and not content.isspace() else ""
                    if simple and not shown and not parts and not self.anchors and not child.id:
                        continue  # a spacer (Word's `<p>&nbsp;</p>`): nothing to end or anchor
                    attrs = child.attributes
                    if attrs and self.dropped(attrs):
                        continue
                    if parts or self.anchors:
                        self.flush(tag, depth)
                    anchor = attrs.get("id")
                    if anchor:
                        self.pending_anchors.append(anchor)
                    child_depth = depth + 1 if child_tag in _LIST_TAGS else depth
                    if simple:
                        # The text is the whole run: its block is emitted at once. The run
                        # before it was flushed above; only in-page links of empty `<a>`s may
                        # be left over, and they go with it.
                        if shown:
                            prefix = shown if bold else ""
                            self._emit(
                                shown, child_tag, child_depth, bold, prefix, [], self.links, 0
                            )
                            self.links = []
                        continue
                    stack.append((following, bold, tag, depth, on_exit))
                    following, tag, depth = only, child_tag, child_depth
                    on_exit = _Exit(flush_tag=child_tag, flush_depth=child_depth)
                elif child_tag == "br":
                    if parts and _bold_label_follows(following):
                        self.flush(tag, depth)  # a turn printed after a line break, not a paragraph
                    elif parts:
                        parts.append("\n")
                elif child_tag is None or child_tag[0] == "-" or child_tag in self.skip_tags:
                    continue
                else:
                    attrs = child.attributes
                    if attrs and self.dropped(attrs):
                        continue
                    if child_tag == "a":
                        name = attrs.get("name") or attrs.get("id")
                        if name:
                            self.anchors.append(name)
                        link = _Exit(href=attrs.get("href") or "", before=len(parts))
                        if child.first_child is None:  # anchors (`<a name="1">`) are mostly empty
                            self._leave(link)
                            continue
                        stack.append((following, bold, tag, depth, on_exit))
                        following, on_exit = child.first_child, link
                    else:
                        stack.append((following, bold, tag, depth, on_exit))
                        following, on_exit = child.first_child, None
                        bold = bold or child_tag in _BOLD_TAGS
            # The element's children are done: finish it, and go on in its parent.
            if on_exit is not None:
                self._leave(on_exit)
            if not stack:
                return
            following, bold, tag, depth, on_exit = stack.pop()

    def _leave(self, done: _Exit) -> None:
        """What follows the walk of a block element (end its run) or of a link (note it)."""
        if done.flush_tag is not None:
            if self.parts or self.anchors:
                self.flush(done.flush_tag, done.flush_depth)
            return
        href = done.href
        if href.startswith("#"):
            if len(href) > 1:
                self.links.append(href[1:])
        elif href:
            self.offsite += sum(len(p) for p in self.parts[done.before :])


# A label in bold after a single `<br>` (`...?<br><strong>Maria Zakharova:</strong> ...`) opens
# a new turn inside one `<p>`; any other single `<br>` is a line break within the paragraph.
_LABEL_MAX_CHARS = 60
_COLONS = (":", "\uff1a")


def _bold_label_follows(node: LexborNode | None) -> bool:
    """Whether the siblings from `node` open with a bold label: `<b>Name:</b>` or `<b>Name</b>:`."""
    while node is not None and node.tag == "-text" and (node.text_content or "").isspace():
        node = node.next
    if node is None or node.tag not in _BOLD_TAGS:
        return False
    label = node.text(deep=True).strip()
    if not 0 < len(label) <= _LABEL_MAX_CHARS:
        return False
    if label.endswith(_COLONS):
        return True
    after = node.next
    return after is not None and (after.text_content or "").lstrip().startswith(_COLONS)


@dataclass(frozen=True, slots=True)
class _Exit:
    """Set for a block element: the run to end after it; for a link: its href and where its
    text starts in the run."""

    flush_tag: str | None = None
    flush_depth: int = 0
    href: str = ""
    before: int = 0


def drop_link_lists(blocks: list[Block]) -> list[Block]:
    """Without the blocks that are only links to other pages, when they come in runs (menus,
    "latest news" lists) or end the page; a single linked line inside the text stays."""
    kept: list[Block] = []
    run: list[Block] = []
    for block in blocks:
        if block.offsite_links_only:
            run.append(block)
            continue
        if len(run) == 1:
            kept.extend(run)
        run = []
        kept.append(block)
    return kept


def flatten(root: LexborNode, profile: SiteProfile, rules: DropRules) -> list[Block]:
    """The blocks of `root`, boilerplate left out; removes what only CSS can find first."""
    rules.remove_complex(root)
    flattener = _Flattener(profile, rules)
    anchor = root.id
    if anchor:
        flattener.pending_anchors.append(anchor)
    flattener.visit(root, False, root.tag or "div", 0)
    flattener.flush(root.tag or "div", 0)
    if not flattener.links_only_seen:
        return flattener.blocks  # no block is only links: none to drop
    return drop_link_lists(flattener.blocks)
