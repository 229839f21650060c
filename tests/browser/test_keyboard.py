"""The reading view's keyboard and selection, as issue 9 found them wanting:
J/K step through the annotations, the selection toolbar goes with the
selection, and a drag may start on a highlight."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from annotations.models import Annotation
from corpus.roles import Role
from tests.browser.test_annotate import drag_select
from tests.factories import make_annotation, make_document, make_project, make_user

pytestmark = pytest.mark.browser

PARAGRAPHS = [
    "The escape through a mile-long tunnel stunned Mexico.",
    "Observers note that it could set back security cooperation.",
    "The prison had been called the most secure in the country.",
]


@pytest.fixture
def three_notes():
    project = make_project(name="Keys")
    author = make_user("kai", project=project, role=Role.ANNOTATOR)
    document = make_document(project=project, paragraphs=PARAGRAPHS)
    notes = [
        make_annotation(document, author, quote, body=f"Note {n}.")
        for n, quote in enumerate(["tunnel", "security", "prison"], start=1)
    ]
    return author, document, notes


def _target(page: Page, note: Annotation):
    """The highlight's keyboard target, where the annotation begins."""
    return page.locator(f'#doc-text mark[tabindex][data-ids~="{note.pk}"]')


def _press_away_from_the_text(page: Page) -> None:
    # J and K are letters: with the focus in the text they could be taken for
    # typing a selection command, so start from a neutral place.
    page.locator("#margin-heading").click()


def test_j_and_k_step_through_the_annotations_with_their_threads_open(
    page: Page, sign_in, three_notes
):
    author, document, notes = three_notes
    sign_in(page, author)
    page.goto(document.get_absolute_url())
    _press_away_from_the_text(page)

    for note in notes:
        page.keyboard.press("j")
        mark = _target(page, note)
        expect(mark).to_be_focused()
        # The thread opens beside it, and the focus stays on the highlight.
        expect(page.locator(f"#thread-{note.pk}")).to_be_visible()
        page.wait_for_timeout(150)  # any late swap (out of band) has happened
        expect(mark).to_be_focused()

    page.keyboard.press("k")
    expect(_target(page, notes[1])).to_be_focused()
    expect(page.locator(f"#thread-{notes[1].pk}")).to_be_visible()
    page.wait_for_timeout(150)
    page.keyboard.press("k")
    expect(_target(page, notes[0])).to_be_focused()


def test_the_toolbar_goes_when_the_selection_goes(page: Page, sign_in, three_notes):
    author, document, _notes = three_notes
    sign_in(page, author)
    page.goto(document.get_absolute_url())
    toolbar = page.locator(".selection-toolbar")

    drag_select(page, "stunned Mexico")
    expect(toolbar).to_be_visible()
    # A click on the page's heading drops the selection: the toolbar goes too.
    page.get_by_role("heading", level=1).click()
    assert page.evaluate("getSelection().toString()") == ""
    expect(toolbar).to_be_hidden()

    # A selection cleared without any click (a script, a key) also takes it.
    drag_select(page, "Observers note")
    expect(toolbar).to_be_visible()
    page.evaluate("getSelection().removeAllRanges()")
    expect(toolbar).to_be_hidden()
    # Enter and H, with nothing selected, do nothing.
    page.locator("#doc-text").focus()
    page.evaluate("getSelection().removeAllRanges()")
    page.keyboard.press("Enter")
    page.keyboard.press("h")
    page.wait_for_timeout(300)
    expect(page.locator("#thread form.annotation-form")).to_have_count(0)
    assert Annotation.objects.count() == 3


def test_annotate_acts_on_the_current_selection_only(page: Page, sign_in, three_notes):
    author, document, _notes = three_notes
    sign_in(page, author)
    page.goto(document.get_absolute_url())
    toolbar = page.locator(".selection-toolbar")

    drag_select(page, "stunned Mexico")
    expect(toolbar).to_be_visible()
    page.get_by_role("heading", level=1).click()
    # Whatever the toolbar shows now, it cannot open a form for the old passage.
    page.evaluate(
        """() => { const b = document.querySelector(
            '.selection-toolbar button[data-act=note]'); if (b) b.click(); }"""
    )
    page.wait_for_timeout(300)
    expect(page.locator("#thread form.annotation-form")).to_have_count(0)


def test_a_drag_may_start_on_the_first_character_of_a_highlight(
    page: Page, sign_in, three_notes
):
    author, document, notes = three_notes
    sign_in(page, author)
    page.goto(document.get_absolute_url())
    page.wait_for_timeout(300)

    drag_select(page, "tunnel stunned")  # from the "t" of the "tunnel" note
    toolbar = page.locator(".selection-toolbar")
    expect(toolbar).to_be_visible()
    page.wait_for_timeout(400)  # longer than opening a focused highlight takes
    assert page.evaluate("getSelection().toString()") == "tunnel stunned"
    expect(page.locator(f"#thread-{notes[0].pk}")).to_have_count(0)
    toolbar.get_by_role("button", name="Annotate").click()
    expect(page.locator("#thread form.annotation-form blockquote")).to_have_text(
        "tunnel stunned"
    )
