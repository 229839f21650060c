"""Who may learn of a change: every write bumps its document's revisions.

A document has three revision counters that move together but for different
readers. annotation_revision moves on every change. shared_revision moves only
for changes to annotations shared with the project (what curators and owners
see, and everyone when the project does not pre-moderate), public_revision only
for changes every member sees. Each changed annotation row is stamped with the
new value in the same three columns. A reader polls with the counter of their
class (and their own rows' stamps), so a change they cannot see neither shows
in their page nor tells them, by a different answer, that it happened.
"""

from __future__ import annotations

from enum import IntEnum

from django.core.exceptions import ValidationError
from django.db import connection

from annotations.models import Status, Visibility
from corpus.models import Document


class Audience(IntEnum):
    """Who may see an annotation (and so a change to it), widest last."""

    AUTHOR = 0  # private: the author alone
    CURATORS = 1  # shared but awaiting approval under pre-moderation
    EVERYONE = 2  # shared, and approved or not pre-moderated


def audience_of(*, visibility: str, status: str, premoderation: bool) -> Audience:
    if visibility != Visibility.PROJECT:
        return Audience.AUTHOR
    if premoderation and status != Status.APPROVED:
        return Audience.CURATORS
    return Audience.EVERYONE


def bump_revision(document_id: int, audience: Audience) -> int:
    """Increment the document's revisions for `audience`; return the new value.

    Refuses (ValidationError) when the document is in the trash: the update
    takes the document's row lock, so a write and a move to the trash never
    cross (the write is refused, or the trash takes the new row with it).
    """
    # One round trip with RETURNING (PostgreSQL, SQLite >= 3.35) on every write.
    # The right-hand sides of an UPDATE read the row as it was, so the three
    # columns take the same new value.
    quote = connection.ops.quote_name
    table = quote(Document._meta.db_table)
    every, shared, public = (
        quote(name)
        for name in ("annotation_revision", "shared_revision", "public_revision")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {every} = {every} + 1, "  # noqa: S608
            f"{shared} = CASE WHEN %s THEN {every} + 1 ELSE {shared} END, "
            f"{public} = CASE WHEN %s THEN {every} + 1 ELSE {public} END "
            f"WHERE id = %s AND {quote('trashed_at')} IS NULL RETURNING {every}",
            [
                audience >= Audience.CURATORS,
                audience >= Audience.EVERYONE,
                document_id,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        raise ValidationError(
            "This document was moved to the trash: nothing on it can change.",
            code="in_trash",
        )
    return row[0]


def stamps(revision: int, audience: Audience) -> dict[str, int]:
    """The revision columns an annotation row takes for a change seen by `audience`."""
    columns = {"revision": revision}
    if audience >= Audience.CURATORS:
        columns["shared_revision"] = revision
    if audience >= Audience.EVERYONE:
        columns["public_revision"] = revision
    return columns


def record_change(document_id: int, audience: Audience) -> dict[str, int]:
    """Bump the document for `audience` and return the stamps for changed rows."""
    return stamps(bump_revision(document_id, audience), audience)


def redraw_project(*, project, **_signal) -> None:
    """Who sees which shared annotation changed (pre-moderation turned on or
    off): mark every shared annotation of the project changed for everyone."""
    from annotations.models import Annotation

    document_ids = Document.objects.filter(project=project).values_list("pk", flat=True)
    for document_id in document_ids:
        Annotation.objects.filter(
            document_id=document_id, visibility=Visibility.PROJECT
        ).update(**record_change(document_id, Audience.EVERYONE))
