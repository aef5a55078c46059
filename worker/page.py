"""The `Page`: what the fetch stage hands to the extract stage (and what `parse FILE` builds)."""

from __future__ import annotations

from dataclasses import dataclass, field

from worker.charset import decode_html


@dataclass(frozen=True)
class Page:
    """One HTTP response body with the facts the extract stage may use.

    `headers` keys are lower-case. `text` is `body` decoded by `worker.charset.decode_html`.
    """

    url: str | None
    status: int
    headers: dict[str, str]
    body: bytes
    text: str
    encoding: str
    fetched_at: str | None = field(default=None)

    @classmethod
    def from_bytes(
        cls,
        body: bytes,
        url: str | None = None,
        headers: dict[str, str] | None = None,
        status: int = 200,
        fetched_at: str | None = None,
    ) -> Page:
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        text, encoding = decode_html(body, lowered.get("content-type"))
        return cls(
            url=url,
            status=status,
            headers=lowered,
            body=body,
            text=text,
            encoding=encoding,
            fetched_at=fetched_at,
        )
