"""`diff_records`, `render_diff_text` and `diff_to_dict` on edited copies of golden records."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import PAGES, fixture_record

from worker.diff import (
    RecordDiff,
    SectionChange,
    diff_records,
    diff_to_dict,
    word_diff,
)
from worker.record import Record, TocEntry, Turn
from worker.render import render_diff_text

FIXTURES = sorted(PAGES.glob("*.json"), key=lambda p: p.name)
NAGORNO = 3  # "Update on Nagorno-Karabakh", 0-based, in the 2020-11-05 briefing
REFUGEES = 13  # "Upcoming conference on refugees in Syria", an answers section


def load(name: str = "globalsecurity-2020-11-05") -> Record:
    return fixture_record(name)


def with_section(record: Record, index: int, **changes: object) -> Record:
    sections = list(record.sections)
    sections[index] = replace(sections[index], **changes)  # type: ignore[arg-type]
    return replace(record, sections=tuple(sections))


def changed(diff: RecordDiff) -> list[SectionChange]:
    return list(diff.changed_sections)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_identical_records_give_an_empty_diff(path: Path) -> None:
    record = load(path.stem)
    diff = diff_records(record, load(path.stem))
    assert diff.is_empty
    assert not diff.fields and not diff.toc
    assert [s.status for s in diff.sections] == ["unchanged"] * len(record.sections)
    assert render_diff_text(diff) == "no changes\n"
    assert diff_to_dict(diff)["empty"] is True


def test_url_and_warnings_are_not_changes() -> None:
    old = load()
    new = replace(old, url="https://elsewhere.example/", warnings=("something",))
    assert diff_records(old, new).is_empty


def test_edited_sentence_is_one_changed_paragraph_with_word_marks() -> None:
    old = load()
    paragraphs = list(old.sections[NAGORNO].paragraphs)
    paragraphs[1] = paragraphs[1].replace("show extreme caution", "show utmost caution")
    new = with_section(old, NAGORNO, paragraphs=tuple(paragraphs))

    diff = diff_records(old, new)
    [section] = changed(diff)
    assert (section.status, section.old_index, section.new_index) == ("changed", 4, 4)
    [item] = section.items
    assert (item.kind, item.status, item.old_index, item.new_index) == (
        "paragraph",
        "changed",
        2,
        2,
    )
    assert [chunk for chunk in item.words if chunk[0] != "equal"] == [
        ("delete", "extreme"),
        ("insert", "utmost"),
    ]
    assert render_diff_text(diff) == (
        '~ section 4 [statements] "Update on Nagorno-Karabakh"\n'
        "    paragraph 2: ... the parties to show [-extreme-]{+utmost+} caution,"
        " avoid hitting civilians ...\n"
    )


def test_colour_output_uses_ansi_red_and_green() -> None:
    old = load()
    paragraphs = list(old.sections[NAGORNO].paragraphs)
    paragraphs[1] = paragraphs[1].replace("extreme", "utmost")
    diff = diff_records(old, with_section(old, NAGORNO, paragraphs=tuple(paragraphs)))
    coloured = render_diff_text(diff, color=True)
    assert "\x1b[31mextreme\x1b[0m\x1b[32mutmost\x1b[0m" in coloured
    assert "[-" not in coloured


def test_added_turn() -> None:
    old = load()
    turns = (*old.sections[REFUGEES].turns, Turn("question", "TASS", "And the dates?"))
    diff = diff_records(old, with_section(old, REFUGEES, turns=turns))
    [section] = changed(diff)
    [item] = section.items
    assert (item.kind, item.status, item.old_index, item.new_index) == ("turn", "added", None, 3)
    assert item.new == Turn("question", "TASS", "And the dates?")
    assert render_diff_text(diff) == (
        '~ section 14 [answers] "Upcoming conference on refugees in Syria"\n'
        "    + turn 3, Question (TASS): And the dates?\n"
    )


def test_edited_answer_turn_keeps_its_label() -> None:
    old = load()
    turns = list(old.sections[REFUGEES].turns)
    turns[1] = replace(turns[1], text=turns[1].text.replace("positive view", "favourable view"))
    diff = diff_records(old, with_section(old, REFUGEES, turns=tuple(turns)))
    [item] = changed(diff)[0].items
    assert item.status == "changed"
    line = render_diff_text(diff).splitlines()[1]
    assert line.startswith("    turn 2, Maria Zakharova: ... ")
    assert "a [-positive-]{+favourable+} view" in line


def test_removed_section() -> None:
    old = load()
    removed = old.sections[8]
    new = replace(old, sections=old.sections[:8] + old.sections[9:])
    diff = diff_records(old, new)
    [section] = changed(diff)
    assert (section.status, section.old_index, section.new_index) == ("removed", 9, None)
    assert section.heading == removed.heading
    assert [i.status for i in section.items] == ["removed"] * len(removed.paragraphs)
    # later sections are aligned by heading, not reported as changed
    assert [s.status for s in diff.sections].count("unchanged") == len(new.sections)
    lines = render_diff_text(diff).splitlines()
    assert lines[0] == f'- section 9 [statements] "{removed.heading}"'
    assert lines[1].startswith("    - Two crew members, the Captain and Chief Officer")
    assert lines[1].endswith(" ...")


def test_added_section_lists_its_turns() -> None:
    old = load()
    exchange = replace(old.sections[REFUGEES], heading="New exchange")
    diff = diff_records(old, replace(old, sections=(*old.sections, exchange)))
    [section] = changed(diff)
    assert (section.status, section.new_index, section.part) == ("added", 17, "answers")
    lines = render_diff_text(diff).splitlines()
    assert lines[0] == '+ section 17 [answers] "New exchange"'
    assert lines[1].startswith("    + Question: An international conference on refugees")
    assert lines[2].startswith("    + Maria Zakharova: As I noted")


def test_renamed_heading_falls_back_to_position() -> None:
    old = load()
    new = with_section(old, NAGORNO, heading="Update on the Nagorno-Karabakh conflict")
    [section] = changed(diff_records(old, new))
    assert (section.status, section.old_index, section.new_index) == ("changed", 4, 4)
    assert section.items == ()
    assert section.heading_changed
    text = render_diff_text(diff_records(old, new))
    assert "    heading: Update on {+the+} Nagorno-Karabakh {+conflict+}\n" in text


def test_changed_published() -> None:
    old = load()
    diff = diff_records(old, replace(old, published="2020-11-06"))
    assert [(f.field, f.old, f.new) for f in diff.fields] == [
        ("published", "2020-11-05T18:48:00+03:00", "2020-11-06")
    ]
    assert not diff.toc and not diff.changed_sections
    assert render_diff_text(diff) == "~ published: 2020-11-05T18:48:00+03:00 → 2020-11-06\n"


def test_field_set_from_nothing() -> None:
    old = load()
    diff = diff_records(old, replace(old, document_number="1871-05-11-2020"))
    assert render_diff_text(diff) == "~ document_number: (none) → 1871-05-11-2020\n"


def test_toc_change() -> None:
    old = load()
    toc = list(old.toc)
    toc[2] = TocEntry("statements", "A new topic")
    toc.append(TocEntry("answers", "A late question"))
    diff = diff_records(old, replace(old, toc=tuple(toc)))
    assert [(t.status, t.index, t.entry.heading) for t in diff.toc] == [
        ("removed", 3, old.toc[2].heading),
        ("added", 3, "A new topic"),
        ("added", 17, "A late question"),
    ]
    assert not diff.fields and not diff.changed_sections
    assert render_diff_text(diff).splitlines() == [
        "~ toc:",
        f"    - 3. [statements] {old.toc[2].heading}",
        "    + 3. [statements] A new topic",
        "    + 17. [answers] A late question",
    ]


def test_diff_to_dict_is_json() -> None:
    old = load()
    paragraphs = list(old.sections[NAGORNO].paragraphs)
    paragraphs[1] = paragraphs[1].replace("extreme", "utmost")
    new = replace(with_section(old, NAGORNO, paragraphs=tuple(paragraphs)), published="2020-11-06")
    data = json.loads(json.dumps(diff_to_dict(diff_records(old, new))))
    assert data["empty"] is False
    assert data["fields"] == [
        {"field": "published", "old": "2020-11-05T18:48:00+03:00", "new": "2020-11-06"}
    ]
    sections = [s for s in data["sections"] if s["status"] != "unchanged"]
    assert len(data["sections"]) == len(old.sections)
    [item] = sections[0]["items"]
    assert item["kind"] == "paragraph" and item["old_index"] == 2
    assert ["delete", "extreme"] in item["words"] and ["insert", "utmost"] in item["words"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("a b c", "a x c", [("equal", "a "), ("delete", "b"), ("insert", "x"), ("equal", " c")]),
        ("b c", "c", [("delete", "b "), ("equal", "c")]),
        ("a b", "a b c", [("equal", "a b"), ("insert", " c")]),
        ("a\n\nb", "a b", [("equal", "a"), ("delete", "\n\n"), ("insert", " "), ("equal", "b")]),
        ("", "x", [("insert", "x")]),
        ("same", "same", [("equal", "same")]),
    ],
)
def test_word_diff_chunks_rebuild_both_texts(
    old: str, new: str, expected: list[tuple[str, str]]
) -> None:
    chunks = word_diff(old, new)
    assert list(chunks) == expected
    assert "".join(text for op, text in chunks if op != "insert") == old
    assert "".join(text for op, text in chunks if op != "delete") == new


def test_paragraph_break_shows_as_pilcrow() -> None:
    old = load()
    turns = list(old.sections[REFUGEES].turns)
    turns[1] = replace(turns[1], text=turns[1].text.replace("\n\n", " ", 1))
    text = render_diff_text(diff_records(old, with_section(old, REFUGEES, turns=tuple(turns))))
    assert "Syrian capital. [-¶-] I have" in text
