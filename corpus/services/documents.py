"""Writes to documents: an imported text stored as one (refused when the project
already has the text), and its metadata corrected.

(Moving a document to the trash touches its annotations too: that is in
annotations.services.trash.)
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from corpus import importers
from corpus.conflicts import EditConflict
from corpus.importers import ImportedText
from corpus.models import Document, Project, content_hash
from corpus.signals import document_saved


class DuplicateDocument(ValidationError):
    """The project already holds a document with exactly this text (maybe in the
    trash, which keeps its texts until an owner purges them)."""

    def __init__(self, existing: Document):
        self.existing = existing
        if existing.in_trash:
            message = (
                f"This text is in the trash as “{existing.title}”; an owner can "
                "restore it."
            )
        else:
            message = (
                f"This text is already in the project as “{existing.title}”; "
                "it was not imported again."
            )
        super().__init__(message, code="duplicate")


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
    # The trash too: the database's uniqueness covers it.
    existing = Document.all_objects.filter(project=project, content_hash=digest)
    if (found := existing.first()) is not None:
        raise DuplicateDocument(found)
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
        found = existing.first()
        if found is None:
            raise
        raise DuplicateDocument(found) from None
    document_saved.send(sender=Document, document=document, text_changed=True)
    return document


def import_file(
    *,
    project: Project,
    data: bytes,
    filename: str,
    imported_by: AbstractBaseUser | None,
    format: str | None = None,
    max_bytes: int | None = None,
) -> Document:
    """Parse a file and store it as a document, without review (the import_texts
    and demo commands; a web upload is reviewed first: services.imports)."""
    imported = importers.import_bytes(
        data, filename=filename, format=format, max_bytes=max_bytes
    )
    return save_document(
        project=project,
        imported=imported,
        original=data,
        filename=filename,
        imported_by=imported_by,
    )


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
    document_saved.send(sender=Document, document=document, text_changed=False)
    return document
