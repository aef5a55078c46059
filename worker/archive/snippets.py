"""Search snippets: the words around a hit, with the query's words marked.

The search index is contentless (`passages.py`), so FTS5's own `snippet()` has no text to cut;
the snippet is cut here from the passage's text, read from its record. Words are compared as
the index compares them (`unicode61 remove_diacritics 2`): letters and digits, lower case,
accents dropped from Latin letters. A query word marks every place it occurs; a phrase marks its words where they
occur in order; a prefix (`word*`) marks the words it starts. As FTS5's `snippet()` does, the
snippet comes from the column (text or heading) holding the most of the query's terms, and is
the stretch of `words` words there holding the most terms, the rarest, then the query's first.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

START = "["
END = "]"
ELLIPSIS = "…"
WORDS = 16
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Term:
    """A query's word or phrase, as the index compares words; `prefix`: its last word is one."""

    words: tuple[str, ...]
    prefix: bool = False


def fold(word: str) -> str:
    """A word as the index compares it: lower case, and Latin letters without their accents
    (`unicode61 remove_diacritics 2` leaves other scripts' letters whole: й is not и)."""
    return "".join(_fold_letter(ch) for ch in word.lower())


@lru_cache(maxsize=4096)
def _fold_letter(ch: str) -> str:
    decomposed = unicodedata.normalize("NFD", ch)
    if len(decomposed) > 1 and unicodedata.name(decomposed[0], "").startswith("LATIN"):
        return "".join(c for c in decomposed if not unicodedata.combining(c))
    return ch


def words(text: str) -> list[str]:
    """The words of `text` as the index splits it: runs of letters and digits."""
    return [match.group() for match in _WORD.finditer(text)]


def term(text: str, prefix: bool = False) -> Term | None:
    """The term a quoted word or phrase of a query searches for, or None if it has no words."""
    folded = tuple(fold(word) for word in words(text))
    return Term(folded, prefix) if folded else None


def snippet(texts: Sequence[str], terms: Sequence[Term], words: int = WORDS) -> str:
    """The snippet of whichever of `texts` (a passage's text, then its heading) holds the most
    of the terms (the first on a tie, the first when none holds any)."""
    best: _Marked | None = None
    for text in texts:
        marked = _Marked.of(text, terms)
        if best is None or marked.score > best.score:
            best = marked
    if best is None:
        return ""
    starts = list(dict.fromkeys(_start(best, hit, words) for hit in sorted(best.marked))) or [0]
    start = max(starts, key=lambda at: best.window_score(at, words))
    return _window(best.text, best.found, set(best.marked), start, words)


@dataclass(frozen=True)
class _Marked:
    """A text, its words, and which of them the terms mark."""

    text: str
    found: list[re.Match[str]]
    marked: dict[int, set[int]]  # word index: the terms (their indexes) that mark it
    counts: Counter[int]  # term index: how many words it marks in the whole text

    @classmethod
    def of(cls, text: str, terms: Sequence[Term]) -> _Marked:
        found = list(_WORD.finditer(text))
        folded = [fold(match.group()) for match in found]
        marked: dict[int, set[int]] = {}
        for number, t in enumerate(terms):
            for index in _marks(folded, t):
                marked.setdefault(index, set()).add(number)
        counts = Counter(t for held in marked.values() for t in held)
        return cls(text, found, marked, counts)

    @property
    def score(self) -> tuple[int, int]:
        """How many terms it holds, how many words are marked."""
        return len(set().union(*self.marked.values())), len(self.marked)

    def window_score(self, start: int, words: int) -> tuple[int, float, int, int]:
        """How many terms the window of `words` words from `start` holds; how telling they are
        (a term weighs 1 / its marks in the whole text: the rarest is the most telling);
        whether it holds the query's earlier terms; how many words it marks."""
        inside = [self.marked[k] for k in range(start, start + words) if k in self.marked]
        held = set().union(*inside)
        first = -min(held, default=len(self.counts))
        return len(held), sum(1 / self.counts[t] for t in held), first, len(inside)


_LOOK_BACK = 12  # words before a hit where its sentence may start (of a 16-word window)
_SENTENCE_END = re.compile(r"[.!?…:;]\W*$")


def _start(marked: _Marked, hit: int, words: int) -> int:
    """Where the window showing `hit` starts: at its sentence's start if that is at most
    `_LOOK_BACK` words before it, else two words before it; never past the last full window."""
    start = max(0, hit - 2)
    for at in range(hit, max(0, hit - min(_LOOK_BACK, words - 2)) - 1, -1):
        if at == 0 or _SENTENCE_END.search(
            marked.text[marked.found[at - 1].end() : marked.found[at].start()]
        ):
            start = at
            break
    return max(0, min(start, len(marked.found) - words))


def _marks(folded: Sequence[str], t: Term) -> set[int]:
    """The indexes of the words the term matches."""
    marked: set[int] = set()
    size = len(t.words)
    for at in range(len(folded) - size + 1):
        if all(_same(folded[at + k], t, k) for k in range(size)):
            marked.update(range(at, at + size))
    return marked


def _same(word: str, t: Term, k: int) -> bool:
    if t.prefix and k == len(t.words) - 1:
        return word.startswith(t.words[k])
    return word == t.words[k]


def _window(
    text: str, found: Sequence[re.Match[str]], marked: set[int], start: int, words: int
) -> str:
    """`words` words of `text` from word `start`, marks around the marked ones; an ellipsis
    where text is left out."""
    end = min(len(found), start + words)
    if not found:
        return text
    left = 0 if start == 0 else found[start].start()
    right = len(text) if end == len(found) else found[end - 1].end()
    pieces: list[str] = [ELLIPSIS] if start > 0 else []
    at = left
    for index in range(start, end):
        match = found[index]
        if index in marked:
            pieces += [text[at : match.start()], START, match.group(), END]
            at = match.end()
    pieces.append(text[at:right])
    if end < len(found):
        pieces.append(ELLIPSIS)
    return "".join(pieces)
