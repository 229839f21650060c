"""Writes to annotations, replies and tags. No request, no messages.

Every change bumps the document's annotation_revision and stamps the changed
row with it, so readers polling the document learn what changed since when.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from annotations.models import (
    Annotation,
    AnnotationEvent,
    EventKind,
    Reply,
    Status,
    Tag,
    Visibility,
)
from corpus.models import Document, Project

CONTEXT_SIZE = 32


class EditConflict(Exception):
    """Someone changed (or deleted) the row since the editor loaded it."""

    def __init__(self, current: Annotation | Reply):
        self.current = current
        super().__init__("This was changed by someone else since you opened it.")


def _bump_revision(document_id: int) -> int:
    """Increment the document's annotation revision and return the new value."""
    # One round trip with RETURNING (PostgreSQL, SQLite >= 3.35) on every write.
    table = connection.ops.quote_name(Document._meta.db_table)
    column = connection.ops.quote_name("annotation_revision")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = {column} + 1 "  # noqa: S608
            f"WHERE id = %s RETURNING {column}",
            [document_id],
        )
        return cursor.fetchone()[0]


def _check_tags(project: Project, tags: Iterable[Tag]) -> list[Tag]:
    tags = list(tags)
    if any(tag.project_id != project.pk for tag in tags):
        raise ValidationError("A tag of another project cannot be used here.")
    return tags


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


@transaction.atomic
def create_annotation(
    *,
    document: Document,
    author: AbstractBaseUser,
    start: int,
    end: int,
    exact: str,
    body: str = "",
    tags: Iterable[Tag] = (),
    visibility: str = Visibility.PROJECT,
) -> Annotation:
    """Anchor a new annotation on document.text[start:end] after checking the quote."""
    text = document.text
    check_anchor(text=text, start=start, end=end, exact=exact)
    tags = _check_tags(document.project, tags)
    annotation = Annotation(
        project_id=document.project_id,
        document=document,
        author=author,
        start=start,
        end=end,
        exact=exact,
        prefix=text[max(0, start - CONTEXT_SIZE) : start],
        suffix=text[end : end + CONTEXT_SIZE],
        body=body,
        visibility=visibility,
    )
    # The foreign keys are rows the caller holds and the range was checked
    # above; the database enforces both again. Skipping their lookups here
    # saves six queries on the hottest write.
    annotation.full_clean(
        exclude=["project", "document", "author"], validate_constraints=False
    )
    annotation.revision = _bump_revision(document.pk)
    annotation.save()
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
    return annotation


@transaction.atomic
def update_annotation(
    *,
    annotation: Annotation,
    editor: AbstractBaseUser,
    version: int,
    body: str,
    tags: Iterable[Tag],
    visibility: str,
) -> Annotation:
    """Save an edit made to `version`; raise EditConflict if the row moved on since.

    Each changed field is recorded in the history. The author's edit of an
    annotation a curator rejected or sent back is a revision: it returns to
    "submitted", and that is recorded too.
    """
    tags = _check_tags(annotation.project, tags)
    before = {
        EventKind.NOTE: annotation.body,
        EventKind.TAGS: sorted(tag.name for tag in annotation.tags.all()),
        EventKind.VISIBILITY: annotation.visibility,
    }
    after = {
        EventKind.NOTE: body,
        EventKind.TAGS: sorted(tag.name for tag in tags),
        EventKind.VISIBILITY: visibility,
    }
    revising = annotation.author_id == editor.pk and annotation.status in (
        Status.REJECTED,
        Status.NEEDS_REVISION,
    )
    Annotation(body=body, visibility=visibility).clean_fields(
        exclude=["project", "document", "author", "start", "end", "exact"]
    )
    revision = _bump_revision(annotation.document_id)
    changed = Annotation.objects.filter(
        pk=annotation.pk, version=version, deleted_at__isnull=True
    ).update(
        body=body,
        visibility=visibility,
        version=F("version") + 1,
        revision=revision,
        updated_at=timezone.now(),
        **({"status": Status.SUBMITTED} if revising else {}),
    )
    if not changed:
        # Raising out of the atomic block also undoes the revision bump.
        raise EditConflict(Annotation.objects.get(pk=annotation.pk))
    fresh = Annotation.objects.select_related("project", "author").get(pk=annotation.pk)
    fresh.tags.set(tags)
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
                before=annotation.status,
                after=Status.SUBMITTED,
                reason="Revised by its author.",
            )
        )
    AnnotationEvent.objects.bulk_create(events)
    return fresh


@transaction.atomic
def delete_annotation(*, annotation: Annotation, by: AbstractBaseUser) -> None:
    """Soft-delete: hidden everywhere, kept for curators with who and when."""
    revision = _bump_revision(annotation.document_id)
    deleted = Annotation.objects.filter(
        pk=annotation.pk, deleted_at__isnull=True
    ).update(deleted_at=timezone.now(), deleted_by=by, revision=revision)
    if deleted:
        AnnotationEvent.objects.create(
            annotation=annotation, actor=by, kind=EventKind.DELETED
        )


REASON_REQUIRED = (Status.REJECTED, Status.NEEDS_REVISION)


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
    current = Annotation.objects.select_for_update().get(pk=annotation.pk)
    if current.deleted_at is not None:
        raise ValidationError("This annotation was deleted.")
    revision = _bump_revision(current.document_id)
    Annotation.objects.filter(pk=current.pk).update(
        status=status, revision=revision, updated_at=timezone.now()
    )
    AnnotationEvent.objects.create(
        annotation=current,
        actor=by,
        kind=EventKind.STATUS,
        before=current.status,
        after=status,
        reason=reason,
    )
    current.status, current.revision = status, revision
    return current


def _touch_annotation(annotation_id: int, document_id: int) -> None:
    """Mark the annotation changed so pollers refresh its thread and reply count."""
    revision = _bump_revision(document_id)
    Annotation.objects.filter(pk=annotation_id).update(revision=revision)


@transaction.atomic
def create_reply(
    *, annotation: Annotation, author: AbstractBaseUser, body: str
) -> Reply:
    """Add a reply to an annotation's thread."""
    reply = Reply(annotation=annotation, author=author, body=body.strip())
    reply.full_clean()
    reply.save()
    _touch_annotation(annotation.pk, annotation.document_id)
    return reply


@transaction.atomic
def update_reply(*, reply: Reply, version: int, body: str) -> Reply:
    """Save an edit made to `version` of a reply; raise EditConflict if it moved on."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": "A reply cannot be empty."})
    changed = Reply.objects.filter(
        pk=reply.pk, version=version, deleted_at__isnull=True
    ).update(body=body, version=F("version") + 1, updated_at=timezone.now())
    if not changed:
        raise EditConflict(Reply.objects.get(pk=reply.pk))
    _touch_annotation(reply.annotation_id, reply.annotation.document_id)
    return Reply.objects.select_related("author", "annotation").get(pk=reply.pk)


@transaction.atomic
def delete_reply(*, reply: Reply, by: AbstractBaseUser) -> None:
    """Soft-delete a reply."""
    Reply.objects.filter(pk=reply.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now(), deleted_by=by
    )
    _touch_annotation(reply.annotation_id, reply.annotation.document_id)


@transaction.atomic
def get_or_create_tag(*, project: Project, name: str) -> Tag:
    """The project's tag of that name (any case), created if it does not exist."""
    name = " ".join(name.split())
    existing = (
        Tag.objects.filter(project=project)
        .annotate(lower=Lower("name"))
        .filter(lower=name.lower())
        .first()
    )
    if existing is not None:
        return existing
    tag = Tag(project=project, name=name)
    tag.full_clean(validate_constraints=False)
    tag.save()
    return tag


def _bump_documents_tagged(tags: Iterable[Tag]) -> None:
    """Tag names show in highlights: redraw every document that uses these tags."""
    document_ids = set(
        Annotation.objects.filter(tags__in=list(tags)).values_list(
            "document_id", flat=True
        )
    )
    for document_id in sorted(document_ids):
        revision = _bump_revision(document_id)
        Annotation.objects.filter(document_id=document_id, tags__in=list(tags)).update(
            revision=revision
        )


def _name_is_free(project: Project, name: str, exclude: Tag | None = None) -> None:
    taken = Tag.objects.filter(project=project, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"name": f"The project already has a tag “{name}”."})


@transaction.atomic
def rename_tag(*, tag: Tag, name: str) -> Tag:
    """Give a tag a new name everywhere it is used."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "A tag needs a name."})
    _name_is_free(tag.project, name, exclude=tag)
    tag.name = name
    tag.full_clean(validate_constraints=False)
    tag.save(update_fields=["name"])
    _bump_documents_tagged([tag])
    return tag


@transaction.atomic
def merge_tags(*, sources: Iterable[Tag], into: Tag, by: AbstractBaseUser) -> int:
    """Re-tag every annotation of `sources` with `into`, then remove `sources`.

    Each re-tagged annotation records the change in its history. Returns how
    many annotations were re-tagged.
    """
    sources = [tag for tag in sources if tag.pk != into.pk]
    if not sources:
        raise ValidationError("Choose at least one other tag to merge into it.")
    if any(tag.project_id != into.project_id for tag in sources):
        raise ValidationError("Tags of another project cannot be merged here.")
    _bump_documents_tagged([*sources, into])
    through = Annotation.tags.through
    affected = list(
        Annotation.objects.filter(tags__in=sources).distinct().prefetch_related("tags")
    )
    events = []
    for annotation in affected:
        before = sorted(tag.name for tag in annotation.tags.all())
        after = sorted(
            {tag.name for tag in annotation.tags.all() if tag not in sources}
            | {into.name}
        )
        events.append(
            AnnotationEvent(
                annotation=annotation,
                actor=by,
                kind=EventKind.TAGS,
                before=before,
                after=after,
                reason=f"Tags merged into “{into.name}”.",
            )
        )
    already = set(
        through.objects.filter(tag=into, annotation__in=affected).values_list(
            "annotation_id", flat=True
        )
    )
    through.objects.bulk_create(
        [
            through(annotation=annotation, tag=into)
            for annotation in affected
            if annotation.pk not in already
        ]
    )
    Tag.objects.filter(parent__in=sources).update(parent=into)
    Tag.objects.filter(pk__in=[tag.pk for tag in sources]).delete()
    AnnotationEvent.objects.bulk_create(events)
    return len(affected)


@transaction.atomic
def set_tag_parent(*, tag: Tag, parent: Tag | None) -> Tag:
    """Place a tag under another (or at the top); no cycles, same project."""
    if parent is not None:
        if parent.project_id != tag.project_id:
            raise ValidationError("A tag of another project cannot be the parent.")
        ancestor = parent
        while ancestor is not None:
            if ancestor.pk == tag.pk:
                raise ValidationError(
                    f"“{parent.name}” is inside “{tag.name}”: that would be a loop."
                )
            ancestor = ancestor.parent
    tag.parent = parent
    tag.save(update_fields=["parent"])
    return tag


@transaction.atomic
def retire_tag(*, tag: Tag, retired: bool = True) -> Tag:
    """A retired tag stays on its annotations but is no longer offered."""
    tag.retired = retired
    tag.save(update_fields=["retired"])
    return tag
