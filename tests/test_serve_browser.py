"""`briefings serve` in a real browser: Debian's headless Chromium, driven by Playwright (its own
browser download is never used), searches a word, opens a hit, reads the briefing's turns with
their speakers, follows the link to the diff, and saves screenshots under the test's folder.
`.ci/run` installs chromium when it is missing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from servehelp import fixture_archive, serving

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed: apt-get install -y chromium")
    return found


@pytest.fixture
def base(tmp_path: Path) -> Iterator[str]:
    with serving(fixture_archive(tmp_path)) as url:
        yield url


def test_search_open_a_hit_read_the_turns_and_follow_the_diff(base: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1600})
            page.set_default_timeout(30_000)
            page.goto(f"{base}/archive/texts")
            page.fill("input[name=_search]", "Arctic")
            page.press("input[name=_search]", "Enter")
            page.wait_for_url("**_search=Arctic**")
            hit = page.locator("tr", has_text="follow-up question about the Arctic")
            expect(hit.first).to_be_visible()
            page.screenshot(path=str(tmp_path / "search.png"), full_page=True)

            hit.first.locator("a[href^='/-/briefing/']").first.click()
            page.wait_for_url("**/-/briefing/1/3")
            speakers = page.locator(".turn .speaker")
            expect(speakers.filter(has_text="Question (TASS)")).to_have_count(1)
            expect(speakers.filter(has_text="Maria Zakharova").first).to_be_visible()
            expect(page.locator(".role-question").first).to_be_visible()
            page.screenshot(path=str(tmp_path / "briefing.png"), full_page=True)

            page.click("a.diff-link")
            page.wait_for_url("**/-/briefing/1/3/diff")
            expect(page.locator(".diff-added").first).to_contain_text(
                "A follow-up question about the Arctic?"
            )
            page.screenshot(path=str(tmp_path / "diff.png"), full_page=True)
        finally:
            browser.close()
    for name in ("search.png", "briefing.png", "diff.png"):
        assert (tmp_path / name).stat().st_size > 10_000
