"""What a reader's page reflects, and what changed for them since: the polling
tokens built on the per-audience revision counters (services.revisions).

A page carries the reader's token; the poll compares it with the current one
in one query (current_token) and, when they differ, asks which annotations
changed since (changed_since). A change the reader may not see moves neither
number of their token. A page's own write learns its next token from what the
write counted (token_after), without asking.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.http import QueryDict

from annotations import permissions
from annotations.forms import MarginFilterForm
from annotations.models import Annotation, DocumentCounters, Status
from annotations.permissions import Audience
from annotations.services.revisions import Counted
from corpus.models import Document, Membership
from corpus.prepared import Prepared


def class_revision(membership: Membership, document: Document) -> int:
    """The document's counter of the changes the member's class may see
    (services.revisions)."""
    counters = DocumentCounters.of(document)
    if permissions.sees_unapproved(membership):
        return counters.shared
    return counters.public


@dataclass(frozen=True)
class ReaderToken:
    """What a reader's page reflects: the count of changes their class may see,
    and their own count of changes to their annotations. Polling compares it:
    a change the reader may not see moves neither number."""

    seen: int
    own: int

    def __str__(self) -> str:
        return f"{self.seen}.{self.own}"

    @classmethod
    def parse(cls, value) -> ReaderToken | None:
        """The token a page sent back ("12.3"), or None if it is not one."""
        seen, dot, own = str(value or "").partition(".")
        parts = [seen, own]
        if not dot or not all(
            0 < len(part) <= 18 and part.isascii() and part.isdigit() for part in parts
        ):
            return None
        return cls(int(seen), int(own))


@dataclass(frozen=True)
class ReaderView:
    """What a reader's page shows besides the text: the margin's filters and page,
    and the token of what it reflects. A poll sends it as its query; a write on
    the reading page sends it as one field, `reader` (a query string: its names
    would clash with a form's own, static/js/annotate.js), so that its answer
    brings the page up to date in place (reading.reader_update)."""

    filters: MarginFilterForm
    since: ReaderToken | None
    count: int | None = None  # the page's count of annotations, as it shows it

    # Longer than any page's state (a few filters and a token): not one.
    MAX_LENGTH = 2_000

    @classmethod
    def of_query(cls, query) -> ReaderView:
        return cls(
            MarginFilterForm(query),
            ReaderToken.parse(query.get("since")),
            _count(query.get("count")),
        )

    @classmethod
    def of_write(cls, request) -> ReaderView | None:
        """The state a write was sent with; None without one (no script, or
        another page than the reading view)."""
        raw = request.POST.get("reader")
        if raw is None or len(raw) > cls.MAX_LENGTH:
            return None
        return cls.of_query(QueryDict(raw))


@dataclass(frozen=True)
class Touched:
    """An annotation a write changed: where it is, and how it stood to the
    writer before and after ((shown to them, status), None before it was made
    or after it was deleted)."""

    pk: int
    start: int
    end: int
    before: tuple[bool, str] | None
    after: tuple[bool, str] | None

    @classmethod
    def of(cls, membership: Membership, before, after) -> Touched:
        def state(annotation) -> tuple[bool, str] | None:
            if annotation is None:
                return None
            return permissions.shown_to(membership, annotation), annotation.status

        either = after or before
        return cls(either.pk, either.start, either.end, state(before), state(after))

    def counted(self, approved_only: bool) -> int:
        """How this write changed the writer's count of annotations (-1, 0, 1)
        in their reading mode."""

        def counts(state) -> int:
            return bool(
                state
                and state[0]
                and (not approved_only or state[1] == Status.APPROVED)
            )

        return counts(self.after) - counts(self.before)


def token_after(
    membership: Membership, since: ReaderToken, counted: list[Counted], document_id
) -> ReaderToken | None:
    """The writer's token after the changes their request `counted`, if `since`
    was up to date before them: the counter of their class moved by exactly
    their own changes, and so did their own count. None otherwise (someone
    else's change came in between: the page must ask what changed).

    Each counter moves by one per change it counts, so a page whose token was
    the one before this request's changes misses nothing else."""
    if not counted or any(change.document_id != document_id for change in counted):
        return None
    needed = (
        Audience.CURATORS
        if permissions.sees_unapproved(membership)
        else Audience.EVERYONE
    )
    latest = counted[-1].counts
    seen = latest.shared if needed == Audience.CURATORS else latest.public
    if since.seen != seen - sum(change.audience >= needed for change in counted):
        return None
    mine = [c.counts.own for c in counted if c.author_id == membership.user_id]
    if not mine:
        return ReaderToken(seen, since.own)
    if since.own != min(mine) - 1:
        return None
    return ReaderToken(seen, max(mine))


def _count(value) -> int | None:
    value = str(value or "")
    return (
        int(value)
        if 0 < len(value) <= 9 and value.isascii() and value.isdigit()
        else None
    )


def own_latest(membership: Membership, document: Document) -> int:
    """The reader's own count of changes to their annotations on the document."""
    own = (
        Annotation.objects.filter(document=document, author_id=membership.user_id)
        .order_by("-own_revision")
        .values_list("own_revision", flat=True)
        .first()
    )
    return own or 0


def reader_token(membership: Membership, document: Document) -> ReaderToken:
    return ReaderToken(
        class_revision(membership, document), own_latest(membership, document)
    )


def changed_since(
    membership: Membership, document: Document, since: ReaderToken | None
) -> list:
    """(pk, start, end) of the annotations changed since `since` in a way the
    member may see: their class's changes, and their own annotations'. All of
    them when `since` is unknown."""
    annotations = Annotation.objects.filter(document=document).order_by()
    if since is None:
        return list(annotations.values_list("pk", "start", "end"))
    column = (
        "shared_revision"
        if permissions.sees_unapproved(membership)
        else "public_revision"
    )
    # Two index ranges in one query: an OR of the two would read every
    # annotation of the document.
    theirs = annotations.filter(**{f"{column}__gt": since.seen})
    own = annotations.filter(author_id=membership.user_id, own_revision__gt=since.own)
    return list(
        theirs.values_list("pk", "start", "end").union(
            own.values_list("pk", "start", "end")
        )
    )


def _tokens(_shape, user_id: int, slug: str, document_id: int):
    own_latest = (
        Annotation.objects.filter(document_id=OuterRef("pk"), author_id=user_id)
        .order_by("-own_revision")
        .values("own_revision")[:1]
    )
    return (
        Document.objects.filter(
            pk=document_id,
            project__slug=slug,
            project__trashed_at__isnull=True,
            project__memberships__user_id=user_id,
        )
        .annotate(own_latest=Subquery(own_latest))
        .order_by()
        .values_list(
            "counters__shared",
            "counters__public",
            "project__premoderation",
            "project__memberships__role",
            "own_latest",
        )[:1]
    )


# Every poll asks it: prepared (corpus.prepared).
_tokens_read = Prepared(_tokens, int, str, int)


def current_token(user_id: int, slug: str, document_id: int) -> ReaderToken | None:
    """The token a member's page of the document would carry now, in one query
    beyond the session (membership, role, the document's revisions and the
    reader's own latest change together); None if they are not a member of a
    live project with that document."""
    found = _tokens_read(user_id, slug, document_id)
    if not found:
        return None
    shared, public, premoderation, role, own = found[0]
    sees = permissions.role_sees_unapproved(premoderation=premoderation, role=role)
    return ReaderToken((shared if sees else public) or 0, own or 0)
