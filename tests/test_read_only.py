"""An archive on a read-only disk, snapshot or with read-only permissions can still be read.

Root ignores file permissions, so as root the test mounts a small tmpfs and remounts it read-only
(skipped where mounting is not allowed); as another user it takes the write bits away.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from worker.archive import Archive
from worker.cli import main

SCHEMA_2 = Path(__file__).parent / "data" / "schema2.db"


@pytest.fixture
def read_only_archive(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "disk"
    folder.mkdir()
    root = os.geteuid() == 0
    if root and subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(folder)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        path = folder / "archive.db"
        path.write_bytes(SCHEMA_2.read_bytes())
        Archive.open(path).close()  # brought to the current schema while still writable
        for extra in folder.glob("archive.db-*"):
            extra.unlink()
        if root:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        else:
            path.chmod(0o444)
            folder.chmod(0o555)
        assert not os.access(path, os.W_OK)
        yield path
    finally:
        if root:
            subprocess.run(["umount", str(folder)], check=False)
        else:
            folder.chmod(0o755)


def test_a_read_only_archive_is_read(read_only_archive: Path) -> None:
    db = str(read_only_archive)
    listed = CliRunner().invoke(main, ["--db", db, "list"])
    assert listed.exit_code == 0, listed.output
    assert "Zakharova" in listed.output
    shown = CliRunner().invoke(main, ["--db", db, "show", "1"])
    assert shown.exit_code == 0 and shown.output.strip()
    found = CliRunner().invoke(main, ["--db", db, "search", "Arctic"])
    assert found.exit_code == 0 and "Arctic" in found.output
    status = CliRunner().invoke(main, ["--db", db, "status"])
    assert status.exit_code == 0, status.output


def test_a_write_to_a_read_only_archive_fails_in_one_line(read_only_archive: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(read_only_archive), "forget", "1", "--yes"])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "readonly" in result.stderr and str(read_only_archive) in result.stderr
