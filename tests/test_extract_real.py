"""The nine real pages (tests/fixtures/real, a copy of ../shared/fixtures/real): each parses to the
golden record written by reading it, and every fact a careful reader checked holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from worker import parse_page
from worker.cli import main

REAL = Path(__file__).parent / "fixtures" / "real"
INDEX: list[dict[str, Any]] = json.loads((REAL / "index.json").read_text(encoding="utf-8"))
SITES = {"fmprc": "fmprc", "whitehouse": "whitehouse", "midru": "mid.ru"}


def _parse(entry: dict[str, Any]) -> dict[str, Any]:
    body = (REAL / entry["path"]).read_bytes()
    record = parse_page(body, url=entry["url"], headers={"Content-Type": entry["content_type"]})
    return record.to_dict()


def _texts(record: dict[str, Any]) -> list[str]:
    """Every paragraph and turn text, in page order."""
    texts: list[str] = []
    for section in record["sections"]:
        texts.extend(section.get("paragraphs", []))
        texts.extend(turn["text"] for turn in section.get("turns", []))
    return texts


@pytest.mark.parametrize("entry", INDEX, ids=lambda e: e["name"])
def test_real_page_parses_to_its_golden_record(entry: dict[str, Any]) -> None:
    expected = json.loads((REAL / f"{entry['name']}.json").read_text(encoding="utf-8"))
    got = _parse(entry)
    got.pop("warnings")
    expected.pop("warnings")
    assert got == expected


@pytest.mark.parametrize("entry", INDEX, ids=lambda e: e["name"])
def test_real_page_facts_hold(entry: dict[str, Any]) -> None:
    facts = entry["facts"]
    record = _parse(entry)
    assert record["title"] == facts["title"]
    assert (record["published"] or "")[:10] == facts["published"]
    # "耿爽 (Geng Shuang)": the name as the page prints it, another form in brackets.
    assert record["speaker"] == facts["speaker"].split(" (")[0]
    questions = sum(
        1
        for section in record["sections"]
        for turn in section.get("turns", [])
        if turn["role"] == "question"
    )
    assert abs(questions - facts["questions_approx"]) <= 1
    assert (questions > 0) == facts["has_qa"]
    texts = _texts(record)
    assert texts[0].startswith(facts["first_sentence"])
    assert texts[-1].endswith(facts["last_sentence"])
    if "document_number" in facts:
        assert record["document_number"] == facts["document_number"]
    if "time" in facts:
        assert record["published"][11:16] == facts["time"]
    if "question_labels" in facts:
        askers = [
            turn["speaker"]
            for section in record["sections"]
            for turn in section.get("turns", [])
            if turn["role"] == "question"
        ]
        assert askers == facts["question_labels"]


@pytest.mark.parametrize("entry", INDEX, ids=lambda e: e["name"])
def test_parse_with_url_picks_the_site_profile(entry: dict[str, Any]) -> None:
    result = CliRunner().invoke(
        main, ["parse", str(REAL / entry["path"]), "--url", entry["url"], "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["site"] == SITES[entry["name"].split("-")[0]]


def test_chrome_never_reaches_a_record() -> None:
    chrome = ("Copyright", "Suggest to a friend", "Video Player", "打印本页", "版权所有", "Print")
    for entry in INDEX:
        for text in _texts(_parse(entry)):
            assert not text.startswith(chrome), (entry["name"], text[:60])
