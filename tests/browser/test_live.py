"""Two members on one document: each sees the other's work without reloading.

The page polls for changes every 5 s, so each wait below allows for one full
polling period plus the swap.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from annotations import services
from annotations.models import Annotation, Reply
from corpus.roles import Role
from tests.browser.test_annotate import annotate_selection, drag_select, mark_of
from tests.factories import make_annotation, make_document, make_project, make_user

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
    thread_b.get_by_role("button", name="Reply", exact=True).click()
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
    thread_a.get_by_role("button", name="Reply", exact=True).click()
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


class HtmxErrors:
    """Every htmx error event a page reports (htmx logs each to the console as
    "htmx:<event>, <target>": oobErrorNoTarget, targetError, swapError,
    responseError, sendError, sendAbort...), and the page's uncaught exceptions."""

    EVENTS = "htmx:"

    def __init__(self, *pages: Page):
        self.found: list[str] = []
        for page in pages:
            page.on("console", lambda message, page=page: self._console(page, message))
            page.on("pageerror", lambda error: self.found.append(f"error: {error}"))

    def _console(self, page: Page, message) -> None:
        if message.type == "error" and message.text.startswith(self.EVENTS):
            self.found.append(f"{page.url}: {message.text}")

    def assert_none(self) -> None:
        assert not self.found, "\n".join(self.found)


def poll_now(page: Page) -> None:
    """Run the page's poll at once, as its 5-second timer would, and wait for it."""
    with page.expect_response(lambda r: "/changes/" in r.url):
        page.evaluate(
            """() => { const poller = document.getElementById("poller");
                htmx.ajax("GET", poller.getAttribute("hx-get"),
                          {source: poller, target: poller, swap: "outerHTML"}); }"""
        )
    page.wait_for_timeout(100)  # the swap


def test_a_session_of_two_members_raises_no_htmx_error(new_context, sign_in):
    project = make_project(name="Quiet console")
    anna = make_user("anna", project=project, role=Role.ANNOTATOR)
    cleo = make_user("cleo", project=project, role=Role.CURATOR)
    document = make_document(project=project, paragraphs=PARAGRAPHS)
    page_a = _open(new_context, sign_in, anna, document)
    page_c = _open(new_context, sign_in, cleo, document)
    errors = HtmxErrors(page_a, page_c)
    page_a.on("dialog", lambda dialog: dialog.accept())

    # Anna annotates; Cleo's poll brings it, and she opens its thread.
    drag_select(page_a, "a mile-long tunnel")
    annotate_selection(page_a, "How long did it take?")
    note = Annotation.objects.get()
    poll_now(page_c)
    expect(mark_of(page_c, note.pk)).to_be_visible()
    mark_of(page_c, note.pk).click()
    thread_c = page_c.locator(f"#thread-{note.pk}")
    expect(thread_c).to_be_visible()

    # Anna edits her note; Cleo's open thread follows.
    thread_a = page_a.locator(f"#thread-{note.pk}")
    thread_a.get_by_role("link", name="Edit", exact=True).click()
    thread_a.locator(f"#note-{note.pk} textarea[name=body]").fill("About a year.")
    thread_a.get_by_role("button", name="Save").click()
    expect(thread_a.locator(".note").first).to_have_text("About a year.")
    poll_now(page_c)

    # A conflict: both edit; Anna saves first, Cleo's save is refused in place.
    thread_c.get_by_role("link", name="Edit", exact=True).click()
    thread_c.locator(f"#note-{note.pk} textarea[name=body]").fill("Cleo's version.")
    thread_a.get_by_role("link", name="Edit", exact=True).click()
    thread_a.locator(f"#note-{note.pk} textarea[name=body]").fill("Anna's version.")
    thread_a.get_by_role("button", name="Save").click()
    expect(thread_a.locator(".note").first).to_have_text("Anna's version.")
    thread_c.get_by_role("button", name="Save").click()
    expect(page_c.locator("#thread .conflict")).to_contain_text("anna")
    poll_now(page_c)  # the thread changed, and its editor is open
    expect(thread_c.get_by_label("Note")).to_have_value("Cleo's version.")
    page_c.locator("#thread").get_by_role("link", name="Cancel").click()
    expect(thread_c.locator(".note").first).to_have_text("Anna's version.")

    # Anna starts another note while her thread's state is still about the first;
    # Cleo replies to the first and decides on it; both polls run.
    drag_select(page_a, "security cooperation")
    page_a.locator(".selection-toolbar").get_by_role("button", name="Annotate").click()
    expect(page_a.locator("#thread form.annotation-form")).to_be_visible()
    thread_c.get_by_label("Reply").fill("Source?")
    thread_c.get_by_role("button", name="Reply", exact=True).click()
    expect(thread_c.locator("li.reply")).to_contain_text("Source?")
    poll_now(page_a)
    thread_c.get_by_text("Decide", exact=True).click()
    thread_c.get_by_label("Status").select_option("approved")
    thread_c.get_by_role("button", name="Record decision").click()
    expect(thread_c.locator(".decision")).to_contain_text("Approved")
    poll_now(page_a)
    page_a.locator("#thread").get_by_label("Note").fill("Second.")
    page_a.locator("#thread").get_by_role("button", name="Save").click()
    expect(page_a.locator("#thread .thread .note")).to_have_text("Second.")
    second = Annotation.objects.exclude(pk=note.pk).get()

    # Anna back on the first thread: the decision and the reply arrive live.
    page_a.locator(f"#m-{note.pk} a.margin-quote").click()
    expect(thread_a).to_be_visible()
    thread_c.get_by_label("Reply").fill("Found it.")
    thread_c.get_by_role("button", name="Reply", exact=True).click()
    poll_now(page_a)
    expect(page_a.locator(f"#replies-{note.pk}")).to_contain_text("Found it.")
    # Cleo's thread is open while Anna deletes the second note and the poll runs.
    poll_now(page_c)
    page_a.locator(f"#m-{second.pk} a.margin-quote").click()
    page_a.locator(f"#thread-{second.pk}").get_by_role("button", name="Delete").click()
    expect(page_a.locator("#thread")).to_contain_text("deleted")
    poll_now(page_a)
    poll_now(page_c)
    _not_reloaded(page_a)
    _not_reloaded(page_c)
    errors.assert_none()


def test_a_reply_being_edited_survives_a_poll_that_brings_new_replies(
    new_context, sign_in
):
    project = make_project(name="Drafts")
    anna = make_user("anna", project=project, role=Role.ANNOTATOR)
    ben = make_user("ben", project=project, role=Role.ANNOTATOR)
    document = make_document(project=project, paragraphs=PARAGRAPHS)
    note = make_annotation(document, anna, "a mile-long tunnel", body="Long?")
    reply = services.create_reply(annotation=note, author=anna, body="First.")
    page = new_context().new_page()
    errors = HtmxErrors(page)
    sign_in(page, anna)
    page.goto(note.get_absolute_url())
    thread = page.locator(f"#thread-{note.pk}")
    thread.locator(f"#reply-{reply.pk}").get_by_role("link", name="Edit").click()
    field = thread.locator(f"#reply-{reply.pk} textarea[name=body]")
    field.fill("First, and rewritten")

    services.create_reply(annotation=note, author=ben, body="Ben's reply.")
    poll_now(page)

    expect(thread.locator("li.reply")).to_have_count(2)
    expect(thread.locator("li.reply").last).to_contain_text("Ben's reply.")
    expect(field).to_have_value("First, and rewritten")
    thread.get_by_role("button", name="Save reply").click()
    expect(thread.locator(f"#reply-{reply.pk}")).to_contain_text("First, and rewritten")
    errors.assert_none()


def test_a_poll_answered_after_its_thread_closed_is_not_shown(new_context, sign_in):
    project = make_project(name="Late answers")
    anna = make_user("anna", project=project, role=Role.ANNOTATOR)
    ben = make_user("ben", project=project, role=Role.ANNOTATOR)
    document = make_document(project=project, paragraphs=PARAGRAPHS)
    note = make_annotation(document, anna, "a mile-long tunnel", body="Long?")
    page = new_context().new_page()
    errors = HtmxErrors(page)
    sign_in(page, anna)
    page.goto(note.get_absolute_url())
    expect(page.locator(f"#thread-{note.pk}")).to_be_visible()
    services.create_reply(annotation=note, author=ben, body="Ben's reply.")

    # The poll asks about the open thread; its answer is held back until the
    # reader has closed that thread.
    held = []
    page.route("**/changes/**", lambda route: held.append(route))
    page.evaluate(
        """() => { const poller = document.getElementById("poller");
            htmx.ajax("GET", poller.getAttribute("hx-get"),
                      {source: poller, target: poller, swap: "outerHTML"}); }"""
    )
    page.wait_for_timeout(200)
    assert len(held) == 1 and f"thread={note.pk}" in held[0].request.url
    page.keyboard.press("Escape")
    expect(page.locator("#thread .thread")).to_have_count(0)
    since = page.locator("#poller").get_attribute("hx-get")
    with page.expect_response("**/changes/**"):
        held[0].continue_()
    page.wait_for_timeout(200)
    page.unroute("**/changes/**")

    assert page.locator("#poller").get_attribute("hx-get") == since  # not taken
    poll_now(page)  # asked again, about no thread: the news arrives
    expect(page.locator(f"#m-{note.pk}")).to_contain_text("1 reply")
    errors.assert_none()
