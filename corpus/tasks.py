"""Background work of the import, run by `manage.py db_worker` (django-tasks).

Each task names an upload and the revision of its work it was queued for; the
work itself, and the recording of its outcome on the upload, is in
corpus/services/import_work.py, where a request runs the same functions for small
files. A task whose upload was discarded, or whose work was asked for again
since, does nothing.
"""

from __future__ import annotations

from django_tasks import task

from corpus.services import import_work


@task()
def parse_upload(pending_id: int, revision: int) -> str:
    """Parse an upload and keep the result for its review."""
    return import_work.parse_pending(pending_id=pending_id, revision=revision)


@task()
def import_upload(pending_id: int, revision: int) -> str:
    """Save a reviewed upload as a document, all or nothing."""
    return import_work.import_pending(pending_id=pending_id, revision=revision)
