"""The README is the user's manual: every command and option is in it, and its test command is
the one CI runs."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import click
import pytest

from worker.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, click.Command]]:
    assert isinstance(main, click.Group)
    return sorted(main.commands.items())


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_every_command_and_option_is_documented(name: str, command: click.Command) -> None:
    assert f"### `briefings {name}" in README, f"no README section for `briefings {name}`"
    for param in command.params:
        for option in (*param.opts, *param.secondary_opts):
            if option.startswith("--") and option != "--help":
                assert option in README, f"`briefings {name} {option}` is not in the README"


def test_global_options_are_documented() -> None:
    for param in main.params:
        for option in param.opts:
            if option.startswith("--") and option != "--help":
                assert option in README, option


def test_ci_runs_the_readme_test_command() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.+?)\n```", quickstart)
    assert len(commands) == 2, "the Quickstart has exactly two commands"
    assert commands[0].endswith("briefings demo")
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_documented_format_reads_every_record(tmp_path: Path) -> None:
    """The README's reader (only sqlite3 and zstandard) gives each version's record exactly."""
    from worker.archive import Archive, get_version, store_page
    from worker.page import Page
    from worker.record import Record

    section = README.split("### Reading the archive without the worker", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    fixtures = ROOT / "tests" / "fixtures" / "pages"
    path = tmp_path / "archive.db"
    expected = {}
    with Archive.open(path) as archive:
        for name in ("midru-2024-05-29", "globalsecurity-2020-11-05", "midru-ru-2020-11-05"):
            record = Record.from_dict(json.loads((fixtures / f"{name}.json").read_text()))
            url = f"https://example.org/{name}"
            page = Page.from_bytes((fixtures / f"{name}.html").read_bytes(), url=url)
            result = store_page(archive, page, record, source=None, parser_version="p1",
                                duration=0.1)  # fmt: skip
            version = get_version(archive, result.document_id)
            expected[result.document_id] = version.record.to_dict()
    namespace: dict[str, Any] = {}
    cwd = Path.cwd()
    try:
        os.chdir(tmp_path)
        exec(compile(code, "README.md", "exec"), namespace)
        for version_id, record_dict in expected.items():  # one version each: same ids
            assert namespace["record"](version_id) == record_dict
        namespace["db"].close()
    finally:
        os.chdir(cwd)
