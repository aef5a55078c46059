"""The daemon against a local sample site: schedules, stop, lock, backoff, concurrent writers.

The site is a real HTTP server on 127.0.0.1 serving a mid.ru-style listing and briefing pages
from the fixtures; tests edit its pages, slow it down or break it while the daemon runs. The
end-to-end tests run `python -m worker` as users do, with a 1-second schedule.
"""

from __future__ import annotations

import json
import logging
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import HTML, LISTING, ROOT, fixture_html, midru_listing, toml_table, write_config
from httpserver import LocalServer, Reply

from worker import daemon as daemon_module
from worker.archive import Archive, RunCounts, get_version, resolve_document
from worker.cli.group import setup_logging
from worker.config import Schedule, WorkerConfig, load_config
from worker.daemon import Jobs, _log_run, build_scheduler, period, run_daemon, source_trigger
from worker.pipeline import RunReport
from worker.profiles import load_profiles

BRIEFING = f"{LISTING}1955710/"
OTHER = f"{LISTING}1956688/"
BRIEFING_HTML = fixture_html("midru-2024-05-29")
OTHER_HTML = BRIEFING_HTML.replace(b"May 29, 2024", b"June 6, 2024")
OLD_SENTENCE = (
    "Accreditation for journalists is open on the Foreign Ministry’s website until June 3."
)
NEW_SENTENCE = (
    "Accreditation for journalists is open on the Foreign Ministry’s website until June 5."
)


def page(body: bytes, *, status: int = 200, delay: float = 0.0) -> Reply:
    return Reply(status, body, HTML, delay=delay)


@pytest.fixture
def site() -> Iterator[LocalServer]:
    """A mid.ru-style listing with two briefings; tests edit, slow down or break its pages."""
    with LocalServer() as server:
        server.route(LISTING, page(midru_listing(BRIEFING, OTHER)))
        server.route(BRIEFING, page(BRIEFING_HTML))
        server.route(OTHER, page(OTHER_HTML))
        yield server


def daemon_config(
    tmp_path: Path, site: LocalServer, *, interval: str = "1s", retries: int = 0
) -> Path:
    """The sample source and the recheck job every `interval`; every page due again 1 s on."""
    recheck = toml_table("[recheck]", {"after": ["1s"], "every": "1s", "interval": interval})
    return write_config(
        tmp_path,
        site.url(LISTING),
        link_pattern=r"/briefings/\d{6,8}/$",
        politeness={"retries": retries},
        source={"schedule": {"interval": interval}},
        extra="\n" + recheck,
    )


def config_for(
    tmp_path: Path, site: LocalServer, interval: str = "1s", *, retries: int = 0
) -> WorkerConfig:
    path = daemon_config(tmp_path, site, interval=interval, retries=retries)
    return load_config(path, load_profiles().names)


def query(db: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    except sqlite3.OperationalError:  # the schema is not created yet
        return []
    finally:
        conn.close()


def wait_for(condition: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        time.sleep(0.1)


def version_count(db: Path, path: str) -> int:
    rows = query(
        db,
        "SELECT count(*) FROM versions JOIN documents d ON d.id = document_id"
        " WHERE d.canonical_url LIKE ?",
        f"%{path}",
    )
    return int(rows[0][0]) if rows else 0


# ---- scheduling helpers, in process ----------------------------------------------------------


def test_interval_trigger_with_jitter() -> None:
    trigger = source_trigger(Schedule(interval=3600.0, jitter=300.0))
    now = datetime.now(UTC)
    first = trigger.get_next_fire_time(None, now)
    later = trigger.get_next_fire_time(first, first + timedelta(microseconds=1))
    assert timedelta(hours=1) <= later - first <= timedelta(hours=1, minutes=5)


def test_cron_period_is_the_gap_between_its_runs() -> None:
    assert period(Schedule(interval=None, cron="15 */6 * * *")) == 6 * 3600
    assert period(Schedule(interval=90.0)) == 90.0


def test_scheduler_has_a_job_per_source_and_the_recheck_job_all_due_now(
    tmp_path: Path, site: LocalServer
) -> None:
    config = config_for(tmp_path, site, interval="1h")
    with closing(Jobs(config, tmp_path / "archive.db")) as daemon_jobs:
        scheduler = build_scheduler(daemon_jobs)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"source:sample", "recheck"}
    for job in jobs.values():
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time >= 3600
        assert job.next_run_time <= datetime.now(UTC)


# ---- one cycle, in process -------------------------------------------------------------------


def test_once_archives_every_source_then_rechecks(tmp_path: Path, site: LocalServer) -> None:
    config = config_for(tmp_path, site)
    db = tmp_path / "archive.db"
    assert run_daemon(config, db_path=db, once=True) == 0
    assert version_count(db, BRIEFING) == 1
    assert version_count(db, OTHER) == 1
    kinds = [row[0] for row in query(db, "SELECT kind FROM runs ORDER BY id")]
    assert kinds == ["discover", "recheck"]
    assert not (tmp_path / "archive.db.lock").read_text()


def test_a_failing_source_backs_off_and_is_reported_once(
    tmp_path: Path, site: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    site.route(LISTING, page(b"<html><title>Internal Server Error</title></html>", status=500))
    config = config_for(tmp_path, site, interval="1h")
    db = tmp_path / "archive.db"
    jobs = Jobs(config, db)
    with closing(jobs), caplog.at_level(logging.INFO, logger="worker.daemon"):
        jobs.source("sample", honour_backoff=False)
        jobs.source("sample", honour_backoff=False)
        requests = len(site.paths())
        jobs.source("sample")  # backed off: not even a request
        assert len(site.paths()) == requests
        site.route(LISTING, page(midru_listing(BRIEFING)))
        jobs.source("sample", honour_backoff=False)
    warnings = [
        r for r in caplog.records if r.name == "worker.daemon" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1 and "backing off" in warnings[0].getMessage()
    assert any("working again after 2 failed runs" in r.getMessage() for r in caplog.records)
    streak, until = query(db, "SELECT failure_streak, backed_off_until FROM sources")[0]
    assert (streak, until) == (0, None)


@pytest.mark.parametrize("broken", [LISTING, BRIEFING])
def test_once_exits_1_when_a_source_fails(tmp_path: Path, site: LocalServer, broken: str) -> None:
    """A failed run, or a run whose every page failed, makes `run --once` exit 1 for cron."""
    site.route(broken, page(b"<html><title>Internal Server Error</title></html>", status=500))
    if broken == BRIEFING:
        site.route(LISTING, page(midru_listing(BRIEFING)))
    assert run_daemon(config_for(tmp_path, site), db_path=tmp_path / "archive.db", once=True) == 1


def test_once_exits_1_when_the_recheck_fails(
    tmp_path: Path, site: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failed_recheck(ctx: object, *, stop: object) -> RunReport:
        return RunReport("recheck", "recheck", "t0", "t1", RunCounts(seen=2, failed=2))

    monkeypatch.setattr(daemon_module, "recheck_due", failed_recheck)
    assert run_daemon(config_for(tmp_path, site), db_path=tmp_path / "archive.db", once=True) == 1


@pytest.mark.parametrize(
    "error", [sqlite3.OperationalError("disk I/O error"), OSError(28, "No space left on device")]
)
def test_an_archive_or_disk_error_fails_the_source_job_in_one_line(
    tmp_path: Path,
    site: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    def broken_run(*args: object, **kwargs: object) -> RunReport:
        raise error

    monkeypatch.setattr(daemon_module, "run_source", broken_run)
    db = tmp_path / "archive.db"
    jobs = Jobs(config_for(tmp_path, site, interval="1h"), db)
    with closing(jobs), caplog.at_level(logging.INFO, logger="worker.daemon"):
        assert jobs.source("sample") is False
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert line.startswith("source sample: job failed: ") and type(error).__name__ in line
    assert "\n" not in line
    streak, until = query(db, "SELECT failure_streak, backed_off_until FROM sources")[0]
    assert streak == 1 and until is not None  # settled: backed off like any failed run
    assert run_daemon(jobs.config, db_path=db, once=True) == 1


def test_an_archive_error_fails_the_recheck_job_in_one_line(
    tmp_path: Path,
    site: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken_recheck(*args: object, **kwargs: object) -> RunReport:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(daemon_module, "recheck_due", broken_recheck)
    jobs = Jobs(config_for(tmp_path, site), tmp_path / "archive.db")
    with closing(jobs), caplog.at_level(logging.INFO, logger="worker.daemon"):
        assert jobs.recheck() is False
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert line == "recheck: job failed: DatabaseError: database disk image is malformed"


def test_a_bug_in_a_job_is_not_swallowed(
    tmp_path: Path, site: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def buggy_run(*args: object, **kwargs: object) -> RunReport:
        raise KeyError("bug")

    monkeypatch.setattr(daemon_module, "run_source", buggy_run)
    jobs = Jobs(config_for(tmp_path, site), tmp_path / "archive.db")
    with closing(jobs), pytest.raises(KeyError):
        jobs.source("sample")


def test_jobs_share_one_fetcher(tmp_path: Path, site: LocalServer) -> None:
    """robots.txt is read once for every job, and pacing holds from one job to the next."""
    with closing(Jobs(config_for(tmp_path, site), tmp_path / "archive.db")) as jobs:
        assert jobs.source("sample", honour_backoff=False)
        assert jobs.source("sample", honour_backoff=False)
        assert jobs.recheck()
    assert site.paths().count("/robots.txt") == 1
    assert site.paths().count(LISTING) == 2


def test_a_stop_ends_a_retry_wait_and_is_no_failure(tmp_path: Path, site: LocalServer) -> None:
    site.route(LISTING, Reply(503, b"", {"Retry-After": "8"}))
    db = tmp_path / "archive.db"
    with closing(Jobs(config_for(tmp_path, site, interval="1h", retries=3), db)) as jobs:
        timer = threading.Timer(0.5, jobs.stop.set)
        timer.start()
        started = time.monotonic()
        assert jobs.run_all_once() is True
        assert time.monotonic() - started < 5.0
    assert site.paths().count(LISTING) == 1
    assert query(db, "SELECT failure_streak FROM sources WHERE failure_streak > 0") == []
    [(error,)] = query(db, "SELECT error FROM runs")
    assert "stopping" in error


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_run_line_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(logging.INFO, "json")
    _log_run(RunReport("sample", "discover", "t0", "t1", RunCounts(3, 1, 1, 1, 0, 0)))
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["level"] == "info" and line["logger"] == "worker.daemon"
    assert line["source"] == "sample"
    assert line["msg"] == (
        "discover sample: seen 3, new 1, changed 1, unchanged 1, not modified 0, failed 0"
    )
    assert set(line) >= {"ts", "level", "logger", "msg"}


# ---- the daemon as users run it --------------------------------------------------------------


def briefings(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "worker", "--config", str(config), *args]


@pytest.fixture
def daemon(tmp_path: Path, site: LocalServer) -> Iterator[subprocess.Popen[str]]:
    """`briefings run` on the sample site with a 1-second schedule."""
    process = subprocess.Popen(
        briefings(daemon_config(tmp_path, site), "run"),
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: version_count(tmp_path / "archive.db", BRIEFING) == 1)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def stop(process: subprocess.Popen[str], timeout: float = 5.0) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    _, err = process.communicate(timeout=timeout)
    assert time.monotonic() - started < timeout
    return process.returncode, err


def test_daemon_runs_every_second_and_sigterm_exits_0(
    tmp_path: Path, daemon: subprocess.Popen[str]
) -> None:
    db = tmp_path / "archive.db"
    wait_for(lambda: len(query(db, "SELECT id FROM runs WHERE kind = 'discover'")) >= 3)
    code, err = stop(daemon)
    assert code == 0, err
    assert "daemon stopped" in err
    assert not (tmp_path / "archive.db.lock").read_text()


def slow_page_in_flight(site: LocalServer) -> None:
    """Slow the site down and wait until the daemon is waiting for a briefing page."""
    site.route(BRIEFING, page(BRIEFING_HTML, delay=1.5))
    site.route(OTHER, page(OTHER_HTML, delay=1.5))
    seen = len(site.paths())
    wait_for(lambda: site.paths()[seen:] and site.paths()[-1] in (BRIEFING, OTHER))


def fetch_count(db: Path) -> int:
    return int(query(db, "SELECT count(*) FROM fetches")[0][0])


def test_sigterm_lets_the_current_page_finish_then_exits_0(
    tmp_path: Path, site: LocalServer, daemon: subprocess.Popen[str]
) -> None:
    db = tmp_path / "archive.db"
    slow_page_in_flight(site)
    before = fetch_count(db)
    code, err = stop(daemon)
    assert code == 0, err
    assert fetch_count(db) == before + 1  # the page in flight was stored, no other was started


def test_sigterm_during_a_retry_after_wait_exits_0_at_once(
    tmp_path: Path, site: LocalServer
) -> None:
    """Without this, a page in retry kept the daemon alive for minutes past systemd's timeout."""
    site.route(LISTING, Reply(503, b"", {"Retry-After": "600"}))
    config = daemon_config(tmp_path, site, interval="1h", retries=3)
    process = subprocess.Popen(briefings(config, "run"), cwd=ROOT, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    try:
        wait_for(lambda: LISTING in site.paths())
        time.sleep(0.3)  # in the Retry-After wait
        code, err = stop(process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    assert code == 0, err
    assert "daemon stopped" in err
    assert site.paths().count(LISTING) == 1


def test_a_second_signal_stops_at_once(
    tmp_path: Path, site: LocalServer, daemon: subprocess.Popen[str]
) -> None:
    slow_page_in_flight(site)
    daemon.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    daemon.send_signal(signal.SIGINT)
    _, err = daemon.communicate(timeout=5)
    assert daemon.returncode == 1
    assert "second signal" in err
    assert query(tmp_path / "archive.db", "PRAGMA integrity_check") == [("ok",)]


def test_a_second_daemon_is_refused(tmp_path: Path, daemon: subprocess.Popen[str]) -> None:
    second = subprocess.run(
        briefings(tmp_path / "worker.toml", "run"), cwd=ROOT, capture_output=True, text=True,
        timeout=20,
    )  # fmt: skip
    assert second.returncode == 1
    assert str(tmp_path / "archive.db.lock") in second.stderr
    assert f"PID {daemon.pid}" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1
    assert stop(daemon)[0] == 0


def test_a_manual_fetch_during_a_run_succeeds(
    tmp_path: Path, site: LocalServer, daemon: subprocess.Popen[str]
) -> None:
    for _ in range(3):
        manual = subprocess.run(
            briefings(tmp_path / "worker.toml", "fetch", "--force", site.url(BRIEFING)),
            cwd=ROOT, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert manual.returncode == 0, manual.stderr
        assert "locked" not in manual.stderr
    assert stop(daemon)[0] == 0


def test_a_page_edited_between_runs_becomes_a_version(
    tmp_path: Path, site: LocalServer, daemon: subprocess.Popen[str]
) -> None:
    db = tmp_path / "archive.db"
    edited = BRIEFING_HTML.replace(OLD_SENTENCE.encode(), NEW_SENTENCE.encode())
    assert edited != BRIEFING_HTML
    site.route(BRIEFING, page(edited))
    wait_for(lambda: version_count(db, BRIEFING) == 2)
    code, err = stop(daemon)
    assert code == 0, err
    with Archive.open(db) as archive:
        document = resolve_document(archive, site.url(BRIEFING))
        record = get_version(archive, document.id, 2).record
    assert any(NEW_SENTENCE in p for s in record.sections for p in s.paragraphs)
    assert version_count(db, OTHER) == 1


def test_the_lock_of_a_killed_daemon_is_taken_over(
    tmp_path: Path, site: LocalServer, daemon: subprocess.Popen[str]
) -> None:
    daemon.kill()
    daemon.wait()
    assert (tmp_path / "archive.db.lock").read_text().strip() == str(daemon.pid)
    config = tmp_path / "worker.toml"
    again = subprocess.run(briefings(config, "run", "--once"), cwd=ROOT, capture_output=True,
                           text=True, timeout=30)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert query(tmp_path / "archive.db", "PRAGMA integrity_check") == [("ok",)]


def test_once_with_json_logs(tmp_path: Path, site: LocalServer) -> None:
    done = subprocess.run(
        briefings(daemon_config(tmp_path, site), "run", "--once", "--log-format", "json"),
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    runs = [line for line in lines if line["logger"] == "worker.daemon"]
    assert [line["msg"].split(":")[0] for line in runs] == ["discover sample", "recheck recheck"]
    assert runs[0]["source"] == "sample"
    outcomes = [line["outcome"] for line in lines if "outcome" in line]
    assert outcomes[:2] == ["new", "new"]
    assert set(outcomes) <= {"new", "unchanged", "not-modified"}  # the recheck may come too soon
