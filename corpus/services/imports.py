"""Writes of the import: uploads on their way to review, and the documents they become.

An upload is parsed once and the result kept with it (`PendingImport`): at
once when it is small, by the background worker (corpus/tasks.py) when it is
large. Its importer reviews the result and saves choices (format, boilerplate to
leave out, title, authors, date); importing then turns the kept result and the
choices into a Document, all or nothing. Small files are imported within the
request, large ones by the worker; the review page follows the worker's
progress. Every file goes its own way: one file's failure is recorded on it and
never stops the others.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from corpus import importers
from corpus.importers import ImportedText
from corpus.models import Document, Membership, PendingImport, Project, content_hash
from corpus.roles import Action

logger = logging.getLogger(__name__)

Status = PendingImport.Status

# A file up to this size is parsed or imported within the request that asks
# for it, as long as the request has not done INLINE_BUDGET_BYTES of such work
# already: a request stays well under a second. Larger files go to the worker.
INLINE_MAX_BYTES = 256 * 1024
INLINE_BUDGET_BYTES = 1024 * 1024
PREVIEW_BLOCKS = 4
PREVIEW_CHARS = 1000
BOILERPLATE_CHARS = 300
# Imported uploads stay listed (with a link to their document) this long.
KEEP_IMPORTED = datetime.timedelta(days=7)
UNEXPECTED = (
    "Something went wrong on our side while {doing} it; nothing of it was saved. "
    "Try again, or discard it."
)


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


class InlineBudget:
    """How much parsing or importing one request may still do itself."""

    def __init__(self, total: int = INLINE_BUDGET_BYTES):
        self.left = total

    def take(self, size: int) -> bool:
        """True (and spent) if a file of `size` bytes may be handled now."""
        if size > INLINE_MAX_BYTES or size > self.left:
            return False
        self.left -= size
        return True


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
    """Parse a file and store it as a document, without review (command line)."""
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


# -- Uploads waiting for review ------------------------------------------------


def stage_upload(
    *,
    project: Project,
    user: AbstractBaseUser,
    filename: str,
    data: bytes,
    budget: InlineBudget,
) -> PendingImport:
    """Keep an upload for review and have it parsed, now or by the worker.

    Raises ImportRefused, keeping nothing, for a file that is refused at once.
    """
    limit = settings.APPARATUS_MAX_UPLOAD_BYTES
    filename = filename[:255]
    importers.check_bytes(data, filename=filename, max_bytes=limit)
    imported = None
    if budget.take(len(data)):
        try:
            imported = importers.import_bytes(data, filename=filename, max_bytes=limit)
        except importers.ImportRefused:
            raise
        except Exception:
            # A fault of ours refuses this file, not the whole upload.
            logger.exception("Parsing upload %r failed", filename)
            raise importers.ImportRefused(UNEXPECTED.format(doing="reading")) from None
    PendingImport.objects.filter(
        project=project,
        uploaded_by=user,
        status=Status.IMPORTED,
        status_changed_at__lt=timezone.now() - KEEP_IMPORTED,
    ).delete()
    pending = PendingImport(
        project=project,
        uploaded_by=user,
        filename=filename,
        data=data,
        size=len(data),
    )
    if imported is not None:
        pending.status = Status.READY
        pending.parsed = imported.as_dict()
        pending.summary = summarize(imported)
    # The parse result is checked by its own construction; validating the JSON
    # would encode megabytes of it a second time.
    pending.full_clean(exclude=["data", "parsed", "summary", "choices"])
    pending.save()
    if imported is None:
        _start(pending, Status.QUEUED, inline=False)
    return pending


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


def save_review_choices(
    *,
    pending: PendingImport,
    format: str,
    drop: list[int],
    title: str | None,
    authors: list[str] | None,
    published_date: datetime.date | None,
    budget: InlineBudget,
) -> bool:
    """Keep the importer's choices for one upload; True if a new format has it
    read again (now or by the worker), which forgets the boilerplate ticked.

    `title` and `authors` are None when the form did not offer them (a file
    that could not be read offers only the format).
    """
    summary = pending.summary
    reread = pending.status == Status.REFUSED or (
        format != pending.choices.get("format", "") and format != summary.get("format")
    )
    offered = {index for index, _ in summary.get("boilerplate", [])}
    choices = {"format": format, "drop": sorted(set(drop) & offered)}
    if title is not None:
        date = published_date.isoformat() if published_date else None
        for name, value in [
            ("title", title),
            ("authors", authors or []),
            ("published_date", date),
        ]:
            # Only what differs from the detected value is a choice: another
            # format's reading then brings its own title, unless one was typed.
            if value != summary.get(name):
                choices[name] = value
    else:
        choices.update(
            (name, pending.choices[name])
            for name in ("title", "authors", "published_date")
            if name in pending.choices
        )
    if reread:
        choices["drop"] = []
    pending.choices = choices
    fields = ["choices"]
    if pending.status == Status.FAILED:
        # The choices changed: the file may be imported again.
        pending.status, pending.message = Status.READY, ""
        pending.status_changed_at = timezone.now()
        fields += ["status", "message", "status_changed_at"]
    pending.save(update_fields=fields)
    if reread:
        _start(pending, Status.QUEUED, inline=budget.take(pending.size))
    return reread


def start_import(*, pending: PendingImport, budget: InlineBudget) -> None:
    """Import one reviewed upload with its saved choices: now if it is small,
    else by the worker. The outcome is recorded on the upload."""
    _start(pending, Status.IMPORT_QUEUED, inline=budget.take(pending.size))


def import_reviewed(
    *, project: Project, user: AbstractBaseUser, budget: InlineBudget
) -> int:
    """Import every upload of `user` that is ready, each with its own saved
    choices and all or nothing; return how many were started."""
    ready = PendingImport.objects.filter(
        project=project, uploaded_by=user, status=Status.READY
    ).defer("data", "parsed")
    started = 0
    for pending in ready:
        start_import(pending=pending, budget=budget)
        started += 1
    return started


def retry_pending(*, pending: PendingImport, budget: InlineBudget) -> None:
    """Start the background work of an upload again, when it seems stuck (the
    worker stopped, or lost the task)."""
    if pending.status in {Status.QUEUED, Status.PARSING}:
        _start(pending, Status.QUEUED, inline=budget.take(pending.size))
    elif pending.status in {Status.IMPORT_QUEUED, Status.IMPORTING}:
        start_import(pending=pending, budget=budget)


def clear_imported(*, project: Project, user: AbstractBaseUser) -> int:
    """Forget the uploads of `user` that became documents; return how many."""
    deleted, _ = PendingImport.objects.filter(
        project=project, uploaded_by=user, status=Status.IMPORTED
    ).delete()
    return deleted


def _start(pending: PendingImport, status: str, *, inline: bool) -> None:
    """Hand a new revision of the upload's work to this request or the worker."""
    from corpus import tasks  # corpus.tasks calls back into this module

    # Only from the revision the caller read: work asked for twice at once
    # (two tabs) starts once; the later request finds it started and does
    # nothing more.
    now = timezone.now()
    started = PendingImport.objects.filter(
        pk=pending.pk, revision=pending.revision
    ).update(
        revision=F("revision") + 1, status=status, message="", status_changed_at=now
    )
    if not started:
        return
    pending.revision += 1
    pending.status, pending.message, pending.status_changed_at = status, "", now
    work = parse_pending if status == Status.QUEUED else import_pending
    if inline:
        work(pending_id=pending.pk, revision=pending.revision)
    else:
        task = tasks.parse_upload if status == Status.QUEUED else tasks.import_upload
        task.enqueue(pending.pk, pending.revision)


# -- The work itself, in a request or in the worker -----------------------------


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
