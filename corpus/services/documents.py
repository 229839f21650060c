"""Writes to documents already in a project: their metadata.

(Moving a document to the trash touches its annotations too: that is in
annotations.services.trash.)
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F

from corpus.conflicts import EditConflict
from corpus.models import Document


@transaction.atomic
def update_document_metadata(
    *,
    document: Document,
    version: int | None = None,
    editor: AbstractBaseUser | None = None,
    **fields,
) -> Document:
    """Change a document's descriptive fields (never its text).

    The edit names the `version` it was made to and is refused (EditConflict)
    if the metadata changed since; None skips the check (imports, scripts).
    """
    unknown = set(fields) - set(Document.METADATA_FIELDS)
    if unknown:
        raise ValueError(f"Not metadata: {', '.join(sorted(unknown))}")
    current = (
        Document.objects.select_for_update()
        .defer("text", "blocks", "links", "original")
        .filter(pk=document.pk)
        .first()
    )
    if current is None or (version is not None and current.version != version):
        raise EditConflict(
            Document.objects.select_related("updated_by")
            .defer("text", "blocks", "links", "original")
            .filter(pk=document.pk)
            .first()
            or document
        )
    for name, value in fields.items():
        setattr(document, name, value)
    document.full_clean(exclude=["text", "blocks", "links", "original"])
    for name, value in fields.items():
        setattr(current, name, value)
    current.version = F("version") + 1
    current.updated_by = editor
    current.save(update_fields=[*fields, "version", "updated_by", "updated_at"])
    current.refresh_from_db(fields=["version", "updated_at", "keywords_text"])
    document.version, document.updated_at = current.version, current.updated_at
    document.updated_by = editor
    return document
