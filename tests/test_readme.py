"""The README is the user's manual: every command and option is in it, and its test command is
the one CI runs."""

from __future__ import annotations

import re
from pathlib import Path

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
