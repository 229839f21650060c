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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from django.db.models import Count, F, Max, Q, QuerySet, Sum

from annotations import links as links_reads
from annotations import permissions, w3c
from annotations.models import Annotation, AnnotationEvent, Reply, Status, Tag
from corpus import bodycache
from corpus.models import Document, Membership

BATCH = 500
# Told how far a long piece of work has come: (done, of all).
Progress = Callable[[int, int], None]
CHUNK = 64 * 1024
_ITEMS = "\x00items\x00"


@dataclass(frozen=True)
class Scope:
    """The notes of an export or a container: those a member sees, on one
    document or all, the approved ones only or all."""

    membership: Membership
    document: Document | None = None
    approved_only: bool = False
    # The margin's filters (MarginFilterForm): a tag's name, an author's
    # username, a status, the member's own notes only.
    tag: str = ""
    author: str = ""
    status: str = ""
    mine: bool = False
    # Orphans too (a revision of the text lost their passage): the W3C
    # collections carry them, with their last quote and no position; the
    # formats that place notes on the text (CSV offsets, TEI, the edition)
    # leave them out.
    orphans: bool = False

    @classmethod
    def filtered(
        cls, membership: Membership, document: Document | None, data: dict
    ) -> Scope:
        """The notes a margin filter shows (MarginFilterForm's cleaned data)."""
        return cls(
            membership,
            document,
            approved_only=bool(data.get("approved")),
            tag=data.get("tag") or "",
            author=data.get("author") or "",
            status=data.get("status") or "",
            mine=bool(data.get("mine")),
        )

    @property
    def filters(self) -> dict:
        """The filters, as Scope.filtered takes them (and an export records)."""
        return {
            "approved": self.approved_only,
            "tag": self.tag,
            "author": self.author,
            "status": self.status,
            "mine": self.mine,
        }

    def where(self, prefix: str = "", up_to: int | None = None) -> Q:
        """The notes as conditions on a row's note (`prefix`: the way to it),
        those up to the id `up_to` only if given. The counts of all items join
        through them instead of asking for an `IN` of every note (the replies
        of 100,000 notes: 50 ms on SQLite, 32 ms by the join)."""
        rule = permissions.shown_to_member_filter(
            self.membership, prefix, include_orphans=self.orphans
        )
        if self.document is not None:
            rule &= Q(**{f"{prefix}document_id": self.document.pk})
        if self.approved_only:
            rule &= Q(**{f"{prefix}status": Status.APPROVED})
        if self.tag:
            rule &= Q(**{f"{prefix}tags__name__iexact": self.tag})
        if self.author:
            rule &= Q(**{f"{prefix}author__username": self.author})
        if self.status:
            rule &= Q(**{f"{prefix}status": self.status})
        if self.mine:
            rule &= Q(**{f"{prefix}author_id": self.membership.user_id})
        if up_to is not None:
            rule &= Q(**{f"{prefix}pk__lte": up_to})
        return rule

    @property
    def notes(self) -> QuerySet[Annotation]:
        return Annotation.objects.filter(self.where()).order_by()

    def count(self, up_to: int | None = None) -> int:
        """Notes, live replies and visible links: the items (up to a note).

        All of them through joins on the notes' conditions. Those up to a note
        through an `IN` of those notes: joined with a range of ids, SQLite
        chose to walk every reply for each note (17 s on the load project)."""
        if up_to is None:
            replies, links = self.where("annotation__"), self.where("source__")
            notes = Annotation.objects.filter(self.where())
        else:
            notes = Annotation.objects.filter(self.where(up_to=up_to))
            ids = notes.values("pk")
            replies, links = Q(annotation__in=ids), Q(source__in=ids)
        return (
            notes.count()
            + Reply.objects.filter(replies, deleted_at__isnull=True).count()
            + links_reads.live_links_for(self.membership).filter(links).count()
        )


def collection(
    scope: Scope,
    iris: w3c.Iris,
    *,
    label: str = "",
    address: str,
    progress: Progress | None = None,
) -> Iterator[str]:
    """The AnnotationCollection of the scope's notes as JSON text, in pieces;
    its one page is the file itself (`address`: where it was asked for).
    `progress` hears of the items written and their total as each piece goes."""
    scope = replace(scope, orphans=True)
    membership, document = scope.membership, scope.document
    notes = scope.notes
    container = (
        iris.container if document is None else iris.document_container(document.pk)
    )
    count = scope.count()
    head = {
        "@context": iris.context,
        "id": container,
        "type": "AnnotationCollection",
        "label": label,
        "total": count,
        "first": {
            "id": address,
            "type": "AnnotationPage",
            "partOf": {"id": container, "total": count},
            "startIndex": 0,
            "items": _ITEMS,
        },
        "last": address,
    }
    before, _slot, after = json.dumps(head, ensure_ascii=False).partition(
        json.dumps(_ITEMS)
    )
    # Pieces of about CHUNK characters: one write each to the gzip stream and
    # the socket, not one per item.
    pieces, size, separator, written = [before, "["], 0, "\n", 0
    for item in items(membership, iris, notes):
        piece = separator + json.dumps(item, ensure_ascii=False)
        pieces.append(piece)
        size += len(piece)
        separator = ",\n"
        written += 1
        if size >= CHUNK:
            yield "".join(pieces)
            pieces, size = [], 0
            if progress is not None:
                progress(written, count)
    pieces += ["]", after]
    yield "".join(pieces)
    if progress is not None:
        progress(written, count)


def items(
    membership: Membership,
    iris: w3c.Iris,
    notes: QuerySet[Annotation],
    *,
    after: int = 0,
    limit: int | None = None,
) -> Iterator[dict]:
    """Each note, then its replies and links, a batch of notes at a time, by id
    (a write meanwhile moves no note from one batch to another): the notes
    after the id `after`, `limit` of them at most."""
    last, left = after, limit
    while left is None or left > 0:
        size = BATCH if left is None else min(BATCH, left)
        batch = list(
            notes.filter(pk__gt=last)
            .select_related("author")
            .annotate(text_revision=F("document__text_revision"))
            .order_by("pk")[:size]
        )
        if not batch:
            return
        last = batch[-1].pk
        if left is not None:
            left -= len(batch)
        pks = [note.pk for note in batch]
        tags, replies, links, events = _around(membership, pks)
        for note in batch:
            yield w3c.note(iris, note, tags[note.pk], events[note.pk])
            for row in replies[note.pk]:
                yield w3c.reply(iris, row)
            for row in links[note.pk]:
                yield w3c.link(iris, row)
        if len(batch) < size:
            return  # the last of them: no need to ask again


@dataclass(frozen=True)
class Page:
    """A page of a container: its notes (with their replies and links), where
    it starts among all items, and its neighbours' cursors."""

    items: list[dict]
    start_index: int
    total: int
    next_after: int | None
    previous_after: int | None


def page(
    scope: Scope, iris: w3c.Iris, after: int, size: int, tally: Tally | None = None
) -> Page:
    """The page of `size` notes after the note id `after` (0: the first page).
    The cursor is a note's id, so a page stays the same while others annotate
    (new notes come last). The counts come from `tally` (the scope's)."""
    notes = scope.notes
    tally = tally or Tally(scope)
    # One more than the page holds: whether a next page follows.
    ahead = list(
        notes.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[: size + 1]
    )
    shown = ahead[:size]
    listed = list(items(scope.membership, iris, notes, after=after, limit=size))
    previous = None
    if after:
        back = list(
            notes.filter(pk__lte=after)
            .order_by("-pk")
            .values_list("pk", flat=True)[size : size + 1]
        )
        previous = back[0] if back else 0
    start = tally.start(after)
    next_after = shown[-1] if len(ahead) > size else None
    if next_after is not None:
        # A client reading the pages in turn asks for this one next: where it
        # starts is known without counting.
        tally.starts_at(next_after, start + len(listed))
    return Page(
        items=listed,
        start_index=start,
        total=tally.total(),
        next_after=next_after,
        previous_after=previous,
    )


# Counts of the items of scopes (a container's total, where its pages start),
# kept per worker while nothing in the project changes: counting the load
# project's 117,508 items takes 45-80 ms, reading a page of them 10.
_tallies = bodycache.LRU(size=4096)


def project_state(project_id: int) -> tuple:
    """What moves whenever a note, reply or link of the project is added,
    changed, removed or hidden: the documents' change counters (every such
    write moves them, services.revisions), their number, the newest, and the
    documents in the trash (a move there moves no counter)."""
    state = Document.all_objects.filter(project_id=project_id).aggregate(
        changes=Sum("counters__every"),
        documents=Count("pk"),
        newest=Max("pk"),
        trashed=Count("trashed_at"),
        last_trashed=Max("trashed_at"),
    )
    return tuple(state.values())


class Tally:
    """The counts of a scope, kept while its project stays as it is (for the
    member's role and the project's moderation: they change what is seen)."""

    def __init__(self, scope: Scope) -> None:
        membership = scope.membership
        self.scope = scope
        self.key = (
            project_state(membership.project_id),
            scope,
            membership.role,
            membership.project.premoderation,
        )

    def remember(self, name, make):
        return _tallies.get_or_make((self.key, name), make)

    def total(self) -> int:
        return self.remember("total", self.scope.count)

    def start(self, after: int) -> int:
        """Where the page after the note `after` starts among all items."""
        if not after:
            return 0
        return self.remember(("start", after), lambda: self.scope.count(up_to=after))

    def starts_at(self, after: int, start: int) -> None:
        _tallies.put((self.key, ("start", after)), start)


def clear() -> None:
    _tallies.clear()


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


@dataclass
class DocumentWork:
    """A document with the notes a member sees on it, in text order, each
    with its tags (`note.tag_list`), live replies (`note.reply_list`) and
    visible links (`note.link_list`): what the formats that carry one document
    whole need (TEI, the annotated edition). `tags` holds the tags used, with
    every tag above them, by id."""

    document: Document
    notes: list[Annotation]
    tags: dict[int, Tag]


def document_work(scope: Scope) -> DocumentWork:
    """The scope's document (its text read) and notes, in six queries or so
    whatever their number (the tags' ancestors: one more per level)."""
    document = scope.document
    notes = list(scope.notes.select_related("author").order_by("start", "end", "pk"))
    by_id = {note.pk: note for note in notes}
    for note in notes:
        note.tag_list, note.reply_list, note.link_list = [], [], []
    tags: dict[int, Tag] = {}
    pairs = (
        Annotation.tags.through.objects.filter(scope.where("annotation__"))
        .select_related("tag")
        .order_by("tag__name")
    )
    for pair in pairs:
        tags[pair.tag_id] = pair.tag
        by_id[pair.annotation_id].tag_list.append(pair.tag)
    wanted = {tag.parent_id for tag in tags.values()} - set(tags) - {None}
    while wanted:
        found = list(Tag.objects.filter(pk__in=wanted))
        tags.update((tag.pk, tag) for tag in found)
        wanted = {tag.parent_id for tag in found} - set(tags) - {None}
    replies = (
        Reply.objects.filter(scope.where("annotation__"), deleted_at__isnull=True)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    for reply in replies:
        by_id[reply.annotation_id].reply_list.append(reply)
    links = (
        links_reads.live_links_for(scope.membership)
        .filter(scope.where("source__"))
        .select_related("relation", "author", "target_document")
        .defer(*(f"target_document__{name}" for name in Document.HEAVY_FIELDS))
        .order_by("created_at", "pk")
    )
    for link in links:
        by_id[link.source_id].link_list.append(link)
    return DocumentWork(document, notes, tags)
