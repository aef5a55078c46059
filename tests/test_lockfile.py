"""One daemon per archive: the lock file refuses a second holder and survives a killed one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from worker.daemon.lockfile import hold_archive_lock, lock_path
from worker.errors import ArchiveLocked

HOLDER = """
import sys, time
from pathlib import Path
from worker.daemon.lockfile import hold_archive_lock
with hold_archive_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock of `tmp_path / "archive.db"`."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "archive.db")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "locked\n"
    yield process
    process.kill()
    process.wait()


def test_the_lock_file_sits_beside_the_archive(tmp_path: Path) -> None:
    assert lock_path(tmp_path / "archive.db") == tmp_path / "archive.db.lock"


def test_the_holder_writes_its_pid_and_empties_the_file_on_release(tmp_path: Path) -> None:
    with hold_archive_lock(tmp_path / "archive.db") as path:
        assert path.read_text() == f"{os.getpid()}\n"
    assert path.read_text() == ""


def test_a_second_process_is_refused_naming_the_file_and_the_pid(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    with pytest.raises(ArchiveLocked) as caught, hold_archive_lock(tmp_path / "archive.db"):
        pass
    message = str(caught.value)
    assert str(tmp_path / "archive.db.lock") in message
    assert f"PID {holder.pid}" in message
    assert "\n" not in message


def test_a_second_holder_in_the_same_process_is_refused(tmp_path: Path) -> None:
    with (
        hold_archive_lock(tmp_path / "archive.db"),
        pytest.raises(ArchiveLocked),
        hold_archive_lock(tmp_path / "archive.db"),
    ):
        pass


def test_a_killed_holders_lock_is_taken_over(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert lock_path(tmp_path / "archive.db").read_text() == f"{holder.pid}\n"
    with hold_archive_lock(tmp_path / "archive.db") as path:
        assert path.read_text() == f"{os.getpid()}\n"


def test_a_stale_file_with_a_dead_pid_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    lock_path(tmp_path / "archive.db").write_text(dead.stdout)
    with hold_archive_lock(tmp_path / "archive.db") as path:
        assert path.read_text() == f"{os.getpid()}\n"
