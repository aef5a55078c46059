"""`render_text` and `render_markdown` on every golden record and on small hand-made records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import PAGES, fixture_record

from worker.record import Record, Section, TocEntry, Turn
from worker.render import escape_markdown, render_markdown, render_text, turn_label

FIXTURES = sorted(PAGES.glob("*.json"), key=lambda p: p.name)


def load(name: str) -> Record:
    return fixture_record(name)


def small_record(**changes: object) -> Record:
    record = Record(
        url="https://example.org/b/1",
        site="generic",
        language="en",
        title="Briefing by Foreign Ministry Spokeswoman Maria Zakharova, Moscow, May 29, 2024",
        published="2024-05-29",
        document_number=None,
        speaker="Maria Zakharova",
        place="Moscow",
        toc=(TocEntry("statements", "First topic"), TocEntry("answers", "An exchange")),
        sections=(
            Section("statements", "First topic", paragraphs=("One.", "Two.")),
            Section(
                "answers",
                "An exchange",
                turns=(
                    Turn("question", "TASS", "Why?"),
                    Turn("answer", "Maria Zakharova", "Because.\n\nAnd more."),
                ),
            ),
        ),
    )
    return Record.from_dict({**record.to_dict(), **changes})


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_every_fixture_renders_as_text(path: Path) -> None:
    record = load(path.stem)
    text = render_text(record)
    assert text.endswith("\n")
    assert "\x1b" not in text
    assert record.title.split()[0] in text.splitlines()[0]
    for section in record.sections:
        for turn in section.turns:
            assert f"{turn_label(turn, record.language)}: " in text
    assert ("Contents" in text) == bool(record.toc)
    assert render_text(record) == text


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_every_fixture_renders_as_markdown(path: Path) -> None:
    record = load(path.stem)
    markdown = render_markdown(record)
    assert markdown.startswith(f"# {escape_markdown(record.title)}\n")
    assert ("## Contents" in markdown) == bool(record.toc)
    headings = [s.heading for s in record.sections if s.heading]
    for heading in headings:
        assert f"## {escape_markdown(heading)}\n" in markdown
    assert render_markdown(record) == markdown


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_unwrapped_text_keeps_each_paragraph_on_one_line(path: Path) -> None:
    record = load(path.stem)
    lines = set(render_text(record, width=None).splitlines())
    for section in record.sections:
        for paragraph in section.paragraphs:
            assert paragraph in lines


def test_text_outline_of_a_briefing() -> None:
    text = render_text(load("midru-2024-05-29"))
    lines = text.splitlines()
    assert (
        lines[0] == "Briefing by Foreign Ministry Spokeswoman Maria Zakharova, Moscow, May 29, 2024"
    )
    assert lines[1] == "=" * len(lines[0])
    assert "Date:     2024-05-29T16:14:00+03:00" in lines
    assert "Speaker:  Maria Zakharova" in lines
    assert "Place:    Moscow" in lines
    assert "Document: 1012-29-05-2024" in lines
    assert "Site:     mid.ru" in lines
    assert "URL:      https://mid.ru/en/press_service/spokesman/briefings/1955710/" in lines
    contents = lines.index("Contents")
    assert lines[contents + 1] == "  1. Upcoming meeting of BRICS foreign ministers"
    assert lines[contents + 5] == "  Answers to media questions:"
    assert lines[contents + 6] == "  5. Cooperation with ASEAN on emergency response"
    assert "*** Answers to media questions ***" in lines
    assert any(line.startswith("Question (TASS): Russia and ASEAN") for line in lines)
    assert any(line.startswith("Maria Zakharova: Yes, there is.") for line in lines)
    assert all(len(line) <= 88 for line in lines if not line.startswith("URL:"))
    assert "Warnings" not in text


def test_text_turn_paragraphs_are_indented_under_the_label() -> None:
    text = render_text(small_record())
    assert "Question (TASS): Why?\n\nMaria Zakharova: Because.\n\n    And more.\n" in text


def test_text_skips_missing_metadata_and_ends_with_warnings() -> None:
    record = small_record(document_number=None, place=None, warnings=["toc lists 2, body has 1"])
    lines = render_text(record).splitlines()
    assert not any(line.startswith(("Document:", "Place:")) for line in lines)
    assert lines[-2:] == ["Warnings:", "  - toc lists 2, body has 1"]


def test_russian_labels_follow_the_record_language() -> None:
    record = load("midru-ru-2020-11-05")
    text = render_text(record)
    assert "*** Ответы на вопросы СМИ ***" in text
    assert "\nВопрос: " in text
    assert "\nМ.В.Захарова: " in text
    assert "**Вопрос:** " in render_markdown(record)


def test_chinese_labels_follow_the_record_language() -> None:
    path = PAGES.parent / "real" / "fmprc-zh-2016-11-15-geng-shuang.json"
    record = Record.from_dict(json.loads(path.read_text(encoding="utf-8")))
    text = render_text(record)
    assert "*** 答记者问 ***" in text
    assert "\n问:\n" in text and "\n答:\n" in text  # the page's bare 问：/答： labels
    assert "Question" not in text and "Answers to media questions" not in text


def test_statement_without_headings_or_toc() -> None:
    record = load("midru-statement-2024-08-12")
    text = render_text(record)
    assert "Contents" not in text
    assert "Speaker" not in text
    assert record.sections[0].paragraphs[0][:40] in text.replace("\n", " ")


def test_markdown_document() -> None:
    markdown = render_markdown(load("midru-2024-05-29"))
    assert "- **Date:** 2024-05-29T16:14:00+03:00\n" in markdown
    assert "- **Document:** 1012-29-05-2024\n" in markdown
    assert "- **URL:** <https://mid.ru/en/press_service/spokesman/briefings/1955710/>\n" in markdown
    assert "## Contents\n\n1. Upcoming meeting of BRICS foreign ministers\n" in markdown
    assert "\n\n*Answers to media questions*\n\n5. Cooperation with ASEAN" in markdown
    assert (
        "## Cooperation with ASEAN on emergency response\n\n**Question (TASS):** Russia" in markdown
    )
    assert "\n\n**Maria Zakharova:** Yes, there is." in markdown


def test_markdown_turn_paragraphs_and_warnings() -> None:
    markdown = render_markdown(small_record(warnings=["body ends early"]))
    assert "**Maria Zakharova:** Because.\n\nAnd more.\n" in markdown
    assert markdown.endswith("## Parser warnings\n\n- body ends early\n")


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain words, a-b (c) 50% & co", "plain words, a-b (c) 50% & co"),
        ("*bold* and _it_ and `code`", r"\*bold\* and \_it\_ and \`code\`"),
        ("[link](http://x) <b> ~x~ a\\b", r"\[link\](http://x) \<b\> \~x\~ a\\b"),
        ("# not a heading", r"\# not a heading"),
        ("- not a list", r"\- not a list"),
        ("+ not a list", r"\+ not a list"),
        ("1. not a list, 2. mid-line", r"1\. not a list, 2. mid-line"),
        ("> not a quote", r"\> not a quote"),
        ("&amp; stays literal", "&amp;amp; stays literal"),
    ],
)
def test_escape_markdown(text: str, escaped: str) -> None:
    assert escape_markdown(text) == escaped


def test_markdown_escapes_record_text() -> None:
    record = small_record(
        title="Briefing *today*",
        sections=[{"part": "statements", "heading": "1. Topic_x", "paragraphs": ["# Hash *star*"]}],
    )
    markdown = render_markdown(record)
    assert markdown.startswith("# Briefing \\*today\\*\n")
    assert "## 1\\. Topic\\_x\n\n\\# Hash \\*star\\*\n" in markdown
