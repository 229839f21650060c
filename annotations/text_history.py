"""What the Revisions screen shows of a document's text history: its
revisions newest first (the import as revision 0), the changed places of one
revision, and the text as it was at any of them.

Every earlier text is rebuilt from the current one by undoing the revisions
after it (services.text.text_at); a revision's changes are read off its undo
against the text after it (text_diff), so no page here runs a diff. Each
function runs a fixed number of queries, however long the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.http import Http404

from annotations import text_diff
from annotations.services.text import text_at
from corpus import bodycache
from corpus.models import Document, TextRevision
from corpus.render import render_blocks

REVISIONS_PAGE_SIZE = 25
HUNKS_PAGE_SIZE = 100
IMPORTED = "import"
# What became of the annotations, in the order the page says it.
FATES = (
    ("moved", "moved"),
    ("edited", "kept with their edited passage"),
    ("found", "found again nearby"),
    ("orphan", "orphaned"),
)


@dataclass
class Entry:
    """One line of the history: a TextRevision, or the import (number 0)."""

    number: int
    at: datetime
    author: object | None
    kind: str
    kind_label: str
    reason: str = ""
    inserted: int = 0
    deleted: int = 0
    carried: dict = field(default_factory=dict)
    restored_from: int | None = None
    filename: str = ""

    @property
    def imported(self) -> bool:
        return self.kind == IMPORTED

    @property
    def fates(self) -> list[tuple[int, str]]:
        """What became of the annotations, the fates that took any."""
        return [
            (self.carried[key], label) for key, label in FATES if self.carried.get(key)
        ]

    @classmethod
    def of(cls, revision: TextRevision) -> Entry:
        return cls(
            number=revision.number,
            at=revision.at,
            author=revision.author,
            kind=revision.kind,
            kind_label=revision.get_kind_display(),
            reason=revision.reason,
            inserted=revision.inserted,
            deleted=revision.deleted,
            carried=revision.carried or {},
            restored_from=revision.restored_from,
            filename=revision.filename,
        )

    @classmethod
    def import_of(cls, document: Document) -> Entry:
        return cls(
            number=0,
            at=document.imported_at,
            author=document.imported_by,
            kind=IMPORTED,
            kind_label="Imported",
            filename=document.original_filename,
        )


def _revisions(document: Document):
    return (
        TextRevision.objects.filter(document=document)
        .defer("undo", "blocks_before", "links_before")
        .select_related("author")
    )


class History:
    """A document's revisions newest first, revision 0 last, for a Paginator:
    its length is known without a query (the revisions are numbered 1 to
    Document.text_revision), and a page reads only its own rows."""

    def __init__(self, document: Document):
        self.document = document

    def __len__(self) -> int:
        return self.document.text_revision + 1

    def __getitem__(self, key: slice) -> list[Entry]:
        numbers = range(self.document.text_revision, -1, -1)[key]
        if not numbers:
            return []
        low, high = min(numbers), max(numbers)
        found = {
            revision.number: Entry.of(revision)
            for revision in _revisions(self.document).filter(
                number__gte=max(low, 1), number__lte=high
            )
        }
        if low == 0:
            found[0] = Entry.import_of(self.document)
        # A number without its row cannot be (the revisions are numbered
        # without a gap), but the page says so rather than fail.
        return [found.get(n) or _missing(self.document, n) for n in numbers]


def _missing(document: Document, number: int) -> Entry:
    return Entry(
        number=number,
        at=document.updated_at,
        author=None,
        kind="",
        kind_label="Not recorded",
    )


def _exists(document: Document, number: int) -> None:
    """404 unless the document has a revision `number` (0: the import)."""
    if not 0 <= number <= document.text_revision:
        raise Http404("No such revision.")


def entry(document: Document, number: int) -> Entry:
    """Revision `number` of the document (0: the import), or 404."""
    _exists(document, number)
    if number == 0:
        return Entry.import_of(document)
    revision = _revisions(document).filter(number=number).first()
    if revision is None:
        raise Http404("No such revision.")
    return Entry.of(revision)


@dataclass
class Changes:
    """What revision `entry.number` changed: its places, each with the start
    of the block it is in (to open the text there); whether blocks were
    added, removed, or changed kind or level."""

    entry: Entry
    hunks: list[text_diff.Hunk]
    blocks: list[int | None]
    blocks_changed: bool

    @property
    def places(self) -> list[tuple[text_diff.Hunk, int | None]]:
        return list(zip(self.hunks, self.blocks, strict=True))


def changes(document: Document, number: int) -> Changes:
    """The changed places of revision `number` (1 or later), or 404."""
    if not 1 <= number <= document.text_revision:
        raise Http404("Revision 0 is the text as imported: it changed nothing.")
    revision = (
        TextRevision.objects.filter(document=document, number=number)
        .select_related("author")
        .defer("links_before")
        .first()
    )
    if revision is None:
        raise Http404("No such revision.")
    after, blocks, _links = text_at(document, number)
    hunks = text_diff.hunks(after, revision.undo)
    return Changes(
        entry=Entry.of(revision),
        hunks=hunks,
        blocks=text_diff.blocks_at(blocks, [hunk.start for hunk in hunks]),
        blocks_changed=_shape(revision.blocks_before) != _shape(blocks)
        or (not hunks and revision.blocks_before != blocks),
    )


def _shape(blocks: list[dict]) -> list[tuple]:
    """The division into blocks, whatever their offsets: a word corrected
    moves every block after it, and changes no block."""
    return [(block["kind"], block.get("level")) for block in blocks]


@dataclass(frozen=True)
class TextAt:
    """The document's text as it was at a revision, drawn."""

    html: str
    same_as_current: bool
    headings: list[dict]

    def weight(self) -> int:
        return bodycache.weight_of_html(self.html) + 200 * len(self.headings)


def _drawn(document: Document, number: int) -> TextAt:
    text, blocks, links = text_at(document, number)
    return TextAt(
        html=render_blocks(text, blocks, links),
        same_as_current=text == document.text and blocks == document.blocks,
        headings=[
            {**block, "title": text[block["start"] : block["end"]]}
            for block in blocks
            if block["kind"] == "heading"
        ],
    )


def text_as_at(document: Document, number: int) -> TextAt:
    """The text at revision `number`, rendered without annotations, or 404.

    A revision's text never changes once written, so its rendering is kept in
    the worker (corpus.bodycache) under the revision and the current text
    (whether it is the same as the current one depends on both).
    """
    _exists(document, number)
    key = ("revision", document.pk, number, document.content_hash, document.updated_at)
    return bodycache.rendered.get_or_make(key, lambda: _drawn(document, number))


def restorable(document: Document, number: int) -> tuple[str, list[dict], list[dict]]:
    """The text, blocks and links to bring back from revision `number`."""
    _exists(document, number)
    return text_at(document, number)
