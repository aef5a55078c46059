"""The briefing record (`RECORD.md`): the value the extract stage hands to the archive.

Every parsed page becomes one `Record`. Its `to_dict()` is the JSON contract that golden files,
`briefings parse --json`, `briefings show --format json` and outside tools read; `from_dict()`
reads it back. `identity()` is the hash that decides whether a fetch makes a new version: it
covers everything except the page's `url` and the parser's `warnings`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

SCHEMA = 1

Part = Literal["statements", "answers"]
Role = Literal["question", "answer"]

# Fields left out of a version's identity: where the page was found and what the parser noticed
# say nothing about what the ministry published.
NOT_IN_IDENTITY = ("url", "warnings")


@dataclass(frozen=True)
class TocEntry:
    part: Part
    heading: str

    def to_dict(self) -> dict[str, Any]:
        return {"part": self.part, "heading": self.heading}


@dataclass(frozen=True)
class Turn:
    role: Role
    speaker: str | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "speaker": self.speaker, "text": self.text}


@dataclass(frozen=True)
class Section:
    """A statements section holds `paragraphs`; an answers section holds `turns`."""

    part: Part
    heading: str | None
    paragraphs: tuple[str, ...] = ()
    turns: tuple[Turn, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        if self.part == "statements":
            return {"part": self.part, "heading": self.heading, "paragraphs": list(self.paragraphs)}
        return {
            "part": self.part,
            "heading": self.heading,
            "turns": [turn.to_dict() for turn in self.turns],
        }


@dataclass(frozen=True)
class Record:
    url: str | None
    site: str
    language: str
    title: str
    published: str | None
    document_number: str | None
    speaker: str | None
    place: str | None
    toc: tuple[TocEntry, ...]
    sections: tuple[Section, ...]
    warnings: tuple[str, ...] = field(default=())
    schema: int = SCHEMA

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "url": self.url,
            "site": self.site,
            "language": self.language,
            "title": self.title,
            "published": self.published,
            "document_number": self.document_number,
            "speaker": self.speaker,
            "place": self.place,
            "toc": [entry.to_dict() for entry in self.toc],
            "warnings": list(self.warnings),
            "sections": [section.to_dict() for section in self.sections],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def identity(self) -> str:
        """The sha256 of the record's canonical JSON without `url` and `warnings`."""
        data = {k: v for k, v in self.to_dict().items() if k not in NOT_IN_IDENTITY}
        canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def with_url(self, url: str | None) -> Record:
        return replace(self, url=url)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        return cls(
            schema=int(data.get("schema", SCHEMA)),
            url=data.get("url"),
            site=data["site"],
            language=data["language"],
            title=data["title"],
            published=data.get("published"),
            document_number=data.get("document_number"),
            speaker=data.get("speaker"),
            place=data.get("place"),
            toc=tuple(TocEntry(part=e["part"], heading=e["heading"]) for e in data["toc"]),
            warnings=tuple(data.get("warnings", ())),
            sections=tuple(
                Section(
                    part=s["part"],
                    heading=s.get("heading"),
                    paragraphs=tuple(s.get("paragraphs", ())),
                    turns=tuple(
                        Turn(role=t["role"], speaker=t.get("speaker"), text=t["text"])
                        for t in s.get("turns", ())
                    ),
                )
                for s in data["sections"]
            ),
        )
