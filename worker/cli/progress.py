"""Progress of a long command (backfill, reparse, export to a file, the scale build) on stderr.

Shown only when stderr is a terminal: on a pipe, a file or in cron nothing at all is written
(not even a final line), so logs and redirected output stay clean. The bar is rich's, cleared
when the command ends (its outcome is printed by the command itself).

    with progress_bar("reparse", total=30_000) as bar:
        for ...:
            bar.advance()
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")


class Bar:
    """What a command reports to when stderr is not a terminal: nothing."""

    def advance(self, steps: int = 1) -> None:
        pass

    def update(self, completed: int, total: int | None = None) -> None:
        pass

    def counted(self, items: Iterable[T]) -> Iterator[T]:
        """`items`, advancing the bar after each."""
        for item in items:
            yield item
            self.advance()


class _Rich(Bar):
    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def advance(self, steps: int = 1) -> None:
        self._progress.advance(self._task, steps)

    def update(self, completed: int, total: int | None = None) -> None:
        if total is None:
            self._progress.update(self._task, completed=completed)
        else:
            self._progress.update(self._task, completed=completed, total=total)


def on_terminal(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stderr
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a real file
        return False


@contextmanager
def progress_bar(
    description: str, total: int | None, *, stream: TextIO | None = None, shown: bool = True
) -> Iterator[Bar]:
    """A bar of `total` steps (None: a count and a rate) on `stream` (stderr) if a terminal and
    `shown` (export to stdout passes False: the bar would mix with the records)."""
    stream = stream or sys.stderr
    if not shown or not on_terminal(stream):
        yield Bar()
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=stream), transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield _Rich(progress, task)
