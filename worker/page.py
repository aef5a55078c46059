"""The `Page`: what the fetch stage hands to the extract stage (and what `parse FILE` builds),
and how its bytes become text.

Bytes to text for HTML pages, in the order that respects what the server and page declare:
a byte-order mark; the HTTP `Content-Type` charset; a `<meta>` charset in the first kilobytes;
strict UTF-8; statistical detection; cp1252 with replacement. A declared charset that cannot
decode the bytes strictly is skipped rather than trusted, so a wrong declaration degrades to the
next rule instead of producing replacement characters.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import charset_normalizer


@dataclass(frozen=True)
class Page:
    """One HTTP response body with the facts the extract stage may use.

    `headers` keys are lower-case. `text` is `body` decoded by `decode_html`.
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


# ---- decoding ----------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
# Browsers read the declaration only from the start of the document.
_META_SCAN_BYTES = 4096
# Labels pages use that Python spells differently (WHATWG treats latin-1 as windows-1252).
_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252"}


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return _normalise(match.group(1)) if match else None


def _normalise(label: str) -> str | None:
    label = label.strip().lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _try(body: bytes, encoding: str | None) -> str | None:
    if encoding is None:
        return None
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Return the page's text and the name of the encoding that produced it."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace"), encoding
    declared: list[str | None] = [charset_from_content_type(content_type)]
    meta = _META_CHARSET.search(body[:_META_SCAN_BYTES])
    if meta:
        declared.append(_normalise(meta.group(1).decode("ascii", errors="ignore")))
    declared.append("utf-8")
    for label in declared:
        text = _try(body, label)
        if text is not None and label is not None:
            return text, label
    best = charset_normalizer.from_bytes(body).best()
    if best is not None:
        text = _try(body, best.encoding)
        if text is not None:
            return text, best.encoding
    return body.decode("cp1252", errors="replace"), "cp1252"
