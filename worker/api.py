"""The Python API for other programs: `from worker import parse_page`.

It wraps the extract stage, which is pure, with the two things a caller should not have to do:
load the shipped site profiles (once per process) and turn HTML and headers into a `Page`.
"""

from __future__ import annotations

from functools import lru_cache

from worker.extract import extract
from worker.page import Page
from worker.profiles import Profiles, load_profiles
from worker.record import Record


@lru_cache(maxsize=1)
def shipped_profiles() -> Profiles:
    return load_profiles()


def parse_page(
    html: str | bytes,
    url: str | None = None,
    site: str | None = None,
    headers: dict[str, str] | None = None,
    *,
    profiles: Profiles | None = None,
) -> Record:
    """Parse one page's HTML into its record, or raise `ExtractError` (`.reason`).

    `headers` are the HTTP response headers (their `Content-Type` charset decodes bytes); `site`
    names a profile and overrides the one chosen by the URL's host; `profiles` replaces the
    shipped ones.
    """
    profiles = profiles or shipped_profiles()
    if isinstance(html, str):
        page = Page(
            url=url,
            status=200,
            headers={k.lower(): v for k, v in (headers or {}).items()},
            body=html.encode("utf-8"),
            text=html,
            encoding="utf-8",
        )
    else:
        page = Page.from_bytes(html, url=url, headers=headers)
    return extract(page, profiles.choose(url, site))
