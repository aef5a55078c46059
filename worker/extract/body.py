"""The body: statements sections with paragraphs, answers sections with question/answer turns.

Sections start at headings (heading tags, all-bold short lines, lines that match a TOC entry)
and at the anchors the TOC links to. In the answers part, an exchange without a heading of its
own starts at its anchor; where the page has no such anchors, at a "Back to top" break; where it
has neither, at a question that follows an answer. Such sections take their heading from the
TOC entry they are anchored to or, when the counts agree, from the answers TOC entry at the same
position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from worker.extract.blocks import BREAK, Block
from worker.extract.labels import Label
from worker.extract.markers import Markers, strip_numbering
from worker.extract.text import fold
from worker.extract.toc import TocItem
from worker.record import Part, Role, Section, Turn

# The warning of a page whose text stops before its own table of contents does.
BODY_ENDS_EARLY = "body ends before the TOC's last entry"
_MAX_HEADING_CHARS = 300
_SENTENCE_WORDS = 14  # a bold line ending in a full stop with more words is emphasis, not a heading


@dataclass(slots=True)
class _Turn:
    role: Role
    speaker: str | None
    paragraphs: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Section:
    part: Part
    heading: str | None
    toc_item: TocItem | None = None
    paragraphs: list[str] = field(default_factory=list)
    turns: list[_Turn] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.paragraphs and not self.turns

    def freeze(self) -> Section:
        # Positional arguments (part, heading, paragraphs, turns; role, speaker, text): a
        # frozen dataclass is dear to build, keywords more so.
        if self.part == "statements":
            return Section("statements", self.heading, tuple(self.paragraphs))
        turns = tuple(
            Turn(t.role, t.speaker, "\n\n".join(t.paragraphs)) for t in self.turns if t.paragraphs
        )
        return Section("answers", self.heading, (), turns)


@dataclass(frozen=True)
class Body:
    sections: tuple[Section, ...]
    speaker: str | None  # the name most answer labels carry
    warnings: tuple[str, ...]


def first_labels(blocks: list[Block], markers: Markers) -> list[Label | None]:
    """The label the first line of each block opens with (read once, shared with `transcript`)."""
    read = markers.labels.read
    return [read(block.lines[0], block.bold_prefix) if block.lines else None for block in blocks]


class _BodyBuilder:
    def __init__(
        self,
        blocks: list[Block],
        toc: tuple[TocItem, ...],
        markers: Markers,
        labels: list[Label | None] | None,
    ) -> None:
        self.blocks = blocks
        self.markers = markers
        self.toc = toc
        self.by_target = {item.target: item for item in toc if item.target}
        # TOC headings by exact text, then by folded text (case, quotes, spacing aside); folding
        # is the dearer test, tried only for lines as long as some heading give or take a little.
        self.by_text = {item.heading.casefold(): item for item in toc}
        # Case folding never shortens a text, so longer lines need no folding to be ruled out.
        self.longest_text = max(map(len, self.by_text), default=-1)
        self._by_fold: dict[str, TocItem] | None = None  # see `by_fold`
        lengths = [len(item.heading) for item in toc] or [0]
        self.toc_length_range = (min(lengths) - 8, max(lengths) + 8)
        self.has_answers_toc = any(item.part == "answers" for item in toc)
        self.sections: list[_Section] = []
        self.part: Part = "statements"
        self.seen_header = False
        self.warnings: list[str] = []
        # Read once: whether each block is the answers header, and the label its first line has.
        is_header = markers.is_answers_header
        self.headers = [is_header(block.text) for block in blocks]
        self.first_labels = labels if labels is not None else first_labels(blocks, markers)
        self.label_counts = self._count_labels()
        self.split_on_anchor, self.split_on_break = self._answers_split_rules()
        self.after_break = False

    def _count_labels(self) -> dict[str, int]:
        # A plain dict: building a `Counter` costs more than counting these few labels.
        counts: dict[str, int] = {}
        for label in self.first_labels:
            if label is not None:
                counts[label.name] = counts.get(label.name, 0) + 1
        read = self.markers.labels.read
        for block in self.blocks:
            if len(block.lines) > 1:
                for line in block.lines[1:]:
                    label = read(line, "")
                    if label is not None:
                        counts[label.name] = counts.get(label.name, 0) + 1
        return counts

    def _answers_split_rules(self) -> tuple[bool, bool]:
        answers_targets = {
            item.target for item in self.toc if item.part == "answers" and item.target
        }
        if True not in self.headers:
            return False, False
        answers = self.blocks[self.headers.index(True) + 1 :]
        anchors = any(a in answers_targets for block in answers for a in block.anchors)
        breaks = any(block.tag == BREAK for block in answers)
        return anchors, breaks

    def supported(self, label: Label | None) -> Label | None:
        """A one-word plain label counts only when the same name labels another paragraph."""
        if label is not None and label.single_word and self.label_counts.get(label.name, 0) < 2:
            return None
        return label

    def toc_entry_for(self, block: Block) -> TocItem | None:
        """The TOC entry whose heading this block repeats (case, quotes and spacing aside)."""
        text = block.text
        if len(text) <= self.longest_text:
            exact = self.by_text.get(text.casefold())
            if exact is not None:
                return exact
        low, high = self.toc_length_range
        if not low <= len(text) <= high:
            return None
        return self.by_fold().get(block.key())

    def by_fold(self) -> dict[str, TocItem]:
        """TOC entries by folded heading, built when a line first needs the folded test."""
        if self._by_fold is None:
            self._by_fold = {item.key(): item for item in self.toc}
        return self._by_fold

    def toc_item_for(self, block: Block) -> TocItem | None:
        for anchor in block.anchors:
            item = self.by_target.get(anchor)
            if item is not None:
                return item
        return None

    def is_heading(self, block: Block, label: Label | None, item: TocItem | None) -> bool:
        """Whether the block opens a section (`item` is the TOC entry its anchors point to)."""
        if label is not None or len(block.text) > _MAX_HEADING_CHARS:
            return False
        if block.is_heading_tag:
            return True
        if block.bold:
            return not (block.text.endswith(".") and len(block.text.split()) > _SENTENCE_WORDS)
        if self.toc_entry_for(block) is not None:
            return True
        return item is not None and len(block.lines) == 1 and not block.text.endswith(".")

    def start(self, heading: str | None, item: TocItem | None) -> _Section:
        if item is not None and item.part == "answers" and not self.seen_header:
            self.part = "answers"
        section = _Section(self.part, heading, item)
        self.sections.append(section)
        return section

    def current(self) -> _Section:
        if not self.sections or self.sections[-1].part != self.part:
            return self.start(None, None)
        return self.sections[-1]

    def add(self, block: Block, header: bool, label: Label | None) -> None:
        """Add a block: `header` tells whether it is the answers header, `label` is its first."""
        if block.tag == BREAK:
            self.after_break = True
            return
        after_break, self.after_break = self.after_break, False
        if header:
            self.part = "answers"
            self.seen_header = True
            self.start(None, None)
            return
        if self.part == "statements" and not self.has_answers_toc and not self.seen_header:
            self._maybe_switch_to_answers(label)
        first_label = self.supported(label) if self.part == "answers" else None
        item = self.toc_item_for(block) if block.anchors else None
        if self.is_heading(block, first_label, item):
            self.start(
                strip_numbering(block.text) if block.tag == "li" else block.text,
                item or self.toc_entry_for(block),
            )
            return
        if self.part == "statements":
            if item is not None and not self.current().empty:
                self.start(None, item)
            self.current().paragraphs.extend(block.lines)
            return
        self._add_answer_block(block, item, first_label, after_break)

    def _maybe_switch_to_answers(self, label: Label | None) -> None:
        """Without any header or TOC, a headed section that opens with a question is an answer.

        `label` is the one the block's first line carries.
        """
        section = self.sections[-1] if self.sections else None
        if section is None or not section.empty or section.heading is None:
            return
        if label is not None and label.role == "question":
            self.part = "answers"
            section.part = "answers"

    def _add_answer_block(
        self, block: Block, item: TocItem | None, label: Label | None, after_break: bool
    ) -> None:
        section = self.current()
        if self._starts_exchange(section, item, label, after_break):
            section = self.start(None, item)
        for i, line in enumerate(block.lines):
            line_label = label if i == 0 else self.supported(self.markers.labels.read(line, ""))
            if line_label is not None:
                turn = _Turn(line_label.role, line_label.speaker)
                section.turns.append(turn)
                if line_label.rest:
                    turn.paragraphs.append(line_label.rest)
            elif section.turns:
                section.turns[-1].paragraphs.append(line)
            else:
                self.warnings.append(f"answers text without a label: {line[:60]!r}")
                section.turns.append(_Turn("answer", None, [line]))

    def _starts_exchange(
        self, section: _Section, item: TocItem | None, label: Label | None, after_break: bool
    ) -> bool:
        if section.empty:
            if item is not None and section.toc_item is None and section.heading is None:
                section.toc_item = item
            return False
        if self.split_on_anchor:
            return item is not None
        if self.split_on_break:
            return after_break
        has_answer = any(turn.role == "answer" for turn in section.turns)
        return (
            section.heading is None
            and has_answer
            and label is not None
            and label.role == "question"
        )


def build_body(
    blocks: list[Block],
    toc: tuple[TocItem, ...],
    markers: Markers,
    labels: list[Label | None] | None = None,
) -> Body:
    """The sections of `blocks`; `labels` are their `first_labels` when already read."""
    builder = _BodyBuilder(blocks, toc, markers, labels)
    for block, header, label in zip(blocks, builder.headers, builder.first_labels, strict=True):
        builder.add(block, header, label)
    sections = [
        s for s in builder.sections if not (s.empty and s.heading is None and s.toc_item is None)
    ]
    _headings_from_toc(sections, toc)
    warnings = builder.warnings + _toc_warnings(sections, toc)
    return Body(
        sections=tuple(s.freeze() for s in sections),
        speaker=_main_speaker(sections),
        warnings=tuple(warnings),
    )


def _headings_from_toc(sections: list[_Section], toc: tuple[TocItem, ...]) -> None:
    answers = [s for s in sections if s.part == "answers"]
    entries = [item for item in toc if item.part == "answers"]
    by_position = len(answers) == len(entries)
    for position, section in enumerate(answers):
        if section.heading is not None:
            continue
        if section.toc_item is not None:
            section.heading = section.toc_item.heading
        elif by_position:
            section.heading = entries[position].heading


def _toc_warnings(sections: list[_Section], toc: tuple[TocItem, ...]) -> list[str]:
    warnings = []
    for part in ("statements", "answers"):
        listed = sum(1 for item in toc if item.part == part)
        found = sum(1 for s in sections if s.part == part and s.heading is not None)
        if listed and listed != found:
            warnings.append(f"toc lists {listed} {part}, body has {found}")
    if toc:
        last = toc[-1].key()
        if not any(s.heading and fold(s.heading) == last for s in reversed(sections)):
            warnings.append(f"{BODY_ENDS_EARLY} ({toc[-1].heading!r})")
    return warnings


def _main_speaker(sections: list[_Section]) -> str | None:
    counts: dict[str, int] = {}
    for section in sections:
        for turn in section.turns:
            if turn.role == "answer" and turn.speaker:
                counts[turn.speaker] = counts.get(turn.speaker, 0) + 1
    # The first name counted most often, as `Counter.most_common` picks it.
    return max(counts, key=counts.__getitem__) if counts else None
