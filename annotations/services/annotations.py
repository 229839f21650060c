"""Writes to annotations: create, edit, delete, curators' decisions.

Every change bumps the document's revisions for those who may see it
(services.revisions) and stamps the changed row, so readers polling the
document learn what changed since when, and only what they may see.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from annotations.models import (
    REASON_REQUIRED,
    Annotation,
    AnnotationEvent,
    EventKind,
    Status,
    Tag,
    Visibility,
)
from annotations.permissions import audience_of, shown_to_member_filter
from annotations.services import search
from annotations.services.revisions import record_change
from annotations.services.tags import resolve_tags
from corpus.conflicts import EditConflict
from corpus.models import Document, Membership, Project
from corpus.prepared import Prepared

CONTEXT_SIZE = 32


def anchored(text: str, start: int, end: int) -> dict:
    """An annotation's anchor on text[start:end]: the range, the quote and the
    CONTEXT_SIZE characters on each side (Annotation's fields)."""
    return {
        "start": start,
        "end": end,
        "exact": text[start:end],
        "prefix": text[max(0, start - CONTEXT_SIZE) : start],
        "suffix": text[end : end + CONTEXT_SIZE],
    }


def check_anchor(*, text: str, start: int, end: int, exact: str) -> None:
    """Refuse a range outside the text, empty, or whose quote is not the text there."""
    if not (0 <= start < end <= len(text)):
        raise ValidationError(
            "The selection lies outside the document's text.", code="out_of_range"
        )
    if text[start:end] != exact:
        raise ValidationError(
            "The quoted text does not match the document at that place. Reload the "
            "page and select the passage again.",
            code="quote_mismatch",
        )
    if not exact.strip():
        raise ValidationError("Select some text, not only spaces.", code="blank")


def _read_in_this_transaction(row) -> bool:
    """Whether `row` was read (reading.member_annotation marks it) within the
    transaction still open."""
    return (
        connection.in_atomic_block
        and getattr(row, "read_in", None) is connection.atomic_blocks[0]
    )


# Every change to an annotation takes them: prepared (corpus.prepared).
_document_locked = Prepared(
    lambda _shape, pk: (
        Document.all_objects.select_for_update()
        .filter(pk=pk)
        .order_by()
        .values_list("pk", flat=True)
    ),
    int,
)
_annotation_locked = Prepared(
    lambda _shape, pk: Annotation.objects.select_for_update().filter(pk=pk).order_by(),
    int,
)


_text_revision_now = Prepared(
    lambda _shape, pk: (
        Document.all_objects.filter(pk=pk).order_by().values_list("text_revision")
    ),
    int,
)


def _same_text(document: Document) -> None:
    """Refuse an anchor checked against a text that a revision has replaced
    since: called once the write holds its document (record_change), which a
    revision of the text waits for, and the other way round."""
    now = _text_revision_now(document.pk)
    if now and now[0][0] != document.text_revision:
        raise ValidationError(
            "The text was corrected while you were selecting. Reload the page "
            "and select the passage again.",
            code="text_revised",
        )


def _locked(annotation: Annotation) -> Annotation | None:
    """The annotation's row, locked until the transaction ends (its project as
    the caller had it, or read unlocked).

    Its document's row is locked first: every write takes the document, then
    its annotations (record_change locks the document's row too), so two writes
    on one document never wait for each other crosswise (a deadlock on
    PostgreSQL). SQLite has no row locks: its write transaction holds the whole
    database from its start.
    """
    if connection.features.has_select_for_update:
        _document_locked(annotation.document_id)
    elif _read_in_this_transaction(annotation):
        # SQLite: the caller read the row after this write transaction took
        # the database (BEGIN IMMEDIATE), so nothing changed it since.
        return copy.copy(annotation)
    current = _annotation_locked.one(annotation.pk)
    if current is not None:
        cached = Annotation.project.field.get_cached_value(annotation, default=None)
        if cached is not None:
            current.project = cached
    return current


def _audience(annotation: Annotation, project=None, **changed):
    """Who sees `annotation` (with `changed` fields applied)."""
    project = project or annotation.project
    return audience_of(
        visibility=changed.get("visibility", annotation.visibility),
        status=changed.get("status", annotation.status),
        premoderation=project.premoderation,
    )


@transaction.atomic
def create_annotation(
    *,
    document: Document,
    author: AbstractBaseUser,
    start: int,
    end: int,
    exact: str,
    body: str = "",
    tags: Iterable[Tag | str] = (),
    visibility: str = Visibility.PROJECT,
    via: str = "",
    canonical: str = "",
) -> Annotation:
    """Anchor a new annotation on document.text[start:end] after checking the quote.

    `tags` may be Tag rows or names; new names become tags of the project in the
    same transaction, so a refused annotation leaves no tag behind.
    """
    text = document.text
    check_anchor(text=text, start=start, end=end, exact=exact)
    annotation = Annotation(
        project_id=document.project_id,
        document=document,
        author=author,
        **anchored(text, start, end),
        body=body,
        visibility=visibility,
        via=via,
        canonical=canonical,
    )
    # The foreign keys are rows the caller holds and the range was checked
    # above; the database enforces both again. Skipping their lookups here
    # saves six queries on the hottest write.
    annotation.full_clean(
        exclude=["project", "document", "author"], validate_constraints=False
    )
    tags = resolve_tags(document.project, tags)
    columns = record_change(
        document.pk,
        _audience(annotation, document.project),
        author.pk,
        span=end - start,
    )
    _same_text(document)
    for name, value in columns.items():
        setattr(annotation, name, value)
    annotation.save()
    search.index_note(annotation, new=True)
    if tags:
        Annotation.tags.through.objects.bulk_create(
            [Annotation.tags.through(annotation=annotation, tag=tag) for tag in tags]
        )
    AnnotationEvent.objects.create(
        annotation=annotation,
        actor=author,
        kind=EventKind.CREATED,
        after={
            "note": body,
            "tags": [tag.name for tag in tags],
            "visibility": visibility,
            "range": [start, end],
        },
    )
    annotation.tag_list = tags
    return annotation


def revised_since(project_id: int, revisions: dict[int, int]) -> str | None:
    """What to say if a text of `revisions` ({document id: the text revision
    a search found hits in}) was revised since; else None."""
    for title, revision, pk in (
        Document.objects.filter(project_id=project_id, pk__in=revisions)
        .order_by("pk")
        .values_list("title", "text_revision", "pk")
    ):
        if revisions[pk] != revision:
            return (
                f"The text of “{title}” was corrected since the search: "
                "search again to annotate its hits where they are now."
            )
    return None


def tagged_for(
    membership: Membership, passages: set[tuple[int, int, int]], tag: str
) -> set[tuple[int, int, int]]:
    """Of the passages, those on which an annotation the member sees already
    has the tag: another's private note, or one awaiting approval they may
    not see, neither stops them nor tells them it is there."""
    return Annotation.objects.filter(shown_to_member_filter(membership)).tagged_at(
        passages, tag
    )


@transaction.atomic
def annotate_passages(
    *,
    project: Project,
    author: AbstractBaseUser,
    passages: Iterable[tuple[int, int, int]],
    tag: str,
    body: str = "",
    reason: str = "",
    revisions: dict[int, int] | None = None,
) -> tuple[list[Annotation], int]:
    """One shared annotation with `tag` (and `body`) on each passage
    (document id, start, end) of the project's live documents, all or none;
    passages that already carry the tag are skipped. Each annotation's history
    says it was made so (`reason`). Returns the annotations made and the number
    skipped. A document's counters move once for all its new annotations.
    `revisions` ({document id: text revision}) says which revision of each
    text the passages count in: a text revised since is refused."""
    (tag_row,) = resolve_tags(project, [tag])
    passages = set(passages)
    revised = revised_since(project.pk, revisions or {})
    if revised is not None:
        raise ValidationError(revised)
    tagged = tagged_for(
        Membership.objects.get(project=project, user=author), passages, tag_row.name
    )
    by_document: dict[int, set[tuple[int, int]]] = {}
    for document_id, start, end in passages - tagged:
        by_document.setdefault(document_id, set()).add((start, end))
    made: list[Annotation] = []
    for document_id, ranges in sorted(by_document.items()):
        document = (
            Document.objects.filter(pk=document_id, project=project)
            .only("pk", "project_id", "title", "text", "text_revision")
            .first()
        )
        if document is None:
            raise ValidationError("A passage is on a document that is not here.")
        wanted = sorted(ranges)
        text = document.text
        for start, end in wanted:
            check_anchor(text=text, start=start, end=end, exact=text[start:end])
        audience = audience_of(
            visibility=Visibility.PROJECT,
            status=Status.SUBMITTED,
            premoderation=project.premoderation,
        )
        columns = record_change(
            document_id,
            audience,
            author.pk,
            span=max(end - start for start, end in wanted),
        )
        _same_text(document)
        rows = [
            Annotation(
                project_id=project.pk,
                document_id=document_id,
                author=author,
                **anchored(text, start, end),
                body=body,
                **columns,
            )
            for start, end in wanted
        ]
        made += Annotation.objects.bulk_create(rows, batch_size=500)
    Annotation.tags.through.objects.bulk_create(
        [Annotation.tags.through(annotation=row, tag=tag_row) for row in made],
        batch_size=500,
    )
    AnnotationEvent.objects.bulk_create(
        [
            AnnotationEvent(
                annotation=row,
                actor=author,
                kind=EventKind.CREATED,
                after={
                    "note": body,
                    "tags": [tag_row.name],
                    "visibility": row.visibility,
                },
                reason=reason,
            )
            for row in made
        ],
        batch_size=500,
    )
    search.index_notes(made)
    return made, len(tagged)


@transaction.atomic
def update_annotation(
    *,
    annotation: Annotation,
    editor: AbstractBaseUser,
    version: int,
    body: str,
    tags: Iterable[Tag | str],
    visibility: str,
) -> Annotation:
    """Save an edit made to `version`; raise EditConflict if the row moved on since.

    Each changed field is recorded in the history. The author's edit of an
    annotation a curator rejected or sent back is a revision: it returns to
    "submitted", and that is recorded too. New tag names become tags in the same
    transaction: a refused edit leaves none behind.
    """
    Annotation(body=body, visibility=visibility).clean_fields(
        exclude=["project", "document", "author", "start", "end", "exact"]
    )
    # The row alone is locked (PostgreSQL refuses FOR UPDATE across the outer
    # join to updated_by, and the project need not be locked).
    current = _locked(annotation)
    if current is None or current.version != version or current.deleted_at:
        raise EditConflict(
            Annotation.objects.select_related("updated_by", "deleted_by")
            .filter(pk=annotation.pk)
            .first()
            or annotation
        )
    tags = resolve_tags(current.project, tags)
    before = {
        EventKind.NOTE: current.body,
        EventKind.TAGS: sorted(tag.name for tag in current.tags.all()),
        EventKind.VISIBILITY: current.visibility,
    }
    after = {
        EventKind.NOTE: body,
        EventKind.TAGS: sorted(tag.name for tag in tags),
        EventKind.VISIBILITY: visibility,
    }
    revising = current.revised_by(editor.pk)
    new_status = Status.SUBMITTED if revising else current.status
    audience = max(
        _audience(current),
        _audience(current, visibility=visibility, status=new_status),
    )
    Annotation.objects.filter(pk=current.pk).update(
        body=body,
        visibility=visibility,
        status=new_status,
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by=editor,
        **record_change(current.document_id, audience, current.author_id),
    )
    fresh = Annotation.objects.select_related("project", "author").get(pk=current.pk)
    fresh.tags.set(tags)
    if body != current.body:
        search.index_note(fresh)
    events = [
        AnnotationEvent(
            annotation=fresh,
            actor=editor,
            kind=kind,
            before=before[kind],
            after=after[kind],
        )
        for kind in before
        if before[kind] != after[kind]
    ]
    if revising:
        events.append(
            AnnotationEvent(
                annotation=fresh,
                actor=editor,
                kind=EventKind.STATUS,
                before=current.status,
                after=Status.SUBMITTED,
                reason="Revised by its author.",
            )
        )
    AnnotationEvent.objects.bulk_create(events)
    fresh.tag_list = tags
    return fresh


@transaction.atomic
def delete_annotation(
    *, annotation: Annotation, by: AbstractBaseUser, version: int | None = None
) -> None:
    """Soft-delete: hidden everywhere, kept for curators with who and when.
    With `version`, only that version: EditConflict if it moved on since."""
    current = _locked(annotation)
    if current is None or current.deleted_at is not None:
        return
    if version is not None and current.version != version:
        raise EditConflict(current)
    Annotation.objects.filter(pk=current.pk).update(
        deleted_at=timezone.now(),
        deleted_by=by,
        **record_change(current.document_id, _audience(current), current.author_id),
    )
    AnnotationEvent.objects.create(annotation=current, actor=by, kind=EventKind.DELETED)


@transaction.atomic
def set_status(
    *, annotation: Annotation, by: AbstractBaseUser, status: str, reason: str = ""
) -> Annotation:
    """A curator's decision, with its reason, recorded in the history."""
    if status not in Status.values:
        raise ValidationError({"status": "Choose one of the listed statuses."})
    reason = reason.strip()
    if status in REASON_REQUIRED and not reason:
        raise ValidationError(
            {"reason": "Say why: the author sees the reason in the thread."}
        )
    current = _locked(annotation)
    if current is None or current.deleted_at is not None:
        raise ValidationError("This annotation was deleted.")
    audience = max(_audience(current), _audience(current, status=status))
    columns = record_change(current.document_id, audience, current.author_id)
    Annotation.objects.filter(pk=current.pk).update(
        status=status, updated_at=timezone.now(), **columns
    )
    AnnotationEvent.objects.create(
        annotation=current,
        actor=by,
        kind=EventKind.STATUS,
        before=current.status,
        after=status,
        reason=reason,
    )
    current.status = status
    for name, value in columns.items():
        setattr(current, name, value)
    return current


def touch_annotation(annotation: Annotation) -> None:
    """Mark the annotation changed (its thread: a reply) for those who see it."""
    current = Annotation.objects.select_related("project").get(pk=annotation.pk)
    Annotation.objects.filter(pk=current.pk).update(
        **record_change(current.document_id, _audience(current), current.author_id)
    )


@transaction.atomic
def decide_all(
    *,
    membership: Membership,
    by: AbstractBaseUser,
    ids: list[int],
    status: str,
    reason: str,
) -> list[Annotation]:
    """The same decision and reason for each annotation; all or none."""
    annotations = Annotation.objects.shown_to_member(membership).filter(pk__in=ids)
    found = list(annotations)
    if len(found) != len(set(ids)):
        raise ValidationError("Some of these annotations are gone or not yours to see.")
    for annotation in found:
        set_status(annotation=annotation, by=by, status=status, reason=reason)
    return found
