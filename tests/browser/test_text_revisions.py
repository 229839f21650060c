"""Correcting a text in a real browser: a curator edits a block in place with
the keyboard, an annotator's page hears of it, and an orphan is reattached by
selecting its new passage."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from annotations.models import Anchoring, Annotation
from corpus.models import Document
from corpus.roles import Role
from tests.browser.test_annotate import range_select, save_seed
from tests.factories import make_annotation, make_project, make_user, revise_block

pytestmark = pytest.mark.browser

PASSAGE = "a mile-long tunnel accessed by a shower stall"


@pytest.fixture
def team(seeds_dir):
    project = make_project(name="Border security")
    curator = make_user("cora", project=project, role=Role.CURATOR)
    annotator = make_user("anna", project=project, role=Role.ANNOTATOR)
    return project, curator, annotator, save_seed(project, seeds_dir)


def test_a_block_is_corrected_in_place_and_its_annotation_follows(
    page: Page, sign_in, team
):
    project, curator, annotator, document = team
    note = make_annotation(document, annotator, PASSAGE, body="How?")
    block = next(
        index
        for index, b in enumerate(document.blocks)
        if b["start"] <= note.start < b["end"]
    )
    old = document.text[document.blocks[block]["start"] : document.blocks[block]["end"]]
    sign_in(page, curator)
    page.goto(document.get_absolute_url())
    page.get_by_role("link", name="Edit text").click()
    # Opened in place (htmx), with the keyboard.
    page.get_by_role("link", name=f"Edit block {block + 1}", exact=True).focus()
    page.keyboard.press("Enter")
    field = page.get_by_label("Text", exact=True)
    expect(field).to_be_visible()
    field.fill(old.replace("mile-long", "mile long"))
    page.get_by_label("Reason").first.fill("A hyphen the OCR added")
    page.get_by_role("button", name="Save the block").click()
    expect(page.get_by_text("Revision 1 saved.")).to_be_visible()

    stored = Document.objects.get(pk=document.pk)
    note.refresh_from_db()
    assert note.anchoring == Anchoring.ANCHORED
    assert note.exact == "a mile long tunnel accessed by a shower stall"
    assert stored.text[note.start : note.end] == note.exact


def test_a_page_hears_of_the_revision_and_an_orphan_is_reattached(
    page: Page, sign_in, team
):
    project, curator, annotator, document = team
    note = make_annotation(document, annotator, PASSAGE, body="How was it dug?")
    sign_in(page, annotator)
    page.goto(document.get_absolute_url())
    # The curator rewrites the passage's paragraph: the note loses its passage.
    block = next(
        index
        for index, b in enumerate(document.blocks)
        if b["start"] <= note.start < b["end"]
    )
    revise_block(
        document,
        curator,
        block,
        "He left through a tunnel that began under the shower of his cell.",
        reason="The paragraph as printed",
        base_revision=0,
    )
    # The open page is told, by its next poll (every 5 s).
    expect(page.locator("#text-revised")).to_contain_text(
        "The text of this document was corrected by cora", timeout=15_000
    )
    page.get_by_role("link", name="Reload").click()
    page.locator("#orphans summary").click()
    page.get_by_role("link", name=f"“{PASSAGE}”").click()
    thread = page.locator("#thread")
    expect(thread).to_contain_text("A revision of the text took this passage away")
    thread.get_by_role("button", name="Reattach to a passage").click()
    expect(thread).to_contain_text("Now select the passage in the text.")
    range_select(page, "a tunnel that began under the shower")
    toolbar = page.locator(".selection-toolbar")
    toolbar.get_by_role("button", name="Reattach here").click()
    expect(page.locator(f'#doc-text mark[data-ids~="{note.pk}"]').first).to_be_visible()
    note = Annotation.objects.get(pk=note.pk)
    assert note.anchoring == Anchoring.ANCHORED
    assert note.exact == "a tunnel that began under the shower"
    assert note.events.filter(kind="reattached").exists()


def test_a_curator_corrects_a_block_in_place_on_the_reading_page(
    page: Page, sign_in, team
):
    project, curator, annotator, document = team
    note = make_annotation(document, annotator, PASSAGE, body="How?")
    sign_in(page, curator)
    page.goto(document.get_absolute_url())
    range_select(page, "mile-long tunnel")
    page.locator(".selection-toolbar").get_by_role("button", name="Edit text").click()
    form = page.locator("#doc-text [data-edit-form]")
    field = form.get_by_label("Text", exact=True)
    expect(field).to_be_focused()
    field.fill(field.input_value().replace("mile-long", "mile long"))
    form.get_by_label("Reason").fill("A hyphen the OCR added")
    form.get_by_role("button", name="Save the block").click()
    # Back on the reading page, the new text drawn with the note on it.
    expect(page.locator(f'#doc-text mark[data-ids~="{note.pk}"]').first).to_be_visible()
    expect(page.locator("#doc-text")).to_contain_text("a mile long tunnel")
    note.refresh_from_db()
    assert note.exact == "a mile long tunnel accessed by a shower stall"
