"""Importing through the web: upload, per-file report, review, progress, import.

Once with JavaScript (htmx swaps the reports in, saves the review choices as
they change and follows the background worker), once without (plain form
POSTs answer whole pages). The background work waits in the database queue,
as in production, until the test runs the worker (`db_worker --batch`), so the
page is seen while a file waits and after the worker has done it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from corpus import importers
from corpus.models import Document, PendingImport
from corpus.roles import Role
from corpus.services.imports import INLINE_MAX_BYTES
from tests.corpus.test_import_worker import run_worker
from tests.factories import make_project, make_user

pytestmark = pytest.mark.browser

SEEDS = ("000_f680e8277ca77def.txt", "003_5f6357f5e21fa928.txt")
LARGE = "long-survey.txt"


@pytest.fixture
def upload_files(seeds_dir: Path, tmp_path: Path) -> list[Path]:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    return [seeds_dir / name for name in SEEDS] + [empty]


@pytest.fixture
def large_file(tmp_path: Path) -> Path:
    """A file the upload hands to the background worker."""
    path = tmp_path / LARGE
    paragraphs = [f"Survey note {n} on street trees and shade." for n in range(8000)]
    path.write_text("\n\n".join(paragraphs))
    assert path.stat().st_size > INLINE_MAX_BYTES
    return path


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


def _expect_seed_reviews(page: Page, seeds_dir: Path) -> None:
    for name in SEEDS:
        data = (seeds_dir / name).read_bytes()
        imported = importers.import_bytes(data, filename=name)
        item = page.locator("article.review", has_text=name)
        expect(item.locator("dd").first).to_contain_text(
            importers.FORMATS[imported.format]
        )
        expect(item.get_by_label("Title")).to_have_value(imported.title)
        first = imported.blocks[0]
        expect(item.locator(".preview p").first).to_have_text(
            imported.text[first.start : first.end]
        )


def _expect_imported(page: Page, names) -> None:
    for name in names:
        done = page.locator("article.review", has_text=name)
        expect(done).to_contain_text("Imported as")
        expect(done.get_by_role("link", name="Open")).to_be_visible()


def _assert_stored(project, user, seeds_dir: Path, titles: dict[str, str]) -> None:
    stored = {d.original_filename: d for d in Document.objects.all()}
    assert set(stored) == set(titles)
    for name, document in stored.items():
        assert document.project == project
        assert document.imported_by == user
        assert document.title == titles[name]
        if name in SEEDS:
            assert bytes(document.original) == (seeds_dir / name).read_bytes()


def test_import_with_javascript_follows_the_worker_and_keeps_the_edited_title(
    page: Page, sign_in, curator, upload_files, large_file, seeds_dir
):
    user, project = curator
    sign_in(page, user)
    page.goto(f"/p/{project.slug}/import/")
    page.evaluate("window.sameDocument = true")

    page.get_by_label("Text files").set_input_files([*upload_files, large_file])
    page.get_by_role("button", name="Upload").click()

    _expect_reports(page)
    large_report = page.locator("#import-reports li.ok", has_text=LARGE)
    expect(large_report).to_contain_text("being read in the background")
    assert page.evaluate("window.sameDocument") is True, "the page was reloaded"
    page.locator("#import-reports").get_by_role(
        "link", name="Review 3 files before saving"
    ).click()
    expect(page).to_have_url(re.compile(rf"/p/{project.slug}/import/review/$"))
    page.evaluate("window.sameDocument = true")

    # The large file waits for the worker; the page says so and follows it.
    large = page.locator("article.review", has_text=LARGE)
    expect(large).to_contain_text("Waiting to be read…")
    expect(large.locator("progress")).to_be_visible()
    expect(page.locator("#import-summary")).to_contain_text(
        "Reading 1 file in the background"
    )
    expect(page.get_by_role("button", name="Import all 2 as shown")).to_be_visible()
    _expect_seed_reviews(page, seeds_dir)

    run_worker()
    title = large.get_by_label("Title")
    expect(title).to_have_value("Long survey")  # from the file name
    expect(page.get_by_role("button", name="Import all 3 as shown")).to_be_visible()

    # Edited here, saved as it changes, used by the import.
    title.fill("A survey of street trees")
    large.get_by_label("Authors").fill("Cora Lind, Ben Ode")
    expect(large.get_by_role("status")).to_contain_text("Choices saved.")
    large.get_by_label("Published").fill("2024-06-30")
    with page.expect_response(
        lambda answer: (
            "/choices/" in answer.url
            and "2024-06-30" in (answer.request.post_data or "")
        )
    ) as saved:
        large.get_by_role("button", name="Save choices").click()
    assert saved.value.ok
    assert saved.value.request.headers["hx-request"] == "true"
    expect(large.get_by_role("status")).to_contain_text("Choices saved.")
    pending = PendingImport.objects.get(filename=LARGE)
    assert pending.choices["published_date"] == "2024-06-30"
    large.get_by_role("button", name="Import this file").click()
    expect(large).to_contain_text("Waiting to be imported…")
    expect(page.get_by_role("button", name="Import all 2 as shown")).to_be_visible()

    run_worker()
    expect(large).to_contain_text("Imported as “A survey of street trees”")
    assert page.evaluate("window.sameDocument") is True, "the page was reloaded"

    page.get_by_role("button", name="Import all 2 as shown").click()
    _expect_imported(page, [*SEEDS, LARGE])
    expect(page.get_by_role("button", name=re.compile("^Import all"))).to_have_count(0)
    titles = {
        name: importers.import_bytes(
            (seeds_dir / name).read_bytes(), filename=name
        ).title
        for name in SEEDS
    }
    _assert_stored(
        project, user, seeds_dir, titles | {LARGE: "A survey of street trees"}
    )
    large_document = Document.objects.get(original_filename=LARGE)
    assert large_document.authors == ["Cora Lind", "Ben Ode"]
    assert large_document.published_date.isoformat() == "2024-06-30"
    assert not PendingImport.objects.exclude(status="imported").exists()


def test_import_without_javascript_posts_the_forms_and_shows_the_outcomes(
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
    _expect_seed_reviews(page, seeds_dir)

    # Without JavaScript the choices are saved with their button.
    article = page.locator("article.review", has_text=SEEDS[1])
    article.get_by_label("Title").fill("Extradition, revisited")
    article.get_by_role("button", name="Save choices").click()
    expect(page.get_by_role("status").first).to_contain_text("Choices saved.")
    expect(article.get_by_label("Title")).to_have_value("Extradition, revisited")

    page.get_by_role("button", name="Import all 2 as shown").click()
    expect(page.get_by_text("2 files sent for import")).to_be_visible()
    _expect_imported(page, SEEDS)
    first = importers.import_bytes(
        (seeds_dir / SEEDS[0]).read_bytes(), filename=SEEDS[0]
    )
    _assert_stored(
        project,
        user,
        seeds_dir,
        {SEEDS[0]: first.title, SEEDS[1]: "Extradition, revisited"},
    )
