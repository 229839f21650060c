"""Writes to the replies of an annotation's thread."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotations.models import Annotation, Reply
from annotations.services import search
from annotations.services.annotations import touch_annotation
from corpus.conflicts import EditConflict


@transaction.atomic
def create_reply(
    *, annotation: Annotation, author: AbstractBaseUser, body: str
) -> Reply:
    """Add a reply to an annotation's thread."""
    reply = Reply(annotation=annotation, author=author, body=body.strip())
    # Both ends are rows the caller holds; the database checks them again.
    reply.full_clean(exclude=["annotation", "author"])
    reply.save()
    search.index_reply(reply, annotation, new=True)
    touch_annotation(annotation)
    return reply


@transaction.atomic
def update_reply(
    *, reply: Reply, version: int, body: str, editor: AbstractBaseUser | None = None
) -> Reply:
    """Save an edit made to `version` of a reply; raise EditConflict if it moved on."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": "A reply cannot be empty."})
    Reply(body=body).clean_fields(exclude=["annotation", "author"])
    changed = Reply.objects.filter(
        pk=reply.pk, version=version, deleted_at__isnull=True
    ).update(
        body=body,
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by=editor,
    )
    if not changed:
        raise EditConflict(
            Reply.objects.select_related("updated_by", "author").get(pk=reply.pk)
        )
    touch_annotation(reply.annotation)
    edited = Reply.objects.select_related("author", "annotation").get(pk=reply.pk)
    search.index_reply(edited, edited.annotation)
    return edited


@transaction.atomic
def delete_reply(*, reply: Reply, by: AbstractBaseUser) -> None:
    """Soft-delete a reply."""
    Reply.objects.filter(pk=reply.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now(), deleted_by=by
    )
    touch_annotation(reply.annotation)
