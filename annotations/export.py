"""A project's or a document's annotations as one W3C AnnotationCollection,
streamed: the notes a member sees, each followed by its replies and its links,
read a batch at a time so that 100,000 notes never sit in memory at once.

The file is the collection with its one page embedded (`first`, which is also
`last`): every item in `items`, `total` counting them. The protocol's
containers (views/protocol.py) serve the same items a page at a time.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import QuerySet

from annotations import links as links_reads
from annotations import w3c
from annotations.models import Annotation, AnnotationEvent, Reply, Status
from corpus.models import Document, Membership

BATCH = 500
CHUNK = 64 * 1024
_ITEMS = "\x00items\x00"


def notes_for(
    membership: Membership,
    document: Document | None = None,
    *,
    approved_only: bool = False,
) -> QuerySet[Annotation]:
    """The notes of the export: those the member sees, on one document or all."""
    notes = Annotation.objects.shown_to_member(membership)
    if document is not None:
        notes = notes.for_document(document)
    if approved_only:
        notes = notes.filter(status=Status.APPROVED)
    return notes.order_by()


def _replies(notes: QuerySet[Annotation]) -> QuerySet[Reply]:
    return Reply.objects.filter(annotation__in=notes, deleted_at__isnull=True)


def _links(membership: Membership, notes: QuerySet[Annotation]):
    return links_reads.live_links_for(membership).filter(source__in=notes)


def total(membership: Membership, notes: QuerySet[Annotation]) -> int:
    """Notes, replies and links: the items of the collection."""
    return (
        notes.count()
        + _replies(notes.values("pk")).count()
        + _links(membership, notes.values("pk")).count()
    )


def collection(
    membership: Membership,
    iris: w3c.Iris,
    *,
    document: Document | None = None,
    approved_only: bool = False,
    label: str = "",
) -> Iterator[str]:
    """The AnnotationCollection as JSON text, in pieces."""
    notes = notes_for(membership, document, approved_only=approved_only)
    container = (
        iris.container if document is None else iris.document_container(document.pk)
    )
    count = total(membership, notes)
    page = f"{container}?page=all"
    head = {
        "@context": iris.context,
        "id": container,
        "type": "AnnotationCollection",
        "label": label,
        "total": count,
        "first": {
            "id": page,
            "type": "AnnotationPage",
            "partOf": {"id": container, "total": count},
            "startIndex": 0,
            "items": _ITEMS,
        },
        "last": page,
    }
    before, _slot, after = json.dumps(head, ensure_ascii=False).partition(
        json.dumps(_ITEMS)
    )
    # Pieces of about CHUNK characters: one write each to the gzip stream and
    # the socket, not one per item.
    pieces, size, separator = [before, "["], 0, "\n"
    for item in items(membership, iris, notes):
        piece = separator + json.dumps(item, ensure_ascii=False)
        pieces.append(piece)
        size += len(piece)
        separator = ",\n"
        if size >= CHUNK:
            yield "".join(pieces)
            pieces, size = [], 0
    pieces += ["]", after]
    yield "".join(pieces)


def items(
    membership: Membership, iris: w3c.Iris, notes: QuerySet[Annotation]
) -> Iterator[dict]:
    """Each note, then its replies and links, a batch of notes at a time (by id:
    a write meanwhile moves no note from one batch to another)."""
    last = 0
    while True:
        batch = list(
            notes.filter(pk__gt=last).select_related("author").order_by("pk")[:BATCH]
        )
        if not batch:
            return
        last = batch[-1].pk
        pks = [note.pk for note in batch]
        tags, replies, links, events = _around(membership, pks)
        for note in batch:
            yield w3c.note(iris, note, tags[note.pk], events[note.pk])
            for row in replies[note.pk]:
                yield w3c.reply(iris, row)
            for row in links[note.pk]:
                yield w3c.link(iris, row)


def _around(membership: Membership, pks: list[int]):
    """The tags' names, live replies, visible links and history of the notes
    `pks`, each by note, in four queries."""
    tags: dict[int, list[str]] = defaultdict(list)
    through = Annotation.tags.through.objects.filter(annotation_id__in=pks)
    for annotation_id, name in through.order_by("tag__name").values_list(
        "annotation_id", "tag__name"
    ):
        tags[annotation_id].append(name)
    replies = defaultdict(list)
    for row in (
        Reply.objects.filter(annotation_id__in=pks, deleted_at__isnull=True)
        .select_related("author")
        .order_by("created_at", "pk")
    ):
        replies[row.annotation_id].append(row)
    links = defaultdict(list)
    for row in (
        links_reads.live_links_for(membership)
        .filter(source_id__in=pks)
        .select_related("author", "relation")
        .order_by("created_at", "pk")
    ):
        links[row.source_id].append(row)
    events = defaultdict(list)
    for row in AnnotationEvent.objects.filter(annotation_id__in=pks).order_by(
        "at", "pk"
    ):
        events[row.annotation_id].append(row)
    return tags, replies, links, events
