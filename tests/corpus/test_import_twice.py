"""One upload imported from two tabs at once is imported once, and the second
tab is told, not given a false failure."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from corpus.models import Document, PendingImport
from corpus.services import imports as import_services

Status = PendingImport.Status


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }


@pytest.fixture
def pending(client, project, owner):
    client.force_login(owner)
    text = SimpleUploadedFile("note.txt", b"A short note.\n\nA second paragraph.\n")
    client.post(reverse("corpus:import_upload", args=[project.slug]), {"files": [text]})
    pending = PendingImport.objects.get()
    assert pending.status == Status.READY
    return pending


def test_an_import_started_twice_from_the_same_loaded_state_runs_once(pending):
    # Two requests that both loaded the upload while it was ready.
    first = PendingImport.objects.get(pk=pending.pk)
    second = PendingImport.objects.get(pk=pending.pk)
    import_services.start_import(pending=first, budget=import_services.InlineBudget())
    import_services.start_import(pending=second, budget=import_services.InlineBudget())
    pending.refresh_from_db()
    assert pending.status == Status.IMPORTED
    assert Document.objects.count() == 1


def test_the_second_tab_is_told_the_upload_was_imported(client, project, pending):
    url = reverse("corpus:import_confirm", args=[project.slug, pending.pk])
    data = {"format": "", "title": "A short note", "authors": "", "published_date": ""}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data, headers={"HX-Request": "true"})
    assert again.status_code == 409
    pending.refresh_from_db()
    assert pending.status == Status.IMPORTED
    assert Document.objects.count() == 1
