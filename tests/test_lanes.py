"""`worker.pipeline.runs`: a run's pages grouped by host, a lane (thread) per host, errors and stop."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from worker.pipeline.runs import by_server, run_in_lanes

URLS = [
    "https://a.example/1",
    "https://B.example./1",
    "https://a.example/2",
    "https://c.example/1",
    "https://b.example/2",
]


def test_urls_grouped_by_server_in_order() -> None:
    assert by_server(URLS) == {
        "a.example": ["https://a.example/1", "https://a.example/2"],
        "b.example": ["https://B.example./1", "https://b.example/2"],
        "c.example": ["https://c.example/1"],
    }


def test_www_and_the_bare_name_share_a_lane_as_they_share_a_pace() -> None:
    assert by_server(["https://www.mid.ru/1", "https://mid.ru/2", "https://archive.mid.ru/3"]) == {
        "mid.ru": ["https://www.mid.ru/1", "https://mid.ru/2"],
        "archive.mid.ru": ["https://archive.mid.ru/3"],
    }


class Lanes:
    """Records which context and thread archived each URL."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.opened: list[str] = []
        self.done: list[tuple[str, str, str]] = []  # (context, thread, url)

    @contextmanager
    def context(self, parent: str) -> Iterator[str]:
        with self.lock:
            name = f"lane-{len(self.opened)}"
            self.opened.append(name)
        yield name

    def work(self, ctx: str, url: str) -> str:
        with self.lock:
            self.done.append((ctx, threading.current_thread().name, url))
        return url


def test_one_host_runs_in_the_callers_thread_and_context() -> None:
    lanes = Lanes()
    counted: list[str] = []
    urls = ["https://a.example/1", "https://a.example/2"]
    finished = run_in_lanes(
        "caller", urls, lanes.work, stop=threading.Event(), count=counted.append,
        lane_context=lanes.context,
    )  # fmt: skip
    assert finished
    assert counted == urls
    assert lanes.opened == []
    assert {(ctx, thread) for ctx, thread, _ in lanes.done} == {
        ("caller", threading.current_thread().name)
    }


def test_several_hosts_get_a_lane_each_with_its_own_context() -> None:
    lanes = Lanes()
    counted: list[str] = []
    finished = run_in_lanes(
        "caller", URLS, lanes.work, stop=threading.Event(), count=counted.append,
        lane_context=lanes.context,
    )  # fmt: skip
    assert finished
    assert sorted(counted) == sorted(URLS)
    assert len(lanes.opened) == 3
    contexts_by_server: dict[str, set[str]] = {}
    for ctx, thread, url in lanes.done:
        assert thread != threading.current_thread().name
        contexts_by_server.setdefault(url.split("/")[2].lower().rstrip("."), set()).add(ctx)
    # Each host's pages went through one lane's context, in the host's order.
    assert all(len(contexts) == 1 for contexts in contexts_by_server.values())
    assert [u for _, _, u in lanes.done if "a.example" in u] == URLS[0:3:2]


def test_a_failing_lane_raises_once_every_lane_has_ended() -> None:
    lanes = Lanes()

    def work(ctx: str, url: str) -> str:
        if url.startswith("https://c.example"):
            raise OSError("disk full")
        return lanes.work(ctx, url)

    with pytest.raises(OSError, match="disk full"):
        run_in_lanes(
            "caller", URLS, work, stop=threading.Event(), count=lambda _: None,
            lane_context=lanes.context,
        )  # fmt: skip
    assert not [t for t in threading.enumerate() if t.name.startswith("lane")]


def test_a_set_stop_ends_every_lane_before_its_next_page() -> None:
    lanes = Lanes()
    stop = threading.Event()

    def work(ctx: str, url: str) -> str:
        stop.set()  # the first page of each lane stops the run
        return lanes.work(ctx, url)

    finished = run_in_lanes(
        "caller", URLS, work, stop=stop, count=lambda _: None, lane_context=lanes.context
    )
    assert not finished
    # A lane that had started a page finished it; none started a second one.
    per_lane = [ctx for ctx, _, _ in lanes.done]
    assert all(per_lane.count(ctx) == 1 for ctx in set(per_lane))
