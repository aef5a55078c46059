"""Which elements are boilerplate, decided while walking the tree.

A profile's `drop` list holds CSS selectors. Most are simple (a tag, `.class`, `#id`,
`[class*=fragment]`, `[attr]`, `[attr=value]`) and are matched here against each element's tag
and attributes as the walk meets it: a set lookup per element costs far less than running every
selector over the whole tree. The rest (descendant or compound selectors) go to lexbor's CSS
engine once per page, and the elements they match are removed before the walk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from selectolax.lexbor import LexborNode

_TAG = re.compile(r"^[a-z][a-z0-9]*$")
_CLASS = re.compile(r"^\.([\w-]+)$")
_ID = re.compile(r"^#([\w-]+)$")
_FRAGMENT = re.compile(r"^\[(class|id)\*=[\"']?([\w-]+)[\"']?\]$")
# An inline style that hides the element: scripts show such blocks on demand (empty lists of
# related news, alternative sources), readers never see them.
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"^\[([\w-]+)(?:=[\"']?([\w -]+?)[\"']?)?\]$")


@dataclass(frozen=True)
class DropRules:
    tags: frozenset[str]
    classes: frozenset[str]
    ids: frozenset[str]
    class_fragments: re.Pattern[str] | None
    id_fragments: re.Pattern[str] | None
    attributes: tuple[tuple[str, str | None], ...]  # `[hidden]` → ("hidden", None)
    attribute_names: frozenset[str]  # the names in `attributes`, which most elements lack
    examined: frozenset[str]  # every attribute some rule reads: `class`, `id` and those names
    selector: str  # what only CSS can match, joined for one query

    def drops(self, attrs: dict[str, str | None]) -> bool:
        """Whether an element with these attributes is boilerplate (its tag is checked apart)."""
        if self.examined.isdisjoint(attrs):
            return False  # links and anchors mostly carry none of them
        style = attrs.get("style")
        if style and ("none" in style or "hidden" in style) and _HIDDEN_STYLE.search(style):
            return True
        classes = attrs.get("class")
        if classes:
            if not self.classes.isdisjoint(classes.split()):
                return True
            if self.class_fragments is not None and self.class_fragments.search(classes):
                return True
        ident = attrs.get("id")
        if ident and (
            ident in self.ids or (self.id_fragments is not None and self.id_fragments.search(ident))
        ):
            return True
        if self.attribute_names.isdisjoint(attrs):
            return False
        for name, value in self.attributes:
            if name in attrs and (value is None or attrs[name] == value):
                return True
        return False

    def remove_complex(self, root: LexborNode) -> None:
        """Remove what the walk cannot match by itself (compound and descendant selectors)."""
        if self.selector:
            for node in root.css(self.selector):
                node.decompose()

    def inside_dropped(self, node: LexborNode, root: LexborNode) -> bool:
        """Whether `node` sits in boilerplate the walk skips (a `header` holding a site name)."""
        current: LexborNode | None = node
        while current is not None and current.mem_id != root.mem_id:
            if current.tag in self.tags or self.drops(current.attributes):
                return True
            current = current.parent
        return False


@lru_cache(maxsize=32)
def drop_rules(selectors: tuple[str, ...]) -> DropRules:
    tags: set[str] = set()
    classes: set[str] = set()
    ids: set[str] = set()
    fragments: dict[str, list[str]] = {"class": [], "id": []}
    attributes: list[tuple[str, str | None]] = []
    complex_selectors: list[str] = []
    for selector in selectors:
        selector = selector.strip()
        if _TAG.match(selector):
            tags.add(selector)
        elif match := _CLASS.match(selector):
            classes.add(match.group(1))
        elif match := _ID.match(selector):
            ids.add(match.group(1))
        elif match := _FRAGMENT.match(selector):
            fragments[match.group(1)].append(re.escape(match.group(2)))
        elif match := _ATTRIBUTE.match(selector):
            attributes.append((match.group(1), match.group(2)))
        else:
            complex_selectors.append(selector)
    return DropRules(
        tags=frozenset(tags),
        classes=frozenset(classes),
        ids=frozenset(ids),
        class_fragments=re.compile("|".join(fragments["class"])) if fragments["class"] else None,
        id_fragments=re.compile("|".join(fragments["id"])) if fragments["id"] else None,
        attributes=tuple(attributes),
        attribute_names=frozenset(name for name, _ in attributes),
        examined=frozenset(("class", "id", "style", *(name for name, _ in attributes))),
        selector=", ".join(complex_selectors),
    )
