"""Backups and exports in Chromium: an owner downloads the project's backup
from its settings and restores it from the project list as a new project;
a large export is written by the background worker while its page shows the
progress, then downloads."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from annotations.models import Annotation, Export
from annotations.services import exports
from corpus.models import Document, Project
from corpus.roles import Role
from tests.corpus.test_import_worker import run_worker
from tests.factories import make_annotation, make_document, make_project, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def owned(settings, tmp_path):
    settings.APPARATUS_RESTORE_DIR = tmp_path / "restores"
    settings.APPARATUS_EXPORT_DIR = tmp_path / "exports"
    project = make_project(name="Tunnel sources")
    owner = make_user("olive", project=project, role=Role.OWNER)
    document = make_document(project=project, paragraphs=["The tunnel 🚇 was long."])
    make_annotation(document, owner, "tunnel 🚇", body="An **astral** passage.")
    return owner, project


def test_a_backup_downloaded_from_the_settings_comes_back_as_a_new_project(
    page: Page, sign_in, owned, tmp_path
):
    owner, project = owned
    sign_in(page, owner)
    page.goto(f"/p/{project.slug}/settings/")
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download a backup (.zip)").click()
    saved = tmp_path / waiting.value.suggested_filename
    waiting.value.save_as(saved)
    assert saved.name.startswith(f"{project.slug}-backup-")

    page.goto("/")
    page.get_by_role("link", name="Restore a backup").click()
    page.get_by_label("Backup file").set_input_files(saved)
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_role("status")).to_contain_text("Restored")
    page.get_by_role("link", name=f"Open “{project.name} (restored").click()
    copy = Project.objects.exclude(pk=project.pk).get()
    assert copy.memberships.get(user=owner).role == Role.OWNER
    expect(page.get_by_role("heading", level=1)).to_contain_text(project.name)
    document = Document.objects.get(project=copy)
    page.goto(document.get_absolute_url())
    expect(page.locator("#margin-list")).to_contain_text("An astral passage.")
    assert Annotation.objects.filter(project=copy, exact="tunnel 🚇").exists()


def test_a_large_export_shows_its_progress_then_downloads(
    page: Page, sign_in, owned, monkeypatch, tmp_path
):
    monkeypatch.setattr(exports, "LARGE_NOTES", 0)
    owner, project = owned
    sign_in(page, owner)
    page.goto(f"/p/{project.slug}/export/")
    page.get_by_label(
        "W3C Web Annotations (JSON-LD), for other annotation tools"
    ).check()
    page.get_by_role("button", name="Download").click()
    expect(page.get_by_role("status")).to_contain_text("Waiting to be written")
    run_worker()
    # The page polls, and shows the file once it is written.
    download_link = page.get_by_role("link", name="Download")
    expect(download_link).to_be_visible()
    with page.expect_download() as waiting:
        download_link.click()
    saved = tmp_path / "export.jsonld"
    waiting.value.save_as(saved)
    collection = json.loads(saved.read_text())
    assert collection["total"] == 1
    assert Export.objects.get().status == Export.Status.READY
