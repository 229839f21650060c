"""The trash: documents and projects hidden with everything on them, restorable
as they were, and purged for good only by an explicit, recorded owner action."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from annotations.models import (
    Annotation,
    AnnotationEvent,
    EventKind,
    Link,
    Reply,
    Visibility,
)
from annotations.permissions import Audience, link_filter, shown_to_member_filter
from annotations.services.links import link_record
from annotations.services.revisions import bump_revision
from corpus.models import (
    Document,
    Membership,
    Project,
    ProjectEvent,
    ProjectEventKind,
)


@dataclass(frozen=True)
class TrashSummary:
    """What moving a document to the trash hides, as one member may count it."""

    annotations: int
    authors: int
    replies: int
    links: int


def _links_touching(document: Document):
    """Live links with either end on the document."""
    return Link.objects.filter(
        Q(source__document=document)
        | Q(target_annotation__document=document)
        | Q(target_document=document),
        deleted_at__isnull=True,
    )


def trash_summary(document: Document, membership: Membership) -> TrashSummary:
    """The annotations (by how many members), replies and links the document's
    trashing hides, counting what `membership` may see: others' private
    annotations go with it too, uncounted, as they are everywhere else."""
    shown = Annotation.objects.filter(
        shown_to_member_filter(membership), document=document
    )
    counts = shown.aggregate(
        annotations=Count("pk"), authors=Count("author", distinct=True)
    )
    replies = Reply.objects.filter(
        annotation__in=shown.values("pk"), deleted_at__isnull=True
    ).count()
    links = (
        _links_touching(document)
        .filter(link_filter(membership, include_trash=True))
        .count()
    )
    return TrashSummary(
        annotations=counts["annotations"],
        authors=counts["authors"],
        replies=replies,
        links=links,
    )


_SHARED = Q(visibility=Visibility.PROJECT, deleted_at__isnull=True)


def _counts(document: Document) -> dict:
    """What the record keeps of a document: its title, and the shared
    annotations and links on it (private ones are their authors' alone, even
    as a number in a record curators read)."""
    return {
        "document": document.title,
        "document_id": document.pk,
        "annotations": Annotation.objects.filter(_SHARED, document=document).count(),
        "links": _links_touching(document)
        .filter(
            source__visibility=Visibility.PROJECT,
            source__deleted_at__isnull=True,
        )
        .exclude(target_annotation__visibility=Visibility.PRIVATE)
        .exclude(target_annotation__deleted_at__isnull=False)
        .count(),
    }


def _move_document(
    document: Document, by: AbstractBaseUser, *, to_trash: bool
) -> Document:
    """Move a document, with everything on it, into the trash or out of it;
    recorded with what it holds."""
    current = Document.all_objects.select_for_update().get(pk=document.pk)
    if current.in_trash == to_trash:
        where = "already in" if to_trash else "not in"
        raise ValidationError(f"This document is {where} the trash.")
    Document.all_objects.filter(pk=current.pk).update(
        trashed_at=timezone.now() if to_trash else None,
        trashed_by=by if to_trash else None,
    )
    Annotation.objects.filter(document=current).update(in_trash=to_trash)
    if not to_trash:
        # Tags may have been renamed or merged meanwhile (which left the rows
        # in the trash alone): draw the text afresh, and mark every row
        # changed, so that no margin entry drawn before is shown again.
        counts = bump_revision(current.pk, Audience.EVERYONE)
        Annotation.objects.filter(document=current).update(revision=counts.every)
    ProjectEvent.objects.create(
        project_id=current.project_id,
        actor=by,
        kind=(
            ProjectEventKind.DOCUMENT_TRASHED
            if to_trash
            else ProjectEventKind.DOCUMENT_RESTORED
        ),
        detail=_counts(current),
    )
    current.refresh_from_db(fields=["trashed_at", "trashed_by"])
    return current


@transaction.atomic
def trash_document(*, document: Document, by: AbstractBaseUser) -> Document:
    """Hide a document with its annotations, replies and links; nothing is deleted."""
    return _move_document(document, by, to_trash=True)


@transaction.atomic
def restore_document(*, document: Document, by: AbstractBaseUser) -> Document:
    """Bring a document back from the trash with everything it had."""
    return _move_document(document, by, to_trash=False)


def _unlink_from_outside(document_ids, by: AbstractBaseUser) -> None:
    """Record, in the history of annotations elsewhere, that their links into
    the purged documents are gone (the link rows go with the documents)."""
    incoming = Link.objects.filter(
        Q(target_annotation__document_id__in=document_ids)
        | Q(target_document_id__in=document_ids),
        deleted_at__isnull=True,
    ).exclude(source__document_id__in=document_ids)
    AnnotationEvent.objects.bulk_create(
        AnnotationEvent(
            annotation_id=link.source_id,
            actor=by,
            kind=EventKind.UNLINK,
            before=link_record(link),
            reason="The linked document was purged from the trash.",
        )
        for link in incoming.select_related("relation")
    )


@transaction.atomic
def purge_document(*, document: Document, by: AbstractBaseUser) -> dict:
    """Delete a document in the trash for good, with everything on it; recorded."""
    current = Document.all_objects.select_for_update().get(pk=document.pk)
    if not current.in_trash:
        raise ValidationError("Only a document in the trash can be purged.")
    detail = _counts(current)
    _unlink_from_outside([current.pk], by)
    # Its annotations, their replies, history and links (both ways) cascade.
    current.delete()
    ProjectEvent.objects.create(
        project_id=current.project_id,
        actor=by,
        kind=ProjectEventKind.DOCUMENT_PURGED,
        detail=detail,
    )
    return detail


def _project_counts(project: Project) -> dict:
    return {
        "project": project.name,
        "slug": project.slug,
        "documents": Document.all_objects.filter(project=project).count(),
        "annotations": Annotation.objects.filter(_SHARED, project=project).count(),
        "members": project.memberships.count(),
    }


def _move_project(project: Project, by: AbstractBaseUser, *, to_trash: bool) -> Project:
    """Move a project into the trash or out of it, recorded with its counts."""
    current = Project.objects.select_for_update().get(pk=project.pk)
    if current.in_trash == to_trash:
        where = "already in" if to_trash else "not in"
        raise ValidationError(f"This project is {where} the trash.")
    current.trashed_at = timezone.now() if to_trash else None
    current.trashed_by = by if to_trash else None
    current.save(update_fields=["trashed_at", "trashed_by"])
    ProjectEvent.objects.create(
        project=current,
        actor=by,
        kind=(
            ProjectEventKind.PROJECT_TRASHED
            if to_trash
            else ProjectEventKind.PROJECT_RESTORED
        ),
        detail=_project_counts(current),
    )
    return current


@transaction.atomic
def trash_project(*, project: Project, by: AbstractBaseUser) -> Project:
    """Hide a whole project from its members; its owners may restore or purge it."""
    return _move_project(project, by, to_trash=True)


@transaction.atomic
def restore_project(*, project: Project, by: AbstractBaseUser) -> Project:
    """Bring a project back from the trash as it was."""
    return _move_project(project, by, to_trash=False)


@transaction.atomic
def purge_project(*, project: Project, by: AbstractBaseUser) -> dict:
    """Delete a project in the trash for good, with everything in it; recorded
    (the record keeps its name and counts)."""
    current = Project.objects.select_for_update().get(pk=project.pk)
    if not current.in_trash:
        raise ValidationError("Only a project in the trash can be purged.")
    detail = _project_counts(current)
    # Links first: their relation types protect them from a cascade.
    Link.objects.filter(project=current).delete()
    ProjectEvent.objects.filter(project=current).update(project=None)
    current.delete()
    ProjectEvent.objects.create(
        project=None, actor=by, kind=ProjectEventKind.PROJECT_PURGED, detail=detail
    )
    return detail
