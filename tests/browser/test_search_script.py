"""What the reading view's script adds, in Chromium: the hit found in a
document, or opened from the search, is brought into view, on a phone as on a
desktop."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone import PHONE
from tests.factories import make_document, make_project, make_user

pytestmark = pytest.mark.browser

LONG_PARAGRAPH = " ".join(
    f"Sentence {n} of the long account runs on without a break." for n in range(400)
)


@pytest.mark.parametrize(
    "device",
    [PHONE, {"viewport": {"width": 1280, "height": 800}}],
    ids=["phone", "desktop"],
)
def test_find_in_this_document_brings_each_hit_into_view(new_context, sign_in, device):
    project = make_project(name="Long sources")
    viewer = make_user("lena", project=project)
    document = make_document(
        project=project,
        paragraphs=[
            "A short opening.",
            "The needle comes first. " + LONG_PARAGRAPH + " The needle comes last.",
        ],
    )
    page = new_context(**device).new_page()
    sign_in(page, viewer)
    page.goto(document.get_absolute_url())
    find = page.get_by_label("Find in this document")
    count = page.locator("#find-count")
    in_view = """() => {
        const [hit] = [...CSS.highlights.get("find-current")];
        const box = hit.getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight;
    }"""
    find.fill("needle")
    expect(count).to_have_text("1 of 2")
    page.wait_for_function(in_view)
    find.press("Enter")
    expect(count).to_have_text("2 of 2")
    page.wait_for_function(in_view)


def test_a_line_opens_the_reading_page_with_its_hit_in_view(new_context, sign_in):
    """The search's line leads to a hit at the end of a long paragraph: that
    hit is on screen, not the paragraph's middle."""
    project = make_project(name="Opened sources")
    viewer = make_user("olaf", project=project)
    document = make_document(
        project=project, paragraphs=[LONG_PARAGRAPH + " The needle comes last."]
    )
    start = document.text.index("needle")
    page = new_context(**PHONE).new_page()
    sign_in(page, viewer)
    page.goto(f"{document.get_absolute_url()}?hit={start}-{start + len('needle')}")
    page.wait_for_function("() => CSS.highlights.has('search-hit')")
    assert page.evaluate(
        """() => {
            const [hit] = [...CSS.highlights.get("search-hit")];
            const box = hit.getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight;
        }"""
    )
