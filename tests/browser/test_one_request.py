"""One action, one request: a note made, replied to or deleted changes the
whole page (thread, highlights, margin, counts) from its own answer, with no
request after it, and the page's next poll finds nothing new."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from annotations import services as annotation_services
from annotations.margin import MARGIN_PAGE_SIZE
from tests.browser.test_annotate import annotate_selection, range_select
from tests.browser.test_annotate import annotator as annotator  # a fixture, by name
from tests.factories import make_document

pytestmark = pytest.mark.browser

TEXT = "Alpha beta gamma delta epsilon zeta eta theta."


def _note(document, user, word: str, body: str = ""):
    start = document.text.index(word)
    return annotation_services.create_annotation(
        document=document,
        author=user,
        start=start,
        end=start + len(word),
        exact=word,
        body=body,
    )


def _app_requests(page: Page) -> list[str]:
    """Every request the page sends to the app from now on ("METHOD path"),
    leaving out static files."""
    sent: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if "/static/" in request.url
            else sent.append(
                f"{request.method} {re.sub(r'^https?://[^/]+', '', request.url)}"
            )
        ),
    )
    return sent


def _quotes(page: Page) -> list[str]:
    return page.locator("#margin-list li.margin-item .margin-quote").all_inner_texts()


def test_a_new_note_takes_its_place_in_the_margin_from_its_own_answer(
    page: Page, sign_in, annotator
):
    user, project = annotator
    document = make_document(project=project, paragraphs=[TEXT])
    _note(document, user, "beta", "first")
    _note(document, user, "epsilon", "third")
    sign_in(page, user)
    page.goto(document.get_absolute_url())
    expect(page.locator("#margin-heading")).to_have_text("Annotations (2)")
    sent = _app_requests(page)

    range_select(page, "delta")
    annotate_selection(page, "second")

    # Between the two it follows in the text, counted, highlighted.
    expect(page.locator("#margin-list li.margin-item")).to_have_count(3)
    assert _quotes(page) == ["“beta”", "“delta”", "“epsilon”"]
    expect(page.locator("#margin-heading")).to_have_text("Annotations (3)")
    expect(page.locator("#doc-text mark", has_text="delta")).to_have_count(1)
    # The form, then the save: nothing re-fetches the list.
    actions = [line for line in sent if "/changes/" not in line]
    assert [line.split(" ")[0] for line in actions] == ["GET", "POST"], sent
    assert "/annotate/" in actions[0]
    # The page's token moved with the save: its next poll has nothing to fetch.
    with page.expect_response(lambda r: "/changes/" in r.url, timeout=8_000) as poll:
        pass
    assert poll.value.status == 204
    # The entry works as one drawn with the page: it opens its thread.
    page.locator("#margin-list .margin-quote", has_text="delta").click()
    expect(page.locator("#thread .note")).to_have_text("second")


def test_a_reply_and_a_deletion_change_the_margin_in_place(
    page: Page, sign_in, annotator
):
    user, project = annotator
    document = make_document(project=project, paragraphs=[TEXT])
    note = _note(document, user, "gamma", "to discuss")
    other = _note(document, user, "theta", "kept")
    sign_in(page, user)
    page.goto(f"{document.get_absolute_url()}?thread={note.pk}")
    entry = page.locator(f"#m-{note.pk}")
    expect(entry).to_contain_text("0 replies")
    sent = _app_requests(page)

    page.locator("#thread .reply-form textarea").fill("Agreed.")
    page.locator("#thread .reply-form").get_by_role("button", name="Reply").click()
    expect(page.locator("#thread .replies")).to_contain_text("Agreed.")
    expect(entry).to_contain_text("1 reply")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#thread").get_by_role("button", name="Delete", exact=True).click()
    expect(page.locator("#thread")).to_contain_text("The annotation was deleted.")
    expect(entry).to_have_count(0)
    expect(page.locator(f"#m-{other.pk}")).to_have_count(1)
    expect(page.locator("#margin-heading")).to_have_text("Annotations (1)")
    expect(page.locator("#doc-text mark", has_text="gamma")).to_have_count(0)
    assert [line.split(" ")[0] for line in sent if "/changes/" not in line] == [
        "POST",
        "POST",
    ], sent


def test_a_full_page_of_the_margin_hands_its_last_entry_on(
    page: Page, sign_in, annotator
):
    user, project = annotator
    words = [f"w{n:03d}" for n in range(MARGIN_PAGE_SIZE + 1)]
    document = make_document(project=project, paragraphs=[" ".join(words), "Zero."])
    for word in words:
        _note(document, user, word)
    sign_in(page, user)
    page.goto(document.get_absolute_url())
    items = page.locator("#margin-list li.margin-item")
    expect(items).to_have_count(MARGIN_PAGE_SIZE)
    total = page.locator("#margin-list .pagination [data-total]")
    expect(total).to_have_text(str(MARGIN_PAGE_SIZE + 1))
    last_shown = items.nth(MARGIN_PAGE_SIZE - 1).inner_text()

    range_select(page, "w000")
    annotate_selection(page, "the same passage again, made later")

    expect(total).to_have_text(str(MARGIN_PAGE_SIZE + 2))
    expect(items).to_have_count(MARGIN_PAGE_SIZE)
    # Made later on the same passage: second in text order; the page's last
    # entry moved on to the next page.
    expect(items.nth(1)).to_contain_text("the same passage again")
    assert last_shown not in items.all_inner_texts()
