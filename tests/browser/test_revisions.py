"""The Revisions screen in Chromium: from the reading page to a document's
history, a revision's changes opened in place with the keyboard (insertions and
deletions marked), an old text read, and an earlier text restored; no serious
accessibility fault on its pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from corpus.roles import Role
from tests.browser.test_accessibility import _blocking_violations
from tests.factories import (
    make_annotation,
    make_document,
    make_project,
    make_user,
    revise_block,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def history(transactional_db):
    """A document whose second paragraph a curator corrected (revision 1)."""
    project = make_project(name="Border security")
    curator = make_user("carla", project=project, role=Role.CURATOR)
    document = make_document(
        project=project,
        title="The escape",
        paragraphs=[
            "The tunnel ran a mile under the prison.",
            "Guzmán escaped twice from maximum security prisons.",
        ],
    )
    make_annotation(document, curator, "tunnel ran a mile", body="Measured?")
    revise_block(
        document,
        curator,
        1,
        "Guzmán escaped three times from maximum security prisons.",
        reason="The count was wrong",
    )
    return curator, document


def test_a_revisions_changes_open_in_place_and_an_old_text_comes_back(
    page: Page, sign_in, history
):
    curator, document = history
    sign_in(page, curator)
    page.goto(document.get_absolute_url())

    page.get_by_role("link", name="Revisions (1)").click()
    expect(page.get_by_role("heading", name="Revisions of the text")).to_be_visible()
    expect(page.locator("#revision-1")).to_contain_text("The count was wrong")
    faults = _blocking_violations(page)
    # With the keyboard: the button is a link, focused and followed by Enter.
    show = page.get_by_role("link", name="Show the changes of revision 1")
    show.focus()
    page.keyboard.press("Enter")

    changes = page.locator("#diff-slot-1 .diff-place")
    expect(changes.locator("ins")).to_have_text("three times")
    expect(changes.locator("del")).to_have_text("twice")
    assert page.url.endswith("/revisions/"), "opened in place, the page stays"
    faults += _blocking_violations(page)

    page.get_by_role("link", name="Read the text as it was at revision 0").click()
    banner = page.locator(".revision-banner")
    expect(banner).to_contain_text("Revision 0 of 1")
    expect(banner).to_contain_text("this is not the current text")
    expect(page.locator("#doc-text")).to_contain_text("escaped twice")
    faults += _blocking_violations(page)

    page.get_by_text("Restore this text…").click()
    page.get_by_label("Why restore it").fill("Twice, says the court record")
    page.get_by_role("button", name="Restore revision 0").click()
    expect(page.locator("#messages")).to_contain_text(
        "The text of revision 0 is back, as revision 2."
    )
    expect(page.locator("#revision-2")).to_contain_text("Earlier revision restored")
    page.goto(document.get_absolute_url())
    expect(page.locator("#doc-text")).to_contain_text("escaped twice")
    expect(page.locator("#doc-text mark")).to_have_text("tunnel ran a mile")
    assert not faults, "\n".join(faults)
