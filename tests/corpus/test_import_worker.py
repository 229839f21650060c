"""The real background worker (django-tasks-db's `db_worker`) takes the import's work.

The settings' database backend queues the tasks, as in production; the
worker runs in this process until the queue is empty (`--batch`). The test
commits its rows (transactional database), as the worker needs.
"""

from __future__ import annotations

import io
import signal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from corpus.models import Document, PendingImport
from corpus.roles import Role
from corpus.services import imports as import_services
from tests.factories import make_project, make_user

Status = PendingImport.Status
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


def run_worker() -> None:
    """Run every queued task, then return; leave the process's signals as found."""
    handlers = {number: signal.getsignal(number) for number in SIGNALS}
    try:
        call_command(
            "db_worker",
            batch=True,
            reload=False,
            startup_delay=False,
            interval=0,
            verbosity=0,
            stdout=io.StringIO(),
        )
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


@pytest.mark.django_db(transaction=True)
def test_the_worker_reads_then_imports_a_large_upload(client, settings):
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    project = make_project()
    curator = make_user("cora", project=project, role=Role.CURATOR)
    client.force_login(curator)
    paragraphs = [
        f"Paragraph {n} of a long survey of street trees." for n in range(6000)
    ]
    data = "\n\n".join(paragraphs).encode()
    assert len(data) > import_services.INLINE_MAX_BYTES

    client.post(
        reverse("corpus:import_upload", args=[project.slug]),
        {"files": [SimpleUploadedFile("survey.txt", data)]},
    )
    pending = PendingImport.objects.get()
    assert pending.status == Status.QUEUED
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    run_worker()
    pending.refresh_from_db()
    assert pending.status == Status.READY
    assert pending.summary["block_count"] == 6000
    assert pending.summary["title"] == "Paragraph 0 of a long survey of street trees."

    response = client.post(
        reverse("corpus:import_confirm", args=[project.slug, pending.pk]),
        {"format": "", "title": "A survey of street trees", "authors": "Cora"},
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Status.IMPORT_QUEUED
    assert not Document.objects.exists()

    run_worker()
    pending.refresh_from_db()
    assert pending.status == Status.IMPORTED
    document = Document.objects.get()
    assert (document.title, document.authors) == ("A survey of street trees", ["Cora"])
    assert len(document.blocks) == 6000
    assert bytes(document.original) == data
    assert pending.document == document
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    review = client.get(reverse("corpus:import_review", args=[project.slug]))
    assert "Imported as “A survey of street trees”" in review.content.decode()
