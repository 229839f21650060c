"""Restoring a backup uploaded through the web: kept in a file, checked, then
restored as a new project by this request (a small one) or the worker."""

from __future__ import annotations

import logging
import secrets
import shutil
import zipfile
from pathlib import Path
from typing import IO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from annotations.backup import ArchiveRefused, restore
from annotations.models import Restore
from corpus.services import unique_project_slug

logger = logging.getLogger(__name__)

Status = Restore.Status

# A backup of at most this many rows is restored by the request itself.
INLINE_ROWS = 5000
# The progress written at most every this many rows (and at the end).
PROGRESS_STEP = 2000


def start_restore(
    *, user: AbstractBaseUser, upload: IO[bytes], filename: str, size: int
) -> Restore:
    """Keep an uploaded backup and restore it, now or by the worker.

    Raises ArchiveRefused, keeping nothing, for an archive this server did not
    write or cannot read.
    """
    limit = settings.APPARATUS_MAX_BACKUP_BYTES
    if size > limit:
        raise ArchiveRefused(
            f"The file is {size / 1048576:.0f} MB; the limit is "
            f"{limit / 1048576:.0f} MB. An administrator can restore a larger "
            "backup with `manage.py import_project`."
        )
    try:
        with zipfile.ZipFile(upload) as archive:
            manifest = restore.read_manifest(archive, trusted=False)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
        raise ArchiveRefused(
            "This file is not an Apparatus backup: it is not a zip archive."
        ) from None
    directory = Path(settings.APPARATUS_RESTORE_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{secrets.token_hex(16)}.zip"
    upload.seek(0)
    with path.open("wb") as kept:
        shutil.copyfileobj(upload, kept, 1024 * 1024)
    job = Restore.objects.create(
        user=user,
        filename=filename[:255],
        path=str(path),
        size=size,
        name=str(manifest["project"].get("name", ""))[:200] or filename[:200],
        total=sum(n for n in manifest["counts"].values() if isinstance(n, int)),
    )
    if job.total <= INLINE_ROWS:
        run_restore(restore_id=job.pk)
        job.refresh_from_db()
    else:
        from annotations import tasks  # annotations.tasks calls back into here

        tasks.restore_backup.enqueue(job.pk)
    return job


def run_restore(*, restore_id: int) -> str:
    """Restore a kept backup as a new project of its uploader's; return the
    status it reached. The file goes once the work is done, whatever its end."""
    begun = Restore.objects.filter(pk=restore_id, status=Status.QUEUED).update(
        status=Status.RESTORING, status_changed_at=timezone.now()
    )
    if not begun:
        return "superseded"
    job = Restore.objects.select_related("user").get(pk=restore_id)

    shown = 0

    def progress(done: int, total: int) -> None:
        nonlocal shown
        if done == total or done - shown >= PROGRESS_STEP:
            shown = done
            Restore.objects.filter(pk=restore_id).update(done=done)

    name = f"{job.name} (restored {timezone.localdate():%Y-%m-%d})"[:200]
    outcome: dict = {"status": Status.FAILED}
    try:
        project = restore.restore(
            job.path,
            slug=unique_project_slug(name),
            name=name,
            owner=job.user,
            trusted=False,
            progress=progress,
            atomic=False,
        )
    except ArchiveRefused as error:
        outcome["message"] = str(error)
    except Exception:
        logger.exception("Restoring backup %s failed", restore_id)
        outcome["message"] = (
            "Something went wrong on our side while restoring; nothing was kept. "
            "Please try again, or ask an administrator."
        )
    else:
        outcome = {"status": Status.RESTORED, "project": project, "done": job.total}
    finally:
        Path(job.path).unlink(missing_ok=True)
    Restore.objects.filter(pk=restore_id).update(
        path="", status_changed_at=timezone.now(), **outcome
    )
    return outcome["status"]
