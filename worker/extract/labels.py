"""Speaker labels that open a question or an answer: `Question (TASS):`, `Maria Zakharova:`.

A label is a leading name followed by a colon, the colon inside or outside the bold. A plain
(unbolded) label must look like a name: a question word, two or more capitalised words, initials
and a surname (`М.В.Захарова`), or an all-capitals name (`MR PRICE`). A single capitalised word
without bold (`Secondly: ...`) is taken only when the same name labels another paragraph too.
The colon may be full-width (`问：`). The words that make a question (`Q`, `Вопрос`, `问`) or a
nameless answer (`A`, `答`), and those printed without colon before spaces (the White House's
`Q`), are data: the `[labels.xx]` tables of the site profiles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from worker.record import Role

_MAX_LABEL_CHARS = 90  # the colon of a label comes within this many characters
_MAX_SPACED_WORD = 12  # a label without colon is one short word
# A name and its colon; the paragraph's rest is what follows the match. The name is taken
# greedily: only spaces may stand between it and the colon, and they are stripped, so the result
# is the same as a lazy name's at half the matching work.
_LABEL = re.compile(r"^(?P<name>[^:：\n]{1,80})\s*[:：]\s*")
# (The colon is ASCII or full-width, as Chinese and Japanese text prints it.)
_WITH_OUTLET = re.compile(r"^(?P<word>.+?)\s*\((?P<who>[^()]{1,80})\)$")
_UPPER = r"A-ZÀ-ÖØ-ÞА-ЯЁ"
_WORD = rf"[{_UPPER}][\w’'\-]*\.?"
_PARTICLE = r"(?:de|da|del|van|von|al|bin|ibn|la|le|di|du|der|и)"
_NAME = re.compile(
    rf"^(?:(?:[{_UPPER}]\.\s?){{1,2}}[{_UPPER}][\w’'\-]+"  # М.В.Захарова, S. Lavrov
    rf"|{_WORD}(?:\s+(?:{_WORD}|{_PARTICLE})){{1,4}}"  # Maria Zakharova, MR PRICE
    rf"|{_WORD})$"  # Zakharova (only with bold or when repeated)
)


# Not frozen: one is built for most paragraphs of an answers part, and a frozen dataclass takes
# three times as long to build. Nothing changes a label once read.
@dataclass(slots=True)
class Label:
    name: str  # as printed, without the colon
    role: Role
    speaker: str | None
    rest: str  # the paragraph's text after the label
    single_word: bool  # a one-word plain name, accepted only with support


class LabelReader:
    """Reads labels with the profile's label words (`[labels.xx]` tables)."""

    def __init__(
        self,
        question_words: tuple[str, ...],
        answer_words: tuple[str, ...] = ("Answer", "A"),
        spaced_words: tuple[str, ...] = (),
    ) -> None:
        self.question_words = frozenset(word.casefold() for word in question_words)
        self.answer_words = frozenset(word.casefold() for word in answer_words)
        # Compared as printed: `Q` before spaces is a label, `q` is no word of anyone's.
        self.spaced_words = frozenset(spaced_words)

    def read(self, text: str, bold_prefix: str) -> Label | None:
        if text.find(":", 0, _MAX_LABEL_CHARS) < 0 and text.find("：", 0, _MAX_LABEL_CHARS) < 0:
            return self._spaced(text) if self.spaced_words else None
        match = _LABEL.match(text)
        if match is None:
            return None
        name = match.group("name").strip()
        # Only a name ending in a bracket can carry an outlet; most do not.
        outlet = _WITH_OUTLET.match(name) if name.endswith(")") else None
        word = (outlet.group("word") if outlet else name).casefold()
        if word in self.question_words:
            who = outlet.group("who").strip() if outlet else None
            return Label(name, "question", who, text[match.end() :].strip(), False)
        if word in self.answer_words:
            return Label(name, "answer", None, text[match.end() :].strip(), False)
        person = outlet.group("word") if outlet else name
        if not _NAME.match(person):
            return None
        # A one-word name needs support unless it is bold (asked only of one-word names).
        single = " " not in person and "." not in person
        unsupported = single and not (bold_prefix and _covers(bold_prefix, name))
        return Label(name, "answer", name, text[match.end() :].strip(), unsupported)

    def _spaced(self, text: str) -> Label | None:
        """A label printed without colon (`Q   Jay, ...`): one of the `spaced` words, a space."""
        space = text.find(" ", 0, _MAX_SPACED_WORD)
        if space < 0 or text[:space] not in self.spaced_words:
            return None
        word, rest = text[:space], text[space + 1 :]
        if not rest:
            return None
        return Label(word, "question", None, rest.strip(), False)


def _covers(bold_prefix: str, name: str) -> bool:
    """Whether the bold text at the start of a paragraph is the label (with or without colon)."""
    prefix = bold_prefix.rstrip(": ").strip()
    return prefix == name or prefix.startswith(name)
