"""Notifications from the daemon, end to end: a real sample site on 127.0.0.1, `run --once`,
and a `[[notify]]` whose Apprise URL (`json://`) posts to a real local HTTP receiver.

A new briefing, an edit and a 404 each arrive once with their title, link and (for the edit) the
diff; a receiver that is down gets the events at the next run; a restart sends nothing twice.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import HTML, LISTING, fixture_html, midru_listing, write_config
from httpserver import LocalServer, Reply

from worker.cli import main
from worker.config import load_config
from worker.daemon import run_daemon
from worker.errors import ConfigError
from worker.profiles import load_profiles

BRIEFING = f"{LISTING}1955710/"
OTHER = f"{LISTING}1956688/"
BRIEFING_HTML = fixture_html("midru-2024-05-29")
OTHER_HTML = BRIEFING_HTML.replace(b"May 29, 2024", b"June 6, 2024")
OLD = "Accreditation for journalists is open on the Foreign Ministry’s website until June 3."
NEW = "Accreditation for journalists is open on the Foreign Ministry’s website until June 5."
TITLE = "Briefing by Foreign Ministry Spokeswoman Maria Zakharova, Moscow, May 29, 2024"


class Receiver:
    """A local HTTP endpoint that keeps every JSON body posted to it (Apprise's `json://`)."""

    def __init__(self, port: int = 0) -> None:
        self.posts: list[dict[str, Any]] = []
        received = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def titles(self) -> list[str]:
        return [post["title"] for post in self.posts]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    served = Receiver()
    yield served
    served.close()


def free_port() -> int:
    """A port nothing listens on (a receiver that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def site() -> Iterator[LocalServer]:
    with LocalServer() as server:
        server.route(LISTING, Reply(200, midru_listing(BRIEFING), HTML))
        server.route(BRIEFING, Reply(200, BRIEFING_HTML, HTML))
        yield server


def notify_config(
    tmp_path: Path, site: LocalServer, port: int | None, extra: str = "", schedule: str = ""
) -> Path:
    """The sample source, then `schedule` (TOML) and a `[[notify]]` table posting to `port`."""
    notify = (
        f"""
[[notify]]
name = "desk"
urls = ["json://127.0.0.1:{port}/"]
{extra}
"""
        if port is not None
        else ""
    )
    return write_config(
        tmp_path,
        site.url(LISTING),
        link_pattern=r"/briefings/\d{6,8}/$",
        extra=schedule + notify,
    )


def run_once(config_path: Path) -> int:
    config = load_config(config_path, load_profiles().names)
    return run_daemon(config, db_path=None, once=True)


def make_due(db: Path) -> None:
    """Every document due for its recheck now (instead of waiting for the schedule)."""
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE documents SET next_check_at = '2000-01-01T00:00:00+00:00'")


def test_new_edit_and_404_each_arrive_once_with_their_content(
    tmp_path: Path, site: LocalServer, receiver: Receiver
) -> None:
    config = notify_config(tmp_path, site, receiver.port)
    db = tmp_path / "archive.db"
    assert run_once(config) == 0
    assert receiver.titles == [f"New briefing: {TITLE}"]
    first = receiver.posts[0]["message"]
    assert site.url(BRIEFING) in first and "2024-05-29" in first and "mid.ru" in first

    site.route(BRIEFING, Reply(200, BRIEFING_HTML.replace(OLD.encode(), NEW.encode()), HTML))
    make_due(db)
    assert run_once(config) == 0
    assert receiver.titles[1:] == [f"Changed (version 2): {TITLE}"]
    edit = receiver.posts[1]["message"]
    assert site.url(BRIEFING) in edit
    assert "1 turn changed" in edit or "1 section changed" in edit
    assert "until June [-3.-]{+5.+}" in edit  # the turn-level diff, words marked

    site.route(BRIEFING, Reply(404, b"<html>Not found</html>", HTML))
    make_due(db)
    assert run_once(config) == 0
    assert receiver.titles[2:] == [f"Gone from the site: {TITLE}"]
    assert site.url(BRIEFING) in receiver.posts[2]["message"]

    assert run_once(config) == 0  # a restart with nothing new: nothing is sent again
    assert len(receiver.posts) == 3


def test_a_receiver_that_is_down_gets_the_events_at_the_next_run(
    tmp_path: Path, site: LocalServer
) -> None:
    port = free_port()
    config = notify_config(tmp_path, site, port)
    db = tmp_path / "archive.db"
    assert run_once(config) == 0  # the failed send never fails the run
    with sqlite3.connect(db) as conn:
        failures, error = conn.execute(
            "SELECT failures, last_error FROM notify_targets WHERE name = 'desk'"
        ).fetchone()
    assert failures >= 1 and "Connection error" in error  # tried after each job of the run

    receiver = Receiver(port)
    try:
        assert run_once(config) == 0
        assert receiver.titles == [f"New briefing: {TITLE}"]
        assert run_once(config) == 0
        assert len(receiver.posts) == 1
    finally:
        receiver.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT failures, last_error FROM notify_targets").fetchone() == (
            0,
            None,
        )


def test_more_events_than_digest_after_make_one_digest(
    tmp_path: Path, site: LocalServer, receiver: Receiver
) -> None:
    site.route(LISTING, Reply(200, midru_listing(BRIEFING, OTHER), HTML))
    site.route(OTHER, Reply(200, OTHER_HTML, HTML))
    config = notify_config(tmp_path, site, receiver.port, "digest_after = 1")
    assert run_once(config) == 0
    assert receiver.titles == ["2 briefing events: 2 new"]
    body = receiver.posts[0]["message"]
    assert site.url(BRIEFING) in body and site.url(OTHER) in body


def test_only_the_events_a_target_wants(
    tmp_path: Path, site: LocalServer, receiver: Receiver
) -> None:
    config = notify_config(tmp_path, site, receiver.port, 'events = ["gone"]')
    assert run_once(config) == 0
    assert receiver.posts == []
    site.route(BRIEFING, Reply(410, b"<html>Gone</html>", HTML))
    make_due(tmp_path / "archive.db")
    assert run_once(config) == 0
    assert receiver.titles == [f"Gone from the site: {TITLE}"]


def test_a_failing_source_and_its_recovery_are_told_once_each(
    tmp_path: Path, site: LocalServer, receiver: Receiver
) -> None:
    config = notify_config(tmp_path, site, receiver.port, 'events = ["source-failing", "source-recovered"]')  # fmt: skip
    site.route(LISTING, Reply(500, b"<html>Internal Server Error</html>", HTML))
    assert run_once(config) == 1
    assert run_once(config) == 1
    assert receiver.titles == ["Source failing: sample"]
    assert "500" in receiver.posts[0]["message"]
    site.route(LISTING, Reply(200, midru_listing(BRIEFING), HTML))
    assert run_once(config) == 0
    assert run_once(config) == 0
    assert receiver.titles == ["Source failing: sample", "Source working again: sample"]


def test_a_new_target_does_not_get_the_archives_past(
    tmp_path: Path, site: LocalServer, receiver: Receiver
) -> None:
    assert run_once(notify_config(tmp_path, site, None)) == 0  # one briefing, no [[notify]]
    assert run_once(notify_config(tmp_path, site, receiver.port)) == 0
    assert receiver.posts == []


def test_notify_test_sends_a_test_message(
    tmp_path: Path, site: LocalServer, receiver: Receiver
) -> None:
    config = notify_config(tmp_path, site, receiver.port)
    result = CliRunner().invoke(main, ["--config", str(config), "notify", "--test"])
    assert result.exit_code == 0, result.output
    assert "desk: sent" in result.output
    assert receiver.titles == ["briefings-worker: test message"]


def test_notify_test_to_a_receiver_that_is_down_exits_1(tmp_path: Path, site: LocalServer) -> None:
    config = notify_config(tmp_path, site, free_port())
    result = CliRunner().invoke(main, ["--config", str(config), "notify", "--test"])
    assert result.exit_code == 1
    assert "desk: not sent:" in result.output


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('name = "x"\nurls = ["nosuchscheme://x"]', "notify[0].urls[0]"),
        ('name = "x"\nurls = ["json://127.0.0.1:1/"]\nevents = ["edited"]', "notify[0].events[0]"),
        ('urls = ["json://127.0.0.1:1/"]', "notify[0].name"),
        ('name = "x"\nurls = []', "notify[0].urls"),
        ('name = "x"\nurls = ["json://127.0.0.1:1/"]\ndigest_after = 0', "notify[0].digest_after"),
        ('name = "x"\nurls = ["json://127.0.0.1:1/"]\nsend = "now"', "notify[0].send"),
    ],
)
def test_a_bad_notify_table_names_its_key(tmp_path: Path, table: str, key: str) -> None:
    path = tmp_path / "worker.toml"
    path.write_text(f"[[notify]]\n{table}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert error.value.key == key


# ---- the real daemon, stopped and started again ----------------------------------------------

ROOT = Path(__file__).parent.parent
EVERY_SECOND = """
[sources.schedule]
interval = "1s"

[recheck]
after = ["1s"]
every = "1s"
interval = "1s"
"""


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        time.sleep(0.1)


def runs(db: Path) -> int:
    """Runs started so far. A job's next run starts only after its notifications went out,
    so four more runs (two jobs) mean at least one of them was told."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def start_daemon(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "worker", "--config", str(config), "run"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def stop_daemon(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err


def test_the_running_daemon_sends_each_event_once_across_restarts(
    tmp_path: Path, site: LocalServer, receiver: Receiver
) -> None:
    config = notify_config(tmp_path, site, receiver.port, schedule=EVERY_SECOND)
    db = tmp_path / "archive.db"
    daemon = start_daemon(config)
    try:
        wait_for(lambda: len(receiver.posts) == 1)
        stop_daemon(daemon)
        site.route(BRIEFING, Reply(200, BRIEFING_HTML.replace(OLD.encode(), NEW.encode()), HTML))
        daemon = start_daemon(config)
        wait_for(lambda: len(receiver.posts) == 2)
        stop_daemon(daemon)
        daemon = start_daemon(config)
        before = runs(db)
        wait_for(lambda: runs(db) >= before + 4)  # two more rounds of both jobs, told
        stop_daemon(daemon)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    assert receiver.titles == [f"New briefing: {TITLE}", f"Changed (version 2): {TITLE}"]


def test_notify_shows_what_waits_and_what_failed(tmp_path: Path, site: LocalServer) -> None:
    config = notify_config(tmp_path, site, free_port())
    shown = CliRunner().invoke(main, ["--config", str(config), "notify"])
    assert shown.exit_code == 2  # no archive yet: nothing to show
    assert run_once(config) == 0  # the receiver is down: the new briefing waits
    shown = CliRunner().invoke(main, ["--config", str(config), "notify"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("desk: 1 event waiting; last sent or tried ")
    # Tried after each job that had it (one or both, as the parallel jobs end).
    assert re.search(r"; [12] failed sends? in a row, last: A Connection error", shown.output)


def test_notify_without_a_notify_table_names_the_key(tmp_path: Path, site: LocalServer) -> None:
    config = notify_config(tmp_path, site, None)
    result = CliRunner().invoke(main, ["--config", str(config), "notify", "--test"])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {config}: notify: no [[notify]] table is configured"
