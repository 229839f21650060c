"""Backups in the browser: an owner downloads the project's archive from its
settings; a signed-in user restores one written by this server as a new
project, in the request when small, by the background worker when large."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotations.backup import archive
from annotations.models import Annotation, Restore, Visibility
from annotations.services import backups
from corpus.models import Membership, Project
from corpus.roles import Role
from tests.conftest import HX
from tests.corpus.test_import_worker import run_worker
from tests.factories import make_annotation, make_document, make_project, make_user


@pytest.fixture(autouse=True)
def _restore_dir(settings, tmp_path):
    settings.APPARATUS_RESTORE_DIR = tmp_path / "restores"


@pytest.fixture
def noted(project, members):
    document = make_document(project=project, paragraphs=["A passage 🚇 to note."])
    make_annotation(document, members["annotator"], "passage", body="Shared.")
    make_annotation(document, members["curator"], "note", visibility=Visibility.PRIVATE)
    return document


def _backup_url(project) -> str:
    return reverse("annotations:project_backup", args=[project.slug])


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 200),
        ("curator", 403),
        ("annotator", 403),
        ("viewer", 403),
        ("outsider", 404),
    ],
)
def test_only_owners_download_the_backup(client, project, members, noted, who, status):
    client.force_login(members[who])
    response = client.get(_backup_url(project), HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == status
    if status != 200:
        return
    assert response["Content-Type"] == "application/zip"
    assert f'filename="{project.slug}-backup-' in response["Content-Disposition"]
    # A zip is not gzipped again.
    assert "Content-Encoding" not in response
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        notes = zipped.read("annotations.jsonl").decode()
        manifest = json.loads(zipped.read("manifest.json"))
    quotes = {json.loads(line)["exact"] for line in notes.splitlines()}
    # The curator's private note is the curator's alone.
    assert quotes == {"passage"}
    assert manifest["seen_by"] == members["owner"].username


def test_signed_out_visitors_are_sent_to_sign_in(client, project):
    for url in (
        _backup_url(project),
        reverse("annotations:backup_restore"),
        reverse("annotations:restore_detail", args=[1]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_settings_page_offers_the_backup_and_the_list_the_restore(
    client, project, owner
):
    client.force_login(owner)
    settings_page = client.get(reverse("corpus:project_settings", args=[project.slug]))
    prepare = reverse("annotations:export_prepare", args=[project.slug])
    assert f'action="{prepare}"' in settings_page.text
    assert 'name="format" value="backup"' in settings_page.text
    listing = client.get(reverse("corpus:project_list"))
    assert reverse("annotations:backup_restore") in listing.text


def _upload(data: bytes, name: str = "backup.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/zip")


def test_a_small_backup_is_restored_at_once_as_a_project_of_the_uploader(
    client, project, members, noted, settings
):
    owner_membership = Membership.objects.get(project=project, user=members["owner"])
    data = b"".join(archive.write(project, membership=owner_membership))
    # Another member restores the owner's backup: they own the copy.
    restorer = members["annotator"]
    client.force_login(restorer)
    response = client.post(
        reverse("annotations:backup_restore"), {"archive": _upload(data)}
    )
    job = Restore.objects.get(user=restorer)
    assert response.status_code == 302
    assert response["Location"] == reverse("annotations:restore_detail", args=[job.pk])
    assert job.status == Restore.Status.RESTORED
    copy = job.project
    assert copy.name.startswith(f"{project.name} (restored ")
    assert copy.memberships.get(user=restorer).role == Role.OWNER
    assert Annotation.objects.filter(project=copy, body="Shared.").exists()
    assert not Annotation.objects.filter(project=copy, exact="note").exists()
    # The archive's file is gone once restored.
    assert not any(settings.APPARATUS_RESTORE_DIR.iterdir())
    page = client.get(response["Location"])
    assert "Restored" in page.text
    assert copy.get_absolute_url() in page.text
    # Only its uploader sees a restore.
    client.force_login(members["owner"])
    assert client.get(response["Location"]).status_code == 404


def _refused(client, user, data: bytes, name: str = "backup.zip"):
    client.force_login(user)
    response = client.post(
        reverse("annotations:backup_restore"), {"archive": _upload(data, name)}
    )
    assert response.status_code == 400
    assert not Restore.objects.exists()
    return response


def test_a_backup_not_written_by_this_server_is_refused(
    client, project, owner, noted, settings
):
    data = b"".join(archive.write(project))
    settings.SECRET_KEY = "another server's key"
    projects = Project.objects.count()
    response = _refused(client, owner, data)
    assert "not written by this server" in response.text
    assert "manage.py import_project" in response.text
    assert Project.objects.count() == projects
    assert not settings.APPARATUS_RESTORE_DIR.exists()


def test_what_is_not_a_backup_is_refused_clearly(client, owner):
    response = _refused(client, owner, b"Just some text.", "notes.txt")
    assert "not a zip archive" in response.text


def test_a_backup_over_the_limit_is_refused(client, project, owner, noted, settings):
    data = b"".join(archive.write(project))
    settings.APPARATUS_MAX_BACKUP_BYTES = len(data) - 1
    response = _refused(client, owner, data)
    assert "the limit is" in response.text


def test_the_restore_page_lists_only_ones_own_restores(client, members):
    mine = Restore.objects.create(
        user=members["viewer"], filename="mine.zip", name="Mine", status="failed"
    )
    Restore.objects.create(
        user=members["owner"], filename="theirs.zip", name="Theirs", status="failed"
    )
    client.force_login(members["viewer"])
    page = client.get(reverse("annotations:backup_restore"))
    assert page.status_code == 200
    assert "mine.zip" in page.text and "theirs.zip" not in page.text
    detail = client.get(reverse("annotations:restore_detail", args=[mine.pk]))
    assert "Not restored" in detail.text


def test_a_running_restore_polls_with_htmx(client, owner):
    job = Restore.objects.create(
        user=owner, filename="b.zip", name="B", status="restoring", done=3, total=10
    )
    client.force_login(owner)
    url = reverse("annotations:restore_detail", args=[job.pk])
    fragment = client.get(url, headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'hx-trigger="every' in fragment.text
    assert 'value="3"' in fragment.text
    page = client.get(url)
    assert "<html" in page.text and 'max="10"' in page.text
    assert page["Vary"].count("HX-Request") == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_restores_a_large_backup_with_its_progress(
    client, monkeypatch, settings
):
    project = make_project(name="Large")
    owner = make_user("olga", project=project, role=Role.OWNER)
    document = make_document(project=project, paragraphs=["word " * 40])
    for n in range(30):
        Annotation.objects.create(
            project=project,
            document=document,
            author=owner,
            start=n * 5,
            end=n * 5 + 4,
            exact="word",
        )
    data = b"".join(archive.write(project))
    monkeypatch.setattr(backups, "INLINE_ROWS", 10)
    monkeypatch.setattr(backups, "PROGRESS_STEP", 5)
    client.force_login(owner)
    response = client.post(
        reverse("annotations:backup_restore"), {"archive": _upload(data)}
    )
    job = Restore.objects.get()
    assert response["Location"] == reverse("annotations:restore_detail", args=[job.pk])
    assert job.status == Restore.Status.QUEUED
    waiting = client.get(response["Location"])
    assert "Waiting to be restored" in waiting.text
    assert 'hx-trigger="every' in waiting.text

    run_worker()

    job.refresh_from_db()
    assert job.status == Restore.Status.RESTORED
    assert job.done == job.total > 30
    assert Annotation.objects.filter(project=job.project).count() == 30
    assert not any(settings.APPARATUS_RESTORE_DIR.iterdir())
