"""The importer contract: bytes in, document data out. No Django here.

Every importer returns an `ImportedText` whose `text` is NFC-normalised with
`\n` newlines and whose `blocks` are code-point ranges into that text, in order,
non-overlapping, separated by a blank line ("\n\n").
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


class ImportRefused(ValueError):
    """The input cannot be imported; the message says why, for the user."""


@dataclass(frozen=True)
class Block:
    kind: str  # "heading" | "paragraph" | "list_item"
    start: int
    end: int
    level: int = 0  # heading level 1-6; 0 for other kinds

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "level": self.level,
        }


@dataclass(frozen=True)
class LinkSpan:
    """A hyperlink kept from the source: text[start:end] pointed at url."""

    start: int
    end: int
    url: str

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "url": self.url}


@dataclass
class ImportedText:
    text: str
    blocks: list[Block]
    format: str
    encoding: str
    title: str = ""
    authors: list[str] = field(default_factory=list)
    publisher: str = ""
    source_url: str = ""
    published_date: datetime.date | None = None
    keywords: list[str] = field(default_factory=list)
    language: str = ""
    word_count: int = 0
    links: list[LinkSpan] = field(default_factory=list)
    # Indices into `blocks` that look like trailing page boilerplate
    # (subscription offers, author bios). Offered for removal, never removed here.
    boilerplate: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Everything, as JSON-ready values: kept with an upload until it is saved.

        Blocks and links are lists ([kind, start, end, level], [start, end,
        url]): a 5 MB page of 300,000 paragraphs takes 9 MB rather than 25.
        """
        return {
            **{name: getattr(self, name) for name in _PLAIN_FIELDS},
            "blocks": [[b.kind, b.start, b.end, b.level] for b in self.blocks],
            "links": [[link.start, link.end, link.url] for link in self.links],
            "published_date": (
                self.published_date.isoformat() if self.published_date else None
            ),
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImportedText:
        """The ImportedText that as_dict() described."""
        date = data.get("published_date")
        return cls(
            **{name: data[name] for name in _PLAIN_FIELDS if name in data},
            blocks=[Block(*block) for block in data["blocks"]],
            links=[LinkSpan(*link) for link in data.get("links", [])],
            published_date=datetime.date.fromisoformat(date) if date else None,
        )


# The fields as_dict() stores as they are (strings, numbers, lists of them).
_PLAIN_FIELDS = (
    "text",
    "format",
    "encoding",
    "title",
    "authors",
    "publisher",
    "source_url",
    "keywords",
    "language",
    "word_count",
    "boilerplate",
    "warnings",
)
