"""Writes of the import: uploads waiting for review, and the documents they become."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from corpus.importers import ImportedText
from corpus.models import Document, PendingImport, Project, content_hash


class DuplicateDocument(ValidationError):
    """The project already holds a document with exactly this text."""

    def __init__(self, existing: Document):
        self.existing = existing
        super().__init__(
            f"This text is already in the project as “{existing.title}”; "
            "it was not imported again.",
            code="duplicate",
        )


@transaction.atomic
def save_document(
    *,
    project: Project,
    imported: ImportedText,
    original: bytes,
    filename: str,
    imported_by: AbstractBaseUser | None,
) -> Document:
    """Store an imported text as a document; refuse a text the project already has."""
    digest = content_hash(imported.text)
    existing = Document.objects.filter(project=project, content_hash=digest).first()
    if existing is not None:
        raise DuplicateDocument(existing)
    document = Document(
        project=project,
        title=(imported.title or filename or "Untitled")[:500],
        authors=imported.authors,
        publisher=imported.publisher[:300],
        source_url=imported.source_url[:2000],
        published_date=imported.published_date,
        keywords=imported.keywords,
        language=imported.language[:16],
        word_count=imported.word_count,
        text=imported.text,
        blocks=[block.as_dict() for block in imported.blocks],
        links=[link.as_dict() for link in imported.links],
        content_hash=digest,
        original=original,
        original_filename=filename[:255],
        original_encoding=imported.encoding[:40],
        format=imported.format,
        imported_by=imported_by,
    )
    try:
        document.full_clean(exclude=["source_url"] if not imported.source_url else None)
    except ValidationError as error:
        if "source_url" in error.message_dict:
            # A header URL the validator rejects is dropped, not fatal.
            document.source_url = ""
            document.full_clean()
        else:
            raise
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # Another import of the same text won the race.
        raise DuplicateDocument(
            Document.objects.get(project=project, content_hash=digest)
        ) from None
    return document


@transaction.atomic
def stage_upload(
    *, project: Project, user: AbstractBaseUser, filename: str, data: bytes
) -> PendingImport:
    """Keep an upload until its importer has reviewed it."""
    pending = PendingImport(
        project=project, uploaded_by=user, filename=filename[:255], data=data
    )
    pending.full_clean()
    pending.save()
    return pending
