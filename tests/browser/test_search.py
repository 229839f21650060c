"""Search in Chromium: results come as one types (htmx), and a line opens the
reading page at its hit, marked and in view."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from corpus.roles import Role
from corpus.services import import_file
from tests.factories import make_project, make_user

pytestmark = pytest.mark.browser

SEED = "000_f680e8277ca77def.txt"


def test_a_line_opens_the_reading_page_at_its_hit(page: Page, sign_in, seeds_dir):
    project = make_project(name="Escape sources")
    viewer = make_user("vera", project=project, role=Role.VIEWER)
    import_file(
        project=project,
        data=(seeds_dir / SEED).read_bytes(),
        filename=SEED,
        imported_by=viewer,
    )
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
