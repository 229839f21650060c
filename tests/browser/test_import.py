"""Importing through the web: upload, per-file report, review, import all.

Once with JavaScript (htmx swaps the report into the page) and once without
(the plain form POST answers a whole page).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from corpus import importers
from corpus.models import Document
from corpus.roles import Role
from tests.factories import make_project, make_user

pytestmark = pytest.mark.browser

SEEDS = ("000_f680e8277ca77def.txt", "003_5f6357f5e21fa928.txt")


@pytest.fixture
def upload_files(seeds_dir: Path, tmp_path: Path) -> list[Path]:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    return [seeds_dir / name for name in SEEDS] + [empty]


@pytest.fixture
def curator():
    project = make_project(name="Cartel reporting")
    return make_user("cora", project=project, role=Role.CURATOR), project


def _expect_reports(page: Page) -> None:
    reports = page.locator("#import-reports")
    for name in SEEDS:
        accepted = reports.locator("li.ok", has_text=name)
        expect(accepted).to_contain_text("Ready for review")
    refused = reports.locator("li.refused", has_text="empty.txt")
    expect(refused).to_contain_text("refused")
    expect(refused).to_contain_text("is empty")


def _review_and_import_all(page: Page, seeds_dir: Path) -> None:
    for name in SEEDS:
        data = (seeds_dir / name).read_bytes()
        imported = importers.import_bytes(data, filename=name)
        item = page.locator("article.review", has_text=name)
        expect(item.locator("dd").first).to_contain_text(
            importers.FORMATS[imported.format]
        )
        expect(item).to_contain_text(imported.title)
        first = imported.blocks[0]
        expect(item.locator(".preview p").first).to_have_text(
            imported.text[first.start : first.end]
        )
    page.get_by_role("button", name="Import all 2 as shown").click()
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    for name in SEEDS:
        done = page.locator("li.ok", has_text=name)
        expect(done).to_contain_text("Imported as")
        expect(done.get_by_role("link", name="Open")).to_be_visible()


def _assert_stored(project, user, seeds_dir: Path) -> None:
    stored = {d.original_filename: d for d in Document.objects.all()}
    assert set(stored) == set(SEEDS)
    for name, document in stored.items():
        assert document.project == project
        assert document.imported_by == user
        assert bytes(document.original) == (seeds_dir / name).read_bytes()


def test_import_with_javascript_reports_in_place_then_review_and_import_all(
    page: Page, sign_in, curator, upload_files, seeds_dir
):
    user, project = curator
    sign_in(page, user)
    page.goto(f"/p/{project.slug}/import/")
    page.evaluate("window.sameDocument = true")

    page.get_by_label("Text files").set_input_files(upload_files)
    page.get_by_role("button", name="Upload").click()

    _expect_reports(page)
    assert page.evaluate("window.sameDocument") is True, "the page was reloaded"
    assert page.evaluate("location.pathname") == f"/p/{project.slug}/import/"
    page.locator("#import-reports").get_by_role(
        "link", name="Review 2 files before saving"
    ).click()
    expect(page).to_have_url(re.compile(rf"/p/{project.slug}/import/review/$"))
    _review_and_import_all(page, seeds_dir)
    _assert_stored(project, user, seeds_dir)


def test_import_without_javascript_posts_the_form_and_shows_the_reports(
    new_context, sign_in, curator, upload_files, seeds_dir
):
    user, project = curator
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, user)

    page.goto(f"/p/{project.slug}/import/")
    page.get_by_label("Text files").set_input_files(upload_files)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Upload").click()

    response = navigation.value
    assert response.request.method == "POST"
    assert "hx-request" not in response.request.headers
    _expect_reports(page)
    expect(page.get_by_role("heading", name="Import texts")).to_be_visible()
    page.get_by_role("link", name="Review 2 files before saving").click()
    _review_and_import_all(page, seeds_dir)
    _assert_stored(project, user, seeds_dir)
