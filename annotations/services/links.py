"""Writes to links: from a passage to another passage (any document of the
project), a whole document, or an outside source. Each is recorded in the
history of its source annotation."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from annotations.models import (
    Annotation,
    AnnotationEvent,
    EventKind,
    Link,
    RelationType,
)
from annotations.services.annotations import touch_annotation
from corpus.models import Document

SAFE_SCHEMES = ("http", "https")


def check_source_url(url: str) -> None:
    """Refuse anything but an absolute http(s) address (no javascript:, data:...)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (reading it checks it: "http://x:99999" is refused)
    except ValueError:
        raise ValidationError(
            {"target_url": "That is not a web address (http or https)."},
            code="invalid_url",
        ) from None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.netloc:
        raise ValidationError(
            {"target_url": "Only http and https links can be stored."},
            code="unsafe_url",
        )


def _check_target(
    source: Annotation,
    relation: RelationType,
    target_annotation: Annotation | None,
    target_document: Document | None,
    target_url: str,
) -> None:
    targets = [target_annotation, target_document, target_url or None]
    if sum(target is not None for target in targets) != 1:
        raise ValidationError(
            "Link to exactly one thing: a passage, a document or a source.",
            code="one_target",
        )
    if relation.project_id != source.project_id or relation.retired:
        raise ValidationError(
            {"relation": "Choose one of this project's relations."}, code="relation"
        )
    if target_annotation is not None:
        if target_annotation.project_id != source.project_id:
            raise ValidationError(
                "A passage can only be linked to passages of the same project.",
                code="other_project",
            )
        if target_annotation.pk == source.pk:
            raise ValidationError(
                "An annotation cannot be linked to itself.", code="self_link"
            )
        if target_annotation.deleted_at is not None:
            raise ValidationError("That annotation was deleted.", code="deleted")
    if target_document is not None and target_document.project_id != (
        source.project_id
    ):
        raise ValidationError(
            "A passage can only be linked to documents of the same project.",
            code="other_project",
        )
    if target_url:
        check_source_url(target_url)


@transaction.atomic
def create_link(
    *,
    source: Annotation,
    author: AbstractBaseUser,
    relation: RelationType,
    target_annotation: Annotation | None = None,
    target_document: Document | None = None,
    target_url: str = "",
    target_title: str = "",
    citation: str = "",
    accessed: date | None = None,
    note: str = "",
) -> Link:
    """Link `source` to one annotation, document or outside source of its project;
    the link is recorded in the source's history."""
    target_url = target_url.strip()
    _check_target(source, relation, target_annotation, target_document, target_url)
    link = Link(
        project_id=source.project_id,
        source=source,
        relation=relation,
        target_annotation=target_annotation,
        target_document=target_document,
        target_url=target_url,
        target_title=target_title.strip(),
        citation=citation.strip(),
        accessed=accessed,
        note=note.strip(),
        author=author,
    )
    # The related rows are ones the caller holds and were checked above.
    link.full_clean(
        exclude=[
            "project",
            "source",
            "relation",
            "target_annotation",
            "target_document",
            "author",
        ]
    )
    link.save()
    AnnotationEvent.objects.create(
        annotation=source, actor=author, kind=EventKind.LINK, after=link_record(link)
    )
    # The source's thread shows it: a change to the source for those who see it
    # (the counts of the project's items follow its documents' counters).
    touch_annotation(source)
    return link


def link_record(link: Link) -> dict:
    """What the history keeps of a link: its relation and where it points."""
    return {
        "link": link.pk,
        "relation": link.relation.name,
        "annotation": link.target_annotation_id,
        "document": link.target_document_id,
        "url": link.target_url,
    }


@transaction.atomic
def delete_link(*, link: Link, by: AbstractBaseUser) -> Link:
    """Hide a link, keeping the row with who deleted it and when."""
    link.deleted_at = timezone.now()
    link.deleted_by = by
    link.save(update_fields=["deleted_at", "deleted_by"])
    AnnotationEvent.objects.create(
        annotation_id=link.source_id,
        actor=by,
        kind=EventKind.UNLINK,
        before=link_record(link),
    )
    touch_annotation(link.source)
    return link
