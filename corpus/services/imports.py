"""Writes of the import: uploads on their way to review, and their review.

An upload is parsed once and the result kept with it (`PendingImport`): at
once when it is small, by the background worker (corpus/tasks.py) when it is
large. Its importer reviews the result and saves choices (format, boilerplate to
leave out, title, authors, date); importing then turns the kept result and the
choices into a Document, all or nothing (the work itself: import_work). Small
files are imported within the request, large ones by the worker; the review
page follows the worker's progress. Every file goes its own way: one file's
failure is recorded on it and never stops the others.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F
from django.utils import timezone

from corpus import importers
from corpus.models import PendingImport, Project
from corpus.services.import_work import (
    UNEXPECTED,
    import_pending,
    parse_pending,
    summarize,
)

logger = logging.getLogger(__name__)

Status = PendingImport.Status

# A file up to this size is parsed or imported within the request that asks
# for it, as long as the request has not done INLINE_BUDGET_BYTES of such work
# already: a request stays well under a second. Larger files go to the worker.
INLINE_MAX_BYTES = 256 * 1024
INLINE_BUDGET_BYTES = 1024 * 1024
# Imported uploads stay listed (with a link to their document) this long.
KEEP_IMPORTED = datetime.timedelta(days=7)


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
