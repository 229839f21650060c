"""The app on a phone: 390 px wide, touch. Every page fits the screen (nothing
scrolls sideways) with the header's Sign out in reach, and in the reading view
a thread or the note form opens as a sheet over the text without moving it.

The pages are those of the Content-Security-Policy test, which walks the URL
conf: a new page is checked here too.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from annotations.models import Annotation
from corpus.models import Project
from tests.browser.test_annotate import mark_of, range_select
from tests.browser.test_csp import PAGES, World
from tests.browser.test_csp import world as world  # a fixture, used by name

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
# A project name as groups write them: long enough to need more than a line.
LONG_NAME = "Border security, migration and policing along the US–Mexico border"
ANONYMOUS = ("home", "login")


@pytest.fixture
def phone(new_context) -> Page:
    return new_context(**PHONE).new_page()


def _overflow(page: Page) -> str | None:
    """What sticks out past the right edge of the screen, if anything does.

    The screen's width, not innerWidth: a mobile browser widens its layout
    viewport to fit a page that is too wide (and shows it zoomed out), so
    innerWidth would grow with the fault.
    """
    return page.evaluate(
        """(width) => {
            if (document.documentElement.scrollWidth <= width) return null;
            const wide = Array.from(document.querySelectorAll("body *"))
                .filter((el) => el.getBoundingClientRect().right > width + 0.5)
                .filter((el) => !el.parentElement.closest("*") ||
                    el.parentElement.getBoundingClientRect().right <= width + 0.5)
                .slice(0, 5)
                .map((el) => el.tagName.toLowerCase() +
                    (el.id ? "#" + el.id : "") +
                    (el.className && el.className.baseVal === undefined
                        ? "." + el.className.trim().split(/\\s+/).join(".") : "") +
                    " right=" + Math.round(el.getBoundingClientRect().right));
            return `scrollWidth ${document.documentElement.scrollWidth} > ` +
                `${width} (innerWidth ${window.innerWidth}): ${wide.join(", ")}`;
        }""",
        page.viewport_size["width"],
    )


def _check_page(page: Page, name: str, problems: list[str]) -> None:
    wide = _overflow(page)
    if wide:
        problems.append(f"{name} ({page.url}): {wide}")
    header = page.locator(".site-header")
    box = header.bounding_box()
    if box["height"] > 130:
        problems.append(f"{name}: the header is {box['height']:.0f} px tall")
    signed_in = name not in ANONYMOUS
    control = (
        header.get_by_role("button", name="Sign out")
        if signed_in
        else header.get_by_role("link", name="Sign in")
    )
    if not control.is_visible() or not _on_screen(page, control):
        problems.append(
            f"{name}: the header's {'Sign out' if signed_in else 'Sign in'}"
            " is not on the screen"
        )


def _on_screen(page: Page, locator) -> bool:
    box = locator.bounding_box()
    return (
        box is not None
        and box["x"] >= 0
        and box["x"] + box["width"] <= page.viewport_size["width"]
    )


def test_every_page_fits_a_phone_screen(phone: Page, world: World, sign_in):
    Project.objects.filter(pk=world.project.pk).update(name=LONG_NAME)
    problems: list[str] = []
    for name in ANONYMOUS:
        phone.goto(PAGES[name](world))
        _check_page(phone, name, problems)

    sign_in(phone, world.owner)
    _check_page(phone, "project list", problems)
    for name, url in PAGES.items():
        if name in ANONYMOUS:
            continue
        response = phone.goto(url(world))
        assert response.status == 200, f"{name}: {response.status}"
        _check_page(phone, name, problems)
    # A document with its thread open: the sheet fits too.
    phone.goto(world.note.get_absolute_url())
    expect(phone.locator("#thread .thread")).to_be_visible()
    _check_page(phone, "document with a thread", problems)

    assert not problems, "\n".join(problems)


def _scroll_to(page: Page, annotation_id: int) -> float:
    """Bring a highlight to the middle of the screen; the page's scroll offset."""
    mark_of(page, annotation_id).evaluate(
        "(mark) => mark.scrollIntoView({block: 'center'})"
    )
    page.wait_for_timeout(100)
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 200, "the highlight should be well down the text"
    return scrolled


def _expect_sheet(page: Page, passage: dict) -> None:
    """The thread panel is a sheet over the text: fixed to the screen, inside it,
    leaving the passage it is about in view."""
    panel = page.locator("#thread")
    expect(panel).to_be_visible()
    page.wait_for_timeout(100)  # settled
    assert panel.evaluate("(el) => getComputedStyle(el).position") == "fixed"
    box = panel.bounding_box()
    size = page.viewport_size
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"] + 0.5
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 0.5
    assert box["height"] < size["height"], "the sheet leaves some text in view"
    assert passage["top"] >= 0 and passage["bottom"] <= size["height"]
    covered = passage["top"] < box["y"] + box["height"] and box["y"] < passage["bottom"]
    assert not covered, f"the sheet {box} hides the passage {passage}"


def _rect_of_mark(page: Page, annotation_id: int) -> dict:
    return mark_of(page, annotation_id).evaluate(
        "(mark) => { const r = mark.getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom}; }"
    )


def test_a_tapped_highlight_opens_its_thread_as_a_sheet_where_the_reader_is(
    phone: Page, world: World, sign_in
):
    second = Annotation.objects.exclude(pk=world.note.pk).get(document=world.document)
    sign_in(phone, world.owner)
    phone.goto(world.document.get_absolute_url())
    position = _scroll_to(phone, second.pk)

    mark_of(phone, second.pk).tap()
    thread = phone.locator(f"#thread-{second.pk}")
    expect(thread).to_be_visible()
    _expect_sheet(phone, _rect_of_mark(phone, second.pk))
    assert phone.evaluate("window.scrollY") == position
    assert _overflow(phone) is None

    # Closed with its button: the text is where it was.
    close = thread.get_by_role("link", name="Close the thread")
    box = close.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24, "a finger-sized target"
    close.tap()
    expect(phone.locator("#thread .thread")).to_have_count(0)
    expect(phone.locator("#thread")).to_be_hidden()
    assert phone.evaluate("window.scrollY") == position

    # Opened again and closed with Esc (a keyboard on a tablet): the same.
    mark_of(phone, second.pk).tap()
    expect(thread).to_be_visible()
    phone.keyboard.press("Escape")
    expect(phone.locator("#thread .thread")).to_have_count(0)
    assert phone.evaluate("window.scrollY") == position


def test_the_note_form_opens_as_a_sheet_and_keeps_the_passage_in_place(
    phone: Page, world: World, sign_in
):
    second = Annotation.objects.exclude(pk=world.note.pk).get(document=world.document)
    sign_in(phone, world.owner)
    phone.goto(world.document.get_absolute_url())
    position = _scroll_to(phone, second.pk)

    # A touch selection ends with the browser's own handles: the page learns of
    # it from the selection itself, with no mouse event.
    phone.evaluate(
        """() => { const text = document.getElementById("doc-text");
            text.addEventListener("mouseup", (e) => e.stopImmediatePropagation(),
                                  true); }"""
    )
    range_select(phone, "stunned Mexico")
    assert phone.evaluate("window.scrollY") == position
    toolbar = phone.locator(".selection-toolbar")
    expect(toolbar).to_be_visible()
    assert _on_screen(phone, toolbar)
    toolbar.get_by_role("button", name="Annotate").tap()

    form = phone.locator("#thread form.annotation-form")
    expect(form).to_be_visible()
    assert phone.evaluate("window.scrollY") == position
    # The passage stays marked while the form has the focus, and in view.
    marked = phone.evaluate(
        """() => { const mark = CSS.highlights.get("apparatus-passage");
            if (!mark) return null;
            const range = [...mark][0], rect = range.getBoundingClientRect();
            return {text: range.toString(), top: rect.top, bottom: rect.bottom}; }"""
    )
    assert marked["text"] == "stunned Mexico"
    _expect_sheet(phone, marked)

    form.get_by_role("button", name="Cancel").tap()
    expect(phone.locator("#thread form")).to_have_count(0)
    assert phone.evaluate("window.scrollY") == position
    assert phone.evaluate("CSS.highlights.has('apparatus-passage')") is False
