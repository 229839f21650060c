"""Who may learn of a change: every write moves its document's counters.

A document counts its annotations' changes three ways (DocumentCounters).
`every` counts every change. `shared` counts only changes to annotations shared
with the project (what curators and owners see, and everyone when the project
does not pre-moderate), `public` only changes every member sees. Each
annotation row keeps the counters' values at its last change they count (its
revision, shared_revision and public_revision), and
its own_revision: its author's own count of changes to their annotations on
the document. A reader polls with the counter of their class and their own
count (reading.reader_token): a change they may not see moves neither, so it
neither shows in their page nor tells them, by a different answer or a bigger
number, that it happened. Who sees which row (Audience) is the visibility rule's
(annotations.permissions).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection

from annotations.models import Annotation, DocumentCounters, Visibility
from annotations.permissions import Audience
from corpus.models import Document


@dataclass(frozen=True)
class Counts:
    """A document's counters after a change, and the author's own count."""

    every: int
    shared: int
    public: int
    own: int


@dataclass(frozen=True)
class Counted:
    """One change as bump_revision counted it."""

    document_id: int
    audience: Audience
    author_id: int | None
    counts: Counts


_counted: ContextVar[list[Counted] | None] = ContextVar("counted", default=None)


@contextmanager
def counting() -> Iterator[list[Counted]]:
    """The changes the writes within it count, in order: a view tells the page
    that made them which token they bring it to (reading.reader_update)."""
    counted: list[Counted] = []
    reset = _counted.set(counted)
    try:
        yield counted
    finally:
        _counted.reset(reset)


def bump_revision(
    document_id: int, audience: Audience, author_id: int | None = None, span: int = 0
) -> Counts:
    """Count a change seen by `audience` on the document; return its counters and,
    with `author_id`, the next own count of that author on the document.
    `span`: the length of a new annotation's passage (DocumentCounters.longest).

    Refuses (ValidationError) when the document is in the trash: the upsert
    takes a lock on the document's row that a move to the trash waits for (and
    the other way round), so a write and a move to the trash never cross (the
    write is refused, or the trash takes the new row with it). The counters'
    row lock orders the writes on one document, and the own counts of one
    author with them.
    """
    # An upsert with RETURNING (PostgreSQL, SQLite >= 3.35). It reads the
    # document only to see that it is not in the trash; on PostgreSQL it takes
    # a share lock on its row, which a move to the trash (select_for_update)
    # waits for, and which waits for it.
    quote = connection.ops.quote_name
    counters = quote(DocumentCounters._meta.db_table)
    documents = quote(Document._meta.db_table)
    annotations = quote(Annotation._meta.db_table)
    key, every, shared, public, longest = (
        quote(name) for name in ("document_id", "every", "shared", "public", "longest")
    )
    row_locks = connection.features.has_select_for_update
    # The latest by the index (document, author, own count), one entry read: a
    # MAX() that PostgreSQL's planner, misled by its statistics, may compute
    # by reading every entry of the author on the document (1.3 ms for 3,400).
    own_revision = quote("own_revision")
    own = (
        f"SELECT COALESCE((SELECT {own_revision} FROM {annotations} "  # noqa: S608
        f"WHERE {quote('document_id')} = %s AND {quote('author_id')} = %s "
        f"ORDER BY {own_revision} DESC LIMIT 1), 0) + 1"
    )
    # The author's next own count is read once this write holds the counters'
    # row: on PostgreSQL in a statement of its own, which sees every write that
    # held the row before (a subquery of the upsert would see the database as
    # it was when the upsert began, before it waited, and give two writes the
    # same count); on SQLite, whose write transaction holds the whole database,
    # in the same statement.
    returning = f"{every}, {shared}, {public}"
    in_upsert = author_id is not None and not row_locks
    if in_upsert:
        returning += f", ({own})"
    sees = [int(audience >= Audience.CURATORS), int(audience >= Audience.EVERYONE)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {counters} "  # noqa: S608
            f"({key}, {every}, {shared}, {public}, {longest}) "
            f"SELECT id, 1, %s, %s, %s FROM {documents} "
            f"WHERE id = %s AND {quote('trashed_at')} IS NULL"
            f"{' FOR SHARE' if row_locks else ''} "
            f"ON CONFLICT ({key}) DO UPDATE SET "
            f"{every} = {counters}.{every} + 1, "
            f"{shared} = {counters}.{shared} + excluded.{shared}, "
            f"{public} = {counters}.{public} + excluded.{public}, "
            f"{longest} = CASE WHEN excluded.{longest} > {counters}.{longest} "
            f"THEN excluded.{longest} ELSE {counters}.{longest} END "
            f"RETURNING {returning}",
            [
                *sees,
                span,
                document_id,
                *([document_id, author_id] if in_upsert else []),
            ],
        )
        row = cursor.fetchone()
        if row is not None and not in_upsert:
            if author_id is None:  # no author's count to give
                row = (*row, 0)
            else:
                cursor.execute(own, [document_id, author_id])
                row = (*row, cursor.fetchone()[0])
    if row is None:
        raise ValidationError(
            "This document was moved to the trash: nothing on it can change.",
            code="in_trash",
        )
    counts = Counts(*row)
    counted = _counted.get()
    if counted is not None:
        counted.append(Counted(document_id, audience, author_id, counts))
    return counts


def stamps(counts: Counts, audience: Audience) -> dict[str, int]:
    """The counter columns an annotation row takes for a change seen by `audience`."""
    columns = {"revision": counts.every, "own_revision": counts.own}
    if audience >= Audience.CURATORS:
        columns["shared_revision"] = counts.shared
    if audience >= Audience.EVERYONE:
        columns["public_revision"] = counts.public
    return columns


def record_change(
    document_id: int, audience: Audience, author_id: int, span: int = 0
) -> dict[str, int]:
    """Count a change to an annotation by `author_id` (its author, whoever made
    the change) seen by `audience` (`span`: a new one's length); return the
    columns to stamp its row with."""
    return stamps(bump_revision(document_id, audience, author_id, span), audience)


def redraw_project(*, project, **_signal) -> None:
    """Who sees which shared annotation changed (pre-moderation turned on or
    off): mark every shared annotation of the project changed for everyone."""

    shared = Annotation.objects.filter(
        project=project,
        visibility=Visibility.PROJECT,
        deleted_at__isnull=True,
        in_trash=False,
    )
    for document_id, author_id in (
        shared.order_by().values_list("document_id", "author_id").distinct()
    ):
        shared.filter(document_id=document_id, author_id=author_id).update(
            **record_change(document_id, Audience.EVERYONE, author_id)
        )


class BulkCounts:
    """The counting record_change does, for rows made in bulk (a benchmark's, a
    restore's): the same stamps, without a query per row. Start it from a
    document no other write touches meanwhile; save() after.
    """

    def __init__(self, document: Document):
        self.document = document
        start = DocumentCounters.objects.filter(document=document).first()
        start = start or DocumentCounters(document=document)
        self.every, self.shared, self.public = start.every, start.shared, start.public
        self.longest = start.longest
        self.own: dict[int, int] = {}

    def stamp(
        self, audience: Audience, author_id: int, span: int = 0
    ) -> dict[str, int]:
        self.longest = max(self.longest, span)
        self.every += 1
        self.shared += audience >= Audience.CURATORS
        self.public += audience >= Audience.EVERYONE
        self.own[author_id] = self.own.get(author_id, 0) + 1
        counts = Counts(self.every, self.shared, self.public, self.own[author_id])
        return stamps(counts, audience)

    def save(self) -> None:
        DocumentCounters.objects.update_or_create(
            document=self.document,
            defaults={
                "every": self.every,
                "shared": self.shared,
                "public": self.public,
                "longest": self.longest,
            },
        )
