"""Every fixture page parses to its expected record; every bad input is refused with its reason."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from worker import parse_page
from worker.errors import ExtractError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
INDEX: list[dict[str, Any]] = json.loads((FIXTURES / "index.json").read_text(encoding="utf-8"))


def _entries(kind: str) -> list[dict[str, Any]]:
    return [entry for entry in INDEX if entry["kind"] == kind]


def _parse(entry: dict[str, Any]) -> dict[str, Any]:
    body = (FIXTURES / entry["path"]).read_bytes()
    record = parse_page(body, url=entry["url"], headers={"Content-Type": entry["content_type"]})
    return record.to_dict()


@pytest.mark.parametrize("entry", _entries("page"), ids=lambda e: e["name"])
def test_page_parses_to_its_expected_record(entry: dict[str, Any]) -> None:
    expected = json.loads(
        (FIXTURES / entry["path"]).with_suffix(".json").read_text(encoding="utf-8")
    )
    got = _parse(entry)
    got.pop("warnings")
    expected.pop("warnings")
    assert got == expected


@pytest.mark.parametrize("entry", _entries("bad"), ids=lambda e: e["name"])
def test_bad_input_is_refused_with_its_reason(entry: dict[str, Any]) -> None:
    expected = json.loads(
        (FIXTURES / entry["path"]).with_suffix(".json").read_text(encoding="utf-8")
    )
    with pytest.raises(ExtractError) as refused:
        _parse(entry)
    assert refused.value.reason == expected["error"]
    assert entry["url"] in str(refused.value)


def test_truncated_page_warns_that_the_body_ends_early() -> None:
    entry = next(e for e in INDEX if e["name"] == "globalsecurity-2021-03-04-truncated")
    warnings = _parse(entry)["warnings"]
    assert any("body ends before the TOC's last entry" in w for w in warnings)


def test_clean_pages_have_no_warnings() -> None:
    for entry in _entries("page"):
        if "truncated" not in entry["name"]:
            assert _parse(entry)["warnings"] == [], entry["name"]


def test_record_round_trips_through_its_dict() -> None:
    from worker.record import Record

    for entry in _entries("page"):
        data = _parse(entry)
        assert Record.from_dict(data).to_dict() == data


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/fixtures is not beside this checkout")
def test_fixture_copy_matches_shared_fixtures() -> None:
    """tests/fixtures is a verbatim copy of ../shared/fixtures: refresh it when this fails."""
    comparison = filecmp.dircmp(SHARED, FIXTURES)
    stack = [comparison]
    while stack:
        current = stack.pop()
        # The golden records of the real pages (real/NAME.json) are this project's own additions.
        added = [
            name
            for name in current.right_only
            if Path(current.right) == FIXTURES / "real" and name.endswith(".json")
        ]
        assert not current.left_only and len(added) == len(current.right_only), (
            current.left_only,
            current.right_only,
        )
        _, mismatch, errors = filecmp.cmpfiles(
            current.left, current.right, current.common_files, shallow=False
        )
        assert not mismatch and not errors, mismatch + errors
        stack.extend(current.subdirs.values())


@pytest.mark.parametrize("entry", _entries("page"), ids=lambda e: e["name"])
def test_generic_rules_alone_parse_every_page(entry: dict[str, Any]) -> None:
    """A mirror with no profile of its own: the generic rules give the same record, save the
    site name and the time zone that only a site profile knows."""
    expected = json.loads(
        (FIXTURES / entry["path"]).with_suffix(".json").read_text(encoding="utf-8")
    )
    body = (FIXTURES / entry["path"]).read_bytes()
    got = parse_page(
        body,
        url="https://mirror.example/briefing.html",
        site="generic",
        headers={"Content-Type": entry["content_type"]},
    ).to_dict()
    for record in (got, expected):
        record.pop("warnings")
        record.pop("url")
        record.pop("site")
        if record["published"]:
            record["published"] = record["published"].removesuffix("+03:00")
    assert got == expected
