"""The work of the import, run within a request for small files and by the
background worker (corpus/tasks.py) for large ones: parsing an upload and
keeping the result, and saving a reviewed upload as a document. Each records
its outcome on the upload, and does nothing when it has been overtaken (a
newer revision of the work was asked for, or the upload was discarded).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from corpus import importers
from corpus.importers import ImportedText
from corpus.models import Document, Membership, PendingImport, content_hash
from corpus.roles import Action
from corpus.services.documents import DuplicateDocument, save_document

logger = logging.getLogger(__name__)

Status = PendingImport.Status

PREVIEW_BLOCKS = 4
PREVIEW_CHARS = 1000
BOILERPLATE_CHARS = 300
UNEXPECTED = (
    "Something went wrong on our side while {doing} it; nothing of it was saved. "
    "Try again, or discard it."
)


def summarize(imported: ImportedText) -> dict:
    """What the review page shows of a parse result, without its bulk."""
    text = imported.text
    return {
        "format": imported.format,
        "encoding": imported.encoding,
        "title": imported.title,
        "authors": imported.authors,
        "publisher": imported.publisher,
        "source_url": imported.source_url,
        "published_date": (
            imported.published_date.isoformat() if imported.published_date else None
        ),
        "keywords": imported.keywords,
        "language": imported.language,
        "word_count": imported.word_count,
        "block_count": len(imported.blocks),
        "preview": [
            text[block.start : block.end][:PREVIEW_CHARS]
            for block in imported.blocks[:PREVIEW_BLOCKS]
        ],
        "boilerplate": [
            [index, _block_text(imported, index)[:BOILERPLATE_CHARS]]
            for index in imported.boilerplate
        ],
        "warnings": imported.warnings,
        "content_hash": content_hash(text),
    }


def _block_text(imported: ImportedText, index: int) -> str:
    block = imported.blocks[index]
    return imported.text[block.start : block.end]


def parse_pending(*, pending_id: int, revision: int) -> str:
    """Parse one upload and keep the result; return the status it reached."""
    begun = PendingImport.objects.filter(
        pk=pending_id, revision=revision, status=Status.QUEUED
    ).update(status=Status.PARSING, status_changed_at=timezone.now())
    if not begun:
        return "superseded"
    pending = (
        PendingImport.objects.filter(pk=pending_id)
        .only("filename", "data", "choices")
        .first()
    )
    if pending is None:
        return "discarded"
    outcome = _parse(pending)
    PendingImport.objects.filter(pk=pending_id, revision=revision).update(
        status_changed_at=timezone.now(), **outcome
    )
    return outcome["status"]


def _parse(pending: PendingImport) -> dict:
    """The fields that record the outcome of parsing `pending`."""
    try:
        imported = importers.import_bytes(
            bytes(pending.data),
            filename=pending.filename,
            format=pending.choices.get("format") or None,
            max_bytes=settings.APPARATUS_MAX_UPLOAD_BYTES,
        )
    except importers.ImportRefused as error:
        message = str(error)
    except Exception:
        logger.exception("Parsing pending import %s failed", pending.pk)
        message = UNEXPECTED.format(doing="reading")
    else:
        return {
            "status": Status.READY,
            "message": "",
            "parsed": imported.as_dict(),
            "summary": summarize(imported),
        }
    return {"status": Status.REFUSED, "message": message, "parsed": None, "summary": {}}


def import_pending(*, pending_id: int, revision: int) -> str:
    """Save one reviewed upload as a document, all or nothing; return the status
    it reached (IMPORTED, or FAILED with the reason recorded)."""
    begun = PendingImport.objects.filter(
        pk=pending_id, revision=revision, status=Status.IMPORT_QUEUED
    ).update(status=Status.IMPORTING, status_changed_at=timezone.now())
    if not begun:
        return "superseded"
    existing = None
    try:
        with transaction.atomic():
            pending = (
                PendingImport.objects.select_for_update()
                .select_related("project", "uploaded_by")
                .get(pk=pending_id, revision=revision, status=Status.IMPORTING)
            )
            _check_may_import(pending)
            document = save_document(
                project=pending.project,
                imported=reviewed_text(pending),
                original=bytes(pending.data),
                filename=pending.filename,
                imported_by=pending.uploaded_by,
            )
            _mark_imported(pending, document)
    except PendingImport.DoesNotExist:
        return "discarded"
    except DuplicateDocument as error:
        message, existing = error.message, error.existing
    except ValidationError as error:
        message = " ".join(error.messages)
    except Exception:
        logger.exception("Importing pending import %s failed", pending_id)
        message = UNEXPECTED.format(doing="saving")
    else:
        return Status.IMPORTED
    PendingImport.objects.filter(pk=pending_id, revision=revision).update(
        status=Status.FAILED,
        message=message,
        document=existing,
        status_changed_at=timezone.now(),
    )
    return Status.FAILED


def reviewed_text(pending: PendingImport) -> ImportedText:
    """The kept parse result with the importer's saved choices applied."""
    imported = ImportedText.from_dict(pending.parsed)
    drop = set(pending.choices.get("drop", [])) & set(imported.boilerplate)
    if drop:
        imported = importers.drop_blocks(imported, drop)
    date = pending.chosen("published_date")
    return dataclasses.replace(
        imported,
        title=pending.chosen("title") or imported.title,
        authors=list(pending.chosen("authors") or []),
        published_date=datetime.date.fromisoformat(date) if date else None,
    )


def _check_may_import(pending: PendingImport) -> None:
    """The uploader's role may have changed since the work was queued."""
    membership = (
        Membership.objects.select_related("project")
        .filter(project=pending.project_id, user=pending.uploaded_by_id)
        .first()
    )
    if (
        membership is None
        or membership.project.in_trash
        or not membership.can(Action.IMPORT)
    ):
        raise ValidationError(
            "You may no longer import into this project (your role changed, or "
            "the project was archived)."
        )


def _mark_imported(pending: PendingImport, document: Document) -> None:
    pending.status, pending.message = Status.IMPORTED, ""
    pending.document = document
    # The document keeps the original and the text; nothing here is needed.
    pending.data, pending.parsed = b"", None
    pending.status_changed_at = timezone.now()
    pending.save(
        update_fields=[
            "status",
            "message",
            "document",
            "data",
            "parsed",
            "status_changed_at",
        ]
    )
