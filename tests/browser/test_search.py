"""Search in Chromium: results come as one types (htmx), and a line opens the
reading page at its hit, marked and in view."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from annotations.search import OTHERS_PER_PAGE, OTHERS_SHOWN
from corpus.roles import Role
from corpus.services import import_file
from tests.factories import make_annotation, make_project, make_user

pytestmark = pytest.mark.browser

SEED = "000_f680e8277ca77def.txt"


def _seeded(seeds_dir, name: str, username: str):
    """A project with a viewer and the seed text, which the viewer imported."""
    project = make_project(name=name)
    viewer = make_user(username, project=project, role=Role.VIEWER)
    document = import_file(
        project=project,
        data=(seeds_dir / SEED).read_bytes(),
        filename=SEED,
        imported_by=viewer,
    )
    return project, viewer, document


def test_a_line_opens_the_reading_page_at_its_hit(page: Page, sign_in, seeds_dir):
    project, viewer, _document = _seeded(seeds_dir, "Escape sources", "vera")
    sign_in(page, viewer)
    page.goto(f"/p/{project.slug}/")
    page.get_by_role("link", name="Search").click()
    page.get_by_label("Find in the texts, titles, notes, replies and tags").fill(
        '"pena nieto"'
    )
    # No button pressed: the results follow the typing.
    first = page.locator("table.kwic .kwic-hit a").first
    expect(first).to_have_text("Peña Nieto")
    assert "q=%22pena%20nieto%22" in page.url
    first.click()
    expect(page.locator("#doc-text")).to_be_visible()
    # The page's script marks the hit once it has run (deferred, after parsing).
    page.wait_for_function("() => CSS.highlights.has('search-hit')")
    marked = page.evaluate(
        """() => {
            const hit = CSS.highlights.get("search-hit");
            return hit ? [...hit][0].toString() : null;
        }"""
    )
    assert marked == "Peña Nieto"
    in_view = page.evaluate(
        """() => {
            const [range] = [...CSS.highlights.get("search-hit")];
            const box = range.getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight;
        }"""
    )
    assert in_view


def test_find_in_this_document_marks_counts_and_steps(page: Page, sign_in, seeds_dir):
    _project, viewer, document = _seeded(seeds_dir, "Find sources", "fiona")
    expected = document.text.lower().replace("á", "a").count("guzman")
    assert expected > 2
    sign_in(page, viewer)
    page.goto(document.get_absolute_url())
    find = page.get_by_label("Find in this document")
    find.fill("GUZMAN")  # case and accents do not matter
    count = page.locator("#find-count")
    expect(count).to_have_text(f"1 of {expected}")
    marked = page.evaluate("() => CSS.highlights.get('find-hit').size")
    assert marked == expected
    first = page.evaluate("() => [...CSS.highlights.get('find-current')][0].toString()")
    assert first.lower().replace("á", "a") == "guzman"
    find.press("Enter")
    expect(count).to_have_text(f"2 of {expected}")
    find.press("Shift+Enter")
    find.press("Shift+Enter")
    expect(count).to_have_text(f"{expected} of {expected}")
    find.fill("no such words here")
    expect(count).to_have_text("No hit")


def test_all_the_notes_found_a_page_at_a_time_from_the_keyboard(
    page: Page, sign_in, seeds_dir
):
    """Beside the lines, the first notes found and a link to all of them;
    followed with the keyboard, the notes come a page at a time (htmx), the
    address following."""
    project, viewer, document = _seeded(seeds_dir, "Paged sources", "paula")
    author = make_user("arturo", project=project, role=Role.ANNOTATOR)
    for n in range(OTHERS_PER_PAGE + 5):
        make_annotation(document, author, "Guzmán", body=f"Tunnel note {n}.")
    sign_in(page, viewer)
    page.goto(f"/p/{project.slug}/search/?q=tunnel")
    notes = page.locator("ul.search-notes li")
    expect(notes).to_have_count(OTHERS_SHOWN)
    everything = page.get_by_role("link", name=f"All {OTHERS_PER_PAGE + 5} notes")
    everything.focus()
    page.keyboard.press("Enter")
    expect(notes).to_have_count(OTHERS_PER_PAGE)
    assert "kind=note" in page.url
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    page.get_by_role("link", name="Next").focus()
    page.keyboard.press("Enter")
    expect(notes).to_have_count(5)
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    assert "page=2" in page.url
