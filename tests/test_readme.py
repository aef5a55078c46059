"""The README is the user's manual: every command and option is in it, and its test command is
the one CI runs."""

from __future__ import annotations

import os
import re
import sqlite3
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


def _section(name: str) -> str:
    """The README's section for `briefings NAME`: from its heading to the next heading."""
    parts = re.split(rf"^### `briefings {re.escape(name)}\b", README, maxsplit=1, flags=re.MULTILINE)
    assert len(parts) == 2, f"no README section for `briefings {name}`"
    return re.split(r"^#{1,3} ", parts[1], maxsplit=1, flags=re.MULTILINE)[0]


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_every_command_and_option_is_documented(name: str, command: click.Command) -> None:
    """Each option in its own command's section: a user reads one section, not the whole file."""
    section = _section(name)
    for param in command.params:
        for option in (*param.opts, *param.secondary_opts):
            if option.startswith("--") and option != "--help":
                assert option in section, f"`briefings {name} {option}` is not in its README section"


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


def _archive_from_fixtures(tmp_path: Path) -> Path:
    """The schema-2 fixture archive (every fixture page, one briefing edited twice, a question
    from TASS), upgraded: what the README's statements are run on."""
    from worker.archive import Archive

    path = tmp_path / "archive.db"
    path.write_bytes((ROOT / "tests" / "data" / "schema2.db").read_bytes())
    Archive.open(path).close()
    return path


def _statements() -> dict[str, str]:
    """The README's SQL statements by their first line's comment."""
    section = README.split("### Reading the archive with SQL", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sql\n(.+?)```", section, re.DOTALL)
    return {block.split("\n", 1)[0].removeprefix("-- "): block for block in blocks}


def test_the_readmes_sql_answers_its_questions(tmp_path: Path) -> None:
    conn = sqlite3.connect(_archive_from_fixtures(tmp_path))
    statements = _statements()

    def run(name: str) -> list[tuple[Any, ...]]:
        return conn.execute(statements[name]).fetchall()

    answers = run("every answer a given speaker gave containing a word (latest versions; FTS5 query syntax)")
    assert len(answers) == 2 and all("Arctic" in row[3] for row in answers)
    assert {row[2] for row in answers} == {"Scientific cooperation in the Arctic"}
    per_month = run("questions per outlet per month")
    assert ("2018-06", "TASS", 1) in per_month
    assert sum(row[2] for row in per_month) == conn.execute(
        "SELECT count(*) FROM texts JOIN latest_versions AS v ON v.id = texts.version_id"
        " WHERE role = 'question'"
    ).fetchone()[0]
    edited = run("briefings edited after they were first seen")
    assert [(row[0], row[2]) for row in edited] == [(1, 2)]
    assert run("what changed this week") == []  # the fixture's edits are from 2024
    conn.close()


def test_the_documented_capture_format_reads_every_capture(tmp_path: Path) -> None:
    """The README's reader (only sqlite3 and zstandard) gives each capture's raw bytes."""
    from worker.archive import Archive, captures

    section = README.split("### Reading the archive with SQL", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    path = _archive_from_fixtures(tmp_path)
    with Archive.open(path) as archive:
        ids = [row[0] for row in archive.conn.execute("SELECT id FROM captures")]
        expected = {capture_id: captures.load(archive, capture_id).body for capture_id in ids}
    assert any(
        row[0] is not None
        for row in sqlite3.connect(path).execute("SELECT dictionary_id FROM captures")
    )
    namespace: dict[str, Any] = {}
    cwd = Path.cwd()
    try:
        os.chdir(tmp_path)
        exec(compile(code, "README.md", "exec"), namespace)
        for capture_id, body in expected.items():
            assert namespace["capture"](capture_id) == body
        namespace["db"].close()
    finally:
        os.chdir(cwd)


def test_the_pipeline_tables_modules_exist() -> None:
    """The pipeline table names each stage's modules: a renamed or merged module must update it."""
    table = README.split("| stage | modules | what it does |", 1)[1].split("\n\n", 1)[0]
    for row in table.strip().splitlines()[1:]:
        stage_cell = row.split("|")[2]
        folder = re.match(r" `(worker/[a-z_]+(?:/|\.py))`", stage_cell)
        assert folder, row
        base = ROOT / folder.group(1)
        assert base.exists(), folder.group(1)
        for name in re.findall(r"`([a-z_]+(?:\.py|/))`", stage_cell.split(":", 1)[-1]):
            assert (base / name).exists(), f"{folder.group(1)}{name} is in the README but not in worker/"
