"""Large exports go to the background worker: the Export page (and the backup
button) starts one, a page follows its progress, and the file waits for its
member; small ones download at once."""

from __future__ import annotations

import datetime
import io
import json
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations.backup import restore
from annotations.models import Export, Visibility
from annotations.services import exports
from corpus.models import Membership
from corpus.roles import Role
from tests.conftest import HX
from tests.corpus.test_import_worker import run_worker
from tests.factories import make_annotation, make_document, make_project, make_user


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.APPARATUS_EXPORT_DIR = tmp_path / "exports"


@pytest.fixture
def noted(project, members):
    document = make_document(project=project, paragraphs=["A passage 🚇 to note."])
    make_annotation(document, members["annotator"], "passage", body="Shared.")
    make_annotation(document, members["curator"], "note", visibility=Visibility.PRIVATE)
    return document


@pytest.fixture
def large(monkeypatch):
    monkeypatch.setattr(exports, "LARGE_NOTES", -1)


def _prepare(client, project, **data):
    return client.post(
        reverse("annotations:export_prepare", args=[project.slug]),
        {"document": "", **data},
    )


@pytest.mark.parametrize(
    ("data", "download"),
    [
        ({"format": "w3c"}, "annotations:project_export_annotations"),
        ({"format": "csv"}, "annotations:project_export_csv"),
        ({"format": "backup"}, "annotations:project_backup"),
    ],
)
def test_a_small_export_downloads_at_once(
    client, project, owner, noted, data, download
):
    client.force_login(owner)
    response = _prepare(client, project, **data)
    assert response.status_code == 302
    assert response["Location"] == reverse(download, args=[project.slug])
    assert not Export.objects.exists()


def _ready(client, project, user, **data) -> tuple[Export, bytes]:
    """Start a large export as `user`, let the worker write it, download it."""
    client.force_login(user)
    response = _prepare(client, project, **data)
    job = Export.objects.get(user=user)
    assert response["Location"] == reverse(
        "annotations:export_detail", args=[project.slug, job.pk]
    )
    waiting = client.get(response["Location"])
    assert "Waiting to be written" in waiting.text
    assert exports.run_export(export_id=job.pk) == Export.Status.READY
    job.refresh_from_db()
    assert job.done == job.total
    page = client.get(response["Location"])
    file_url = reverse("annotations:export_file", args=[project.slug, job.pk])
    assert file_url in page.text
    download = client.get(file_url)
    assert download.status_code == 200
    assert job.filename in download["Content-Disposition"]
    return job, b"".join(download.streaming_content)


def test_a_large_w3c_export_is_written_by_the_worker(
    client, project, members, noted, large
):
    job, data = _ready(client, project, members["owner"], format="w3c")
    collection = json.loads(data)
    quotes = {
        item["target"]["selector"][0]["exact"]
        for item in collection["first"]["items"]
        if item.get("motivation") != "replying"
    }
    assert quotes == {"passage"}  # the curator's private note is theirs
    assert job.total == len(collection["first"]["items"]) == job.done
    assert collection["first"]["id"].startswith("http://testserver/p/")
    assert job.filename.endswith(".jsonld")


def test_a_large_csv_export_keeps_the_approved_choice(
    client, project, members, noted, large
):
    job, data = _ready(client, project, members["viewer"], format="csv", approved="on")
    assert job.approved_only
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        notes = zipped.read("annotations.csv").decode().splitlines()
    assert len(notes) == 1  # the header: nothing is approved


def test_a_large_backup_is_written_and_restores(client, project, owner, noted, large):
    job, data = _ready(client, project, owner, format="backup")
    restored = restore.restore(io.BytesIO(data), slug="again", trusted=False)
    assert restored.name == project.name
    assert job.filename.startswith(f"{project.slug}-backup-")


def test_only_its_member_follows_and_downloads_an_export(
    client, project, members, noted, large
):
    job, _data = _ready(client, project, members["owner"], format="backup")
    detail = reverse("annotations:export_detail", args=[project.slug, job.pk])
    file_url = reverse("annotations:export_file", args=[project.slug, job.pk])
    for who in ("curator", "viewer", "outsider"):
        client.force_login(members[who])
        assert client.get(detail).status_code == 404
        assert client.get(file_url).status_code == 404
    # An owner who is no longer one may not take the backup.
    Membership.objects.filter(project=project, user=members["owner"]).update(
        role=Role.CURATOR
    )
    client.force_login(members["owner"])
    assert client.get(file_url).status_code == 403


def test_a_backup_is_offered_to_owners_only(client, project, members, noted):
    client.force_login(members["curator"])
    refused = _prepare(client, project, format="backup")
    assert refused.status_code == 400
    assert not Export.objects.exists()
    page = client.get(reverse("annotations:project_export", args=[project.slug]))
    assert 'value="backup"' not in page.text
    client.force_login(members["owner"])
    page = client.get(reverse("annotations:project_export", args=[project.slug]))
    assert 'value="backup"' in page.text


def test_the_progress_is_polled_with_htmx(client, project, owner, noted):
    job = Export.objects.create(
        user=owner,
        project=project,
        kind="w3c",
        origin="http://testserver",
        status="writing",
        done=5,
        total=20,
    )
    client.force_login(owner)
    url = reverse("annotations:export_detail", args=[project.slug, job.pk])
    fragment = client.get(url, headers=HX)
    assert "<html" not in fragment.text
    assert 'hx-trigger="every' in fragment.text and 'value="5"' in fragment.text
    assert "HX-Request" in client.get(url)["Vary"]


def test_old_exports_are_forgotten_with_their_files(
    client, project, owner, noted, large, settings
):
    old, _data = _ready(client, project, owner, format="w3c")
    Export.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - exports.KEEP - datetime.timedelta(minutes=1)
    )
    _prepare(client, project, format="csv")
    assert not Export.objects.filter(pk=old.pk).exists()
    assert [p.name for p in settings.APPARATUS_EXPORT_DIR.iterdir()] == []


def test_a_member_who_left_gets_no_file(client, project, members, noted, large):
    client.force_login(members["annotator"])
    _prepare(client, project, format="w3c")
    job = Export.objects.get()
    Membership.objects.filter(project=project, user=members["annotator"]).delete()
    assert exports.run_export(export_id=job.pk) == Export.Status.FAILED
    job.refresh_from_db()
    assert "no longer" in job.message and not job.path


@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_a_queued_export(client, monkeypatch):
    monkeypatch.setattr(exports, "LARGE_NOTES", -1)
    project = make_project(name="Queued")
    owner = make_user("queued-owner", project=project, role=Role.OWNER)
    document = make_document(project=project, paragraphs=["word " * 10])
    for start in (0, 5):
        make_annotation(document, owner, "word", body=f"At {start}.")
    client.force_login(owner)
    _prepare(client, project, format="csv")
    job = Export.objects.get()
    assert job.status == Export.Status.QUEUED
    run_worker()
    job.refresh_from_db()
    assert job.status == Export.Status.READY
    assert job.size > 0


def test_a_large_export_keeps_the_margins_filters(client, project, members, large):
    document = make_document(project=project, paragraphs=["One word and another."])
    make_annotation(document, members["annotator"], "word", tags=["kept"])
    make_annotation(document, members["annotator"], "another")
    job, data = _ready(client, project, members["owner"], format="csv", tag="kept")
    assert job.filters == {"tag": "kept", "author": "", "status": "", "mine": False}
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        rows = zipped.read("annotations.csv").decode().splitlines()
        readme = zipped.read("README.txt").decode()
    assert len(rows) == 2 and ",word," in rows[1]
    assert "tagged kept" in readme
