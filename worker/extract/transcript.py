"""Labelled transcripts: a run of turns each opened by a label, with no TOC, answers header or
headings (China's and the White House's briefings, mid.ru's short interviews).

Such a page is opening remarks (a statements part) followed by one answers section that holds
every turn in page order: nothing on the page says where one topic ends. Two ways of marking the
asker are read: question words (`Q:`, `Q` and spaces, `Follow-up:`, `Вопрос:`, `问：`) and, on
pages that print none, outlets (`Reuters:`), told from the briefer's own label. The White House's
place and time lines and its `END` line are transcript furniture, not text (`strip_furniture`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from worker.extract.blocks import BREAK, Block
from worker.extract.labels import Label
from worker.extract.markers import Markers
from worker.record import Role, Section, Turn

# `11:42 A.M. EDT`, `1:04 P.M.`, `12:46 PM EST`: the time a transcript starts or ends.
_TIME = r"\d{1,2}:\d\d\s*[AaPp]\.?\s?[Mm]\.?(?:\s+[A-Z]{2,5})?"
_TIME_LINE = re.compile(rf"^{_TIME}$")
_END_LINE = re.compile(rf"^END\b[\s.]*(?:{_TIME})?$")
# The place and the time in one paragraph: only with the White House's capitals (`12:45 P.M.
# EST`), which no sentence ending in a time prints.
_PLACE_AND_TIME = re.compile(
    r"^(?P<place>.{3,120}?[^.])\s+\d{1,2}:\d\d\s*[AP]\.M\.(?:\s+[A-Z]{2,5})?$"
)
_PLACE_LINES = 2  # a place line may be printed on one or two lines before the time line
_MAX_PLACE_CHARS = 120
_MAX_HEADING_CHARS = 300
# How a sentence ends, in the languages of the label tables (quotes and brackets may follow).
_SENTENCE_ENDS = tuple('.?!。？！…:："”»)）')


@dataclass(frozen=True)
class Transcript:
    sections: tuple[Section, ...]  # the answers section; opening remarks are the caller's
    opening: list[Block]  # the blocks before the first question, the briefer's label dropped
    speaker: str | None  # the briefer's label as printed (`MR. CARNEY`), None for `A:`


def strip_furniture(blocks: list[Block]) -> tuple[list[Block], str | None]:
    """The blocks without the place and time lines that open a transcript and the `END` and time
    lines that close it; and the place those lines print (None when there is none)."""
    place = None
    for i, block in enumerate(blocks[: _PLACE_LINES + 1]):
        joined = _PLACE_AND_TIME.match(block.text) if i == 0 else None
        if joined is not None:  # `Briefing Room<br>12:45 P.M. EST`: one paragraph
            return _without_end(blocks[1:]), joined.group("place")
        if _TIME_LINE.match(block.text):
            before = [b for b in blocks[:i] if b.tag != BREAK]
            if all(len(b.text) <= _MAX_PLACE_CHARS and not b.text.endswith(".") for b in before):
                place = " ".join(b.text for b in before) or None
                blocks = blocks[i + 1 :]
            break
    return _without_end(blocks), place


def _without_end(blocks: list[Block]) -> list[Block]:
    """The blocks without `END` lines and the time lines right after them."""
    # `startswith` first: a method call per block instead of a pattern match.
    if not any(block.text.startswith("END") and _END_LINE.match(block.text) for block in blocks):
        return blocks
    kept: list[Block] = []
    after_end = False
    for block in blocks:
        if _END_LINE.match(block.text):
            after_end = True
            continue
        if after_end and _TIME_LINE.match(block.text):
            continue
        after_end = False
        kept.append(block)
    return kept


class _Reader:
    """The labels of a run of blocks, with the support rule of one-word plain names."""

    def __init__(self, labels: list[Label | None], markers: Markers) -> None:
        self.read = markers.labels.read
        self.first = labels
        counts: dict[str, int] = {}
        for label in self.first:
            if label is not None:
                counts[label.name] = counts.get(label.name, 0) + 1
        self.counts = counts
        self.first = [self.supported(label) for label in self.first]

    def supported(self, label: Label | None) -> Label | None:
        if label is not None and label.single_word and self.counts.get(label.name, 0) < 2:
            return None
        return label


def read_transcript(
    blocks: list[Block], labels: list[Label | None], markers: Markers, title_name: str | None
) -> Transcript | None:
    """The turns of a labelled transcript, or None when the blocks are no such run (`labels`:
    the label each block opens with, as `body.first_labels` reads them)."""
    if any(markers.is_answers_header(block.text) for block in blocks):
        return None
    reader = _Reader(labels, markers)
    labels = reader.first
    named = [label.name for label in labels if label is not None and label.speaker is not None]
    briefer = _briefer(named, title_name)
    outlets = not any(label is not None and label.role == "question" for label in labels)
    if outlets and (briefer is None or all(name == briefer for name in named)):
        return None  # no question label and no label but the briefer's: no exchange
    roles = [_role(label, briefer, outlets) if label else None for label in labels]
    first = next((i for i, role in enumerate(roles) if role and role[0] == "question"), None)
    if first is None or not any(role and role[0] == "answer" for role in roles[first:]):
        return None
    if _has_headings(blocks, labels, first):
        return None  # sections with headings: the general body rules read those
    turns: list[tuple[Role, str | None, list[str]]] = []
    for block, label in zip(blocks[first:], labels[first:], strict=True):
        if block.tag == BREAK:
            continue
        for i, line in enumerate(block.lines):
            line_label = label if i == 0 else reader.supported(reader.read(line, ""))
            if line_label is not None:
                role, speaker = _role(line_label, briefer, outlets)
                turns.append((role, speaker, [line_label.rest] if line_label.rest else []))
            elif turns:
                turns[-1][2].append(line)
    section = Section(
        "answers",
        None,
        (),
        tuple(Turn(role, speaker, "\n\n".join(texts)) for role, speaker, texts in turns if texts),
    )
    return Transcript((section,), _opening(blocks[:first], labels[:first], briefer), briefer)


def _briefer(named: list[str], title_name: str | None) -> str | None:
    """The label that names the briefer: the one that matches the title's name, else the most
    frequent name."""
    if not named:
        return None
    if title_name:
        surname = title_name.split()[-1].casefold() if " " in title_name else title_name.casefold()
        for name in named:
            folded = name.casefold()
            if folded == title_name.casefold() or folded.split()[-1].rstrip(".") == surname:
                return name
    counts: dict[str, int] = {}
    for name in named:
        counts[name] = counts.get(name, 0) + 1
    return max(counts, key=counts.__getitem__)


def _role(label: Label, briefer: str | None, outlets: bool) -> tuple[Role, str | None]:
    """Role and speaker: on a page whose askers are named by outlet, whoever is not the briefer
    asks."""
    if outlets and label.speaker is not None and label.name != briefer:
        return "question", label.name
    return label.role, label.speaker


def _has_headings(blocks: list[Block], labels: list[Label | None], first: int) -> bool:
    """Whether a heading stands among the turns or right before the first question.

    A bold paragraph that ends a sentence (a question's second paragraph, bold like its first)
    or that follows a bold labelled one is text, not a heading.
    """
    start = max(0, first - 1)
    previous_bold_label = False
    for block, label in zip(blocks[start:], labels[start:], strict=True):
        if block.tag == BREAK:
            continue
        if label is None and len(block.text) <= _MAX_HEADING_CHARS:
            if block.is_heading_tag:
                return True
            ends_sentence = block.text.endswith(_SENTENCE_ENDS)
            if block.bold and not ends_sentence and not previous_bold_label:
                return True
        previous_bold_label = block.bold and (label is not None or previous_bold_label)
    return False


def _opening(blocks: list[Block], labels: list[Label | None], briefer: str | None) -> list[Block]:
    """The opening remarks, the briefer's label that opens them dropped (it names the speaker)."""
    for i, (block, label) in enumerate(zip(blocks, labels, strict=True)):
        if block.tag == BREAK:
            continue
        if label is not None and label.name == briefer and label.rest:
            rest = [label.rest, *block.lines[1:]]
            unlabelled = replace(block, text=" ".join(rest), lines=rest, bold_prefix="")
            blocks = [*blocks[:i], unlabelled, *blocks[i + 1 :]]
        break
    return blocks
