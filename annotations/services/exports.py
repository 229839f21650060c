"""Large exports, written by the background worker into a file the member
downloads when it is ready; small ones stream from the request at once
(views/export.py). Files are kept for KEEP, then removed."""

from __future__ import annotations

import datetime
import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from annotations import csv_tables, export, w3c
from annotations.backup import archive
from annotations.models import Annotation, Export
from corpus.models import Document, Membership
from corpus.roles import Action

logger = logging.getLogger(__name__)

Kind, Status = Export.Kind, Export.Status

# A scope of more notes than this is written in the background: its JSON-LD
# takes seconds (117,508 items: 7 s), which a web worker should not spend.
LARGE_NOTES = 20_000
# How long a written file waits to be downloaded.
KEEP = datetime.timedelta(days=2)
# The progress is written at most every this many rows (and at the end).
PROGRESS_STEP = 5000


def is_large(scope: export.Scope, kind: str) -> bool:
    """Whether an export of `scope` goes to the worker."""
    if kind == Kind.BACKUP:
        project = scope.membership.project_id
        return Annotation.objects.filter(project_id=project).count() > LARGE_NOTES
    return scope.notes.count() > LARGE_NOTES


def download_name(subject, suffix: str) -> str:
    """The file name an export of a project or a document downloads as."""
    return f"{slugify(str(subject))[:60] or 'annotations'}{suffix}"


def start_export(
    *,
    membership: Membership,
    kind: str,
    origin: str,
    document: Document | None = None,
    approved_only: bool = False,
    filters: dict | None = None,
) -> Export:
    """Have the worker write an export for the member; forget their old ones."""
    from annotations import tasks  # annotations.tasks calls back into here

    for old in Export.objects.filter(
        user_id=membership.user_id, created_at__lt=timezone.now() - KEEP
    ):
        _forget(old)
    job = Export.objects.create(
        user_id=membership.user_id,
        project_id=membership.project_id,
        kind=kind,
        document=document,
        approved_only=approved_only,
        filters=filters or {},
        origin=origin,
    )
    tasks.write_export.enqueue(job.pk)
    return job


def _forget(job: Export) -> None:
    if job.path:
        Path(job.path).unlink(missing_ok=True)
    job.delete()


def run_export(*, export_id: int) -> str:
    """Write the export's file; return the status it reached."""
    begun = Export.objects.filter(pk=export_id, status=Status.QUEUED).update(
        status=Status.WRITING, status_changed_at=timezone.now()
    )
    if not begun:
        return "superseded"
    job = Export.objects.select_related("project", "document").get(pk=export_id)
    membership = (
        Membership.objects.select_related("project", "user")
        .filter(project=job.project, user_id=job.user_id)
        .first()
    )
    shown = 0

    def progress(done: int, total: int) -> None:
        nonlocal shown
        if done - shown >= PROGRESS_STEP or done == total:
            shown = done
            Export.objects.filter(pk=export_id).update(done=done, total=total)

    directory = Path(settings.APPARATUS_EXPORT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{secrets.token_hex(16)}.part"
    outcome: dict = {"status": Status.FAILED}
    try:
        if membership is None or (
            job.kind == Kind.BACKUP and not membership.can(Action.EDIT_PROJECT)
        ):
            raise PermissionError
        pieces, filename = _pieces(job, membership, progress)
        size = 0
        with path.open("wb") as out:
            for piece in pieces:
                data = piece.encode() if isinstance(piece, str) else piece
                out.write(data)
                size += len(data)
        final = path.with_suffix("")
        os.replace(path, final)
    except PermissionError:
        outcome["message"] = "You may no longer export this project."
    except Exception:
        logger.exception("Writing export %s failed", export_id)
        outcome["message"] = (
            "Something went wrong on our side while writing the file. Please try again."
        )
    else:
        outcome = {
            "status": Status.READY,
            "path": str(final),
            "size": size,
            "filename": filename,
        }
    finally:
        path.unlink(missing_ok=True)
    Export.objects.filter(pk=export_id).update(
        status_changed_at=timezone.now(), **outcome
    )
    return outcome["status"]


def _pieces(job: Export, membership: Membership, progress) -> tuple[Iterator, str]:
    """What the file holds, in pieces, and the name it downloads as."""
    project, document = job.project, job.document
    subject = project if document is None else document
    if job.kind == Kind.BACKUP:
        day = timezone.localdate().isoformat()
        pieces = archive.write(project, membership=membership, progress=progress)
        return pieces, f"{project.slug}-backup-{day}.zip"
    scope = export.Scope.filtered(
        membership, document, {**job.filters, "approved": job.approved_only}
    )
    if job.kind == Kind.CSV:
        pieces = csv_tables.tables(
            scope,
            described=csv_tables.describe(subject, scope.filters),
            address=lambda path: job.origin + path,
            progress=progress,
        )
        return pieces, download_name(subject, "-csv.zip")
    if document is None:
        where = reverse("annotations:project_export_annotations", args=[project.slug])
    else:
        where = reverse(
            "annotations:document_export_annotations", args=[project.slug, document.pk]
        )
    query = urlencode(
        {
            name: "1" if value is True else value
            for name, value in scope.filters.items()
            if value
        }
    )
    pieces = export.collection(
        scope,
        w3c.Iris(base=job.origin, slug=project.slug),
        label=f"Annotations of {subject}",
        address=job.origin + where + (f"?{query}" if query else ""),
        progress=progress,
    )
    return pieces, download_name(subject, ".jsonld")


def members_exports(membership: Membership):
    """The member's exports of the project, newest first."""
    return Export.objects.filter(
        project_id=membership.project_id, user_id=membership.user_id
    )
