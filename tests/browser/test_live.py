"""Two members on one document: each sees the other's work without reloading.

The page polls for changes every 5 s, so each wait below allows for one full
polling period plus the swap.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from annotations.models import Annotation, Reply
from corpus.roles import Role
from tests.browser.test_annotate import annotate_selection, drag_select, mark_of
from tests.factories import make_document, make_project, make_user

pytestmark = pytest.mark.browser

POLL_WAIT_MS = 12_000
PARAGRAPHS = [
    "The escape through a mile-long tunnel stunned Mexico.",
    "Observers note that it could set back security cooperation.",
]


def _open(new_context, sign_in, user, document) -> Page:
    page = new_context().new_page()
    sign_in(page, user)
    page.goto(document.get_absolute_url())
    page.evaluate("window.sameDocument = true")
    return page


def _open_thread_from_margin(page: Page, annotation_id: int) -> None:
    # The margin may be swapped by a poll meanwhile: the locator finds the
    # item again, and click() waits for it to be visible and stable.
    link = page.locator(f"#m-{annotation_id} a.margin-quote")
    expect(link).to_be_visible()
    link.click()
    expect(page.locator(f"#thread-{annotation_id}")).to_be_visible()


def _not_reloaded(page: Page) -> None:
    assert page.evaluate("window.sameDocument") is True, "the page was reloaded"


def test_two_members_see_each_others_annotations_and_replies_live(new_context, sign_in):
    project = make_project(name="Live reading")
    anna = make_user("anna", project=project, role=Role.ANNOTATOR)
    ben = make_user("ben", project=project, role=Role.ANNOTATOR)
    document = make_document(project=project, paragraphs=PARAGRAPHS)
    page_a = _open(new_context, sign_in, anna, document)
    page_b = _open(new_context, sign_in, ben, document)

    # A annotates; B sees the highlight and the margin item arrive.
    drag_select(page_a, "a mile-long tunnel")
    annotate_selection(page_a, "How long did it take?")
    first = Annotation.objects.get()
    expect(mark_of(page_b, first.pk)).to_be_visible(timeout=POLL_WAIT_MS)
    expect(mark_of(page_b, first.pk)).to_have_text("a mile-long tunnel")
    margin_b = page_b.locator(f"#m-{first.pk}")
    expect(margin_b).to_be_visible()
    expect(margin_b).to_contain_text("anna")

    # B opens the thread and replies; A, whose thread is open, sees the reply.
    _open_thread_from_margin(page_b, first.pk)
    thread_b = page_b.locator(f"#thread-{first.pk}")
    expect(thread_b.locator(".note").first).to_have_text("How long did it take?")
    thread_b.get_by_label("Reply").fill("Over a year, they say.")
    thread_b.get_by_role("button", name="Reply").click()
    expect(thread_b.locator("li.reply")).to_contain_text("Over a year, they say.")
    assert Reply.objects.get().author == ben
    replies_a = page_a.locator(f"#replies-{first.pk}")
    expect(replies_a).to_contain_text("Over a year, they say.", timeout=POLL_WAIT_MS)

    # B starts another reply; meanwhile A adds an annotation and replies to the
    # first thread. Polling brings both to B without touching B's draft.
    draft = thread_b.get_by_label("Reply")
    draft.click()
    page_b.keyboard.type("I am still typing this")
    drag_select(page_a, "security cooperation")
    annotate_selection(page_a, "Second note.")
    second = Annotation.objects.exclude(pk=first.pk).get()
    _open_thread_from_margin(page_a, first.pk)
    thread_a = page_a.locator(f"#thread-{first.pk}")
    thread_a.get_by_label("Reply").fill("Anna agrees.")
    thread_a.get_by_role("button", name="Reply").click()
    expect(thread_a.locator("li.reply")).to_have_count(2)

    expect(mark_of(page_b, second.pk)).to_be_visible(timeout=POLL_WAIT_MS)
    expect(page_b.locator(f"#m-{second.pk}")).to_be_visible()
    expect(thread_b.locator("li.reply")).to_contain_text(
        ["Over a year, they say.", "Anna agrees."], timeout=POLL_WAIT_MS
    )
    expect(draft).to_have_value("I am still typing this")
    expect(draft).to_be_focused()
    page_b.keyboard.type(".")
    expect(draft).to_have_value("I am still typing this.")
    _not_reloaded(page_a)
    _not_reloaded(page_b)
