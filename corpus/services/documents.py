"""Writes to documents already in a project: metadata, trash, restore, purge."""

from __future__ import annotations

from django.db import transaction

from corpus.models import Document


@transaction.atomic
def update_document_metadata(*, document: Document, **fields) -> Document:
    """Change a document's descriptive fields (never its text)."""
    unknown = set(fields) - set(Document.METADATA_FIELDS)
    if unknown:
        raise ValueError(f"Not metadata: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(document, name, value)
    document.full_clean()
    document.save(update_fields=[*fields, "updated_at"])
    return document
