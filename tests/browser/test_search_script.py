"""What the pages' scripts add to the Search page and the reading view's find
box, in Chromium: hits chosen on one page of lines stay chosen on the others,
the search form follows the browser's Back and Forward, choosing a facet from
the keyboard keeps the keyboard there, and the hit found in a document is
brought into view, on a phone as on a desktop."""

from __future__ import annotations

import contextlib
import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from corpus.roles import Role
from corpus.services import import_file
from tests.browser.test_csp import RECORD_VIOLATIONS
from tests.browser.test_phone import PHONE
from tests.factories import make_annotation, make_document, make_project, make_user

pytestmark = pytest.mark.browser

# Guzmán is named 15 times in the first text and 45 in the second: more lines
# than a page holds.
SEEDS = ("000_f680e8277ca77def.txt", "001_2cf028e75483853e.txt")
SEARCH_BOX = "Find in the texts, titles, notes, replies and tags"


def _seeded(seeds_dir, name: str, username: str, role: str = Role.VIEWER):
    """A project with a member of `role` and the seed texts, which they imported."""
    project = make_project(name=name)
    member = make_user(username, project=project, role=role)
    documents = [
        import_file(
            project=project,
            data=(seeds_dir / seed).read_bytes(),
            filename=seed,
            imported_by=member,
        )
        for seed in SEEDS
    ]
    return project, member, documents


def _searching(page: Page, sign_in, member, project, query: str = "") -> None:
    """The member signed in, at the search for `query` (none: the empty page)."""
    sign_in(page, member)
    page.goto(f"/p/{project.slug}/search/" + (f"?q={query}" if query else ""))


def _hits(page: Page):
    return page.locator("table.kwic").get_by_role("checkbox")


def _expect_page_of_lines(page: Page, number: int) -> None:
    pages = page.get_by_role("navigation", name="Pages of lines")
    expect(pages).to_contain_text(f"Page {number}")


def test_hits_chosen_on_several_pages_of_lines_are_annotated_together(
    page: Page, sign_in, seeds_dir
):
    project, annotator, _documents = _seeded(
        seeds_dir, "Chosen sources", "ana", Role.ANNOTATOR
    )
    _searching(page, sign_in, annotator, project, "Guzman")
    _expect_page_of_lines(page, 1)
    _hits(page).nth(0).check()
    _hits(page).nth(3).check()
    expect(page.get_by_text("2 hits chosen")).to_be_visible()

    page.get_by_role("link", name="Next").click()
    _expect_page_of_lines(page, 2)
    expect(page.get_by_text("2 hits chosen (on other pages)")).to_be_visible()
    _hits(page).nth(1).check()
    expect(page.get_by_text("3 hits chosen (2 on other pages)")).to_be_visible()

    # Back on the first page, its two hits are still ticked.
    page.get_by_role("link", name="Previous").click()
    _expect_page_of_lines(page, 1)
    expect(_hits(page).nth(0)).to_be_checked()
    expect(_hits(page).nth(3)).to_be_checked()
    expect(page.locator("table.kwic input:checked")).to_have_count(2)

    page.get_by_label("Tag them").fill("Person")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("status")).to_contain_text("3 annotations will be made")
    page.get_by_role("button", name="Make 3 annotations").click()
    expect(page.get_by_text("3 annotations made with the tag “Person”")).to_be_visible()
    # Made: none is chosen any more, on any page.
    _expect_page_of_lines(page, 1)
    expect(page.locator("table.kwic input:checked")).to_have_count(0)
    expect(page.get_by_text("hits chosen")).to_be_hidden()
    page.get_by_role("link", name="Next").click()
    _expect_page_of_lines(page, 2)
    expect(page.locator("table.kwic input:checked")).to_have_count(0)


def test_hits_chosen_are_forgotten_when_the_search_changes(
    page: Page, sign_in, seeds_dir
):
    project, annotator, _documents = _seeded(
        seeds_dir, "Changed sources", "abel", Role.ANNOTATOR
    )
    _searching(page, sign_in, annotator, project, "Guzman")
    page.get_by_role("link", name="Next").click()
    _expect_page_of_lines(page, 2)
    _hits(page).nth(0).check()
    expect(page.get_by_text("1 hit chosen")).to_be_visible()
    box = page.get_by_label(SEARCH_BOX)
    box.fill("Guzman Loera")
    page.wait_for_url("**q=Guzman%20Loera**")
    expect(page.get_by_text("hit chosen")).to_be_hidden()
    box.fill("Guzman")
    page.wait_for_url("**q=Guzman&**")
    _expect_page_of_lines(page, 1)
    expect(page.locator("table.kwic input:checked")).to_have_count(0)
    expect(page.get_by_text("hit chosen")).to_be_hidden()
    # The hit chosen before is not sent with the one chosen now.
    _hits(page).nth(1).check()
    expect(page.get_by_text("1 hit chosen", exact=True)).to_be_visible()
    page.get_by_label("Tag them").fill("Person")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("status")).to_contain_text("1 annotation will be made")


def test_hits_chosen_stay_chosen_in_another_sort(page: Page, sign_in, seeds_dir):
    project, annotator, _documents = _seeded(
        seeds_dir, "Sorted sources", "sorel", Role.ANNOTATOR
    )
    _searching(page, sign_in, annotator, project, "Guzman")
    chosen = _hits(page).nth(0)
    value = chosen.get_attribute("value")
    chosen.check()
    page.get_by_label("Lines", exact=True).select_option("after")
    page.wait_for_url("**sort=after**")
    expect(page.get_by_text("1 hit chosen")).to_be_visible()
    expect(page.locator(f'table.kwic input[value="{value}"]')).to_be_checked()


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "not-cached"])
def test_back_and_forward_show_the_search_of_the_address(
    page: Page, sign_in, seeds_dir, cached: bool
):
    project, viewer, _documents = _seeded(seeds_dir, "History sources", "hana")
    page.add_init_script(RECORD_VIOLATIONS)
    _searching(page, sign_in, viewer, project)
    box = page.get_by_label(SEARCH_BOX)
    sort = page.get_by_label("Lines")
    box.fill("tunnel")
    page.wait_for_url("**q=tunnel**")
    box.fill("sovereignty")
    page.wait_for_url("**q=sovereignty**")
    sort.select_option(label="By the word after")
    page.wait_for_url("**sort=after**")
    expect(page.locator("table.kwic .kwic-hit").first).to_have_text("sovereignty")
    if not cached:
        # As when more searches were made since than htmx keeps pages of: the
        # page is asked of the server again.
        page.evaluate("() => sessionStorage.removeItem('htmx-history-cache')")

    page.go_back()
    page.wait_for_url("**q=sovereignty&sort=&**")
    expect(box).to_have_value("sovereignty")
    expect(sort.locator("option:checked")).to_have_text("By document")
    expect(page.locator("table.kwic .kwic-hit").first).to_have_text("sovereignty")

    page.go_back()
    page.wait_for_url("**q=tunnel**")
    expect(box).to_have_value("tunnel")
    expect(page.locator("table.kwic .kwic-hit").first).to_have_text(
        re.compile("tunnel", re.IGNORECASE)
    )

    page.go_forward()
    page.go_forward()
    page.wait_for_url("**sort=after**")
    expect(box).to_have_value("sovereignty")
    expect(sort.locator("option:checked")).to_have_text("By the word after")
    assert page.evaluate("() => window.__cspViolations") == []


def test_back_twice_shows_the_second_entry_whichever_answer_comes_last(
    page: Page, sign_in, seeds_dir
):
    """Two entries asked of the server again (not in htmx's history cache),
    the first answering last: the page is the second's, at its address."""
    project, viewer, _documents = _seeded(seeds_dir, "Race sources", "rosa")
    _searching(page, sign_in, viewer, project)
    box = page.get_by_label(SEARCH_BOX)
    for query in ("tunnel", "sovereignty", "Guzman"):
        box.fill(query)
        page.wait_for_url(f"**q={query}**")
    expect(page.locator("table.kwic .kwic-hit").first).to_have_text(
        re.compile("guzm", re.IGNORECASE)
    )
    page.evaluate("() => sessionStorage.removeItem('htmx-history-cache')")
    held = []

    def hold_the_first(route):
        restoring = route.request.headers.get("hx-history-restore-request")
        if restoring and "q=sovereignty" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/search/"), hold_the_first)
    page.go_back()
    page.wait_for_url("**q=sovereignty**")
    page.go_back()
    page.wait_for_url("**q=tunnel**")
    hit = page.locator("table.kwic .kwic-hit").first
    expect(hit).to_have_text(re.compile("tunnel", re.IGNORECASE))
    assert len(held) == 1
    # The first answer comes now, late (or not at all: it was given up).
    with contextlib.suppress(PlaywrightError):  # aborted, as it should be
        held[0].continue_()
    page.wait_for_timeout(500)
    expect(hit).to_have_text(re.compile("tunnel", re.IGNORECASE))
    expect(box).to_have_value("tunnel")


def test_a_facet_chosen_from_the_keyboard_keeps_the_focus(
    page: Page, sign_in, seeds_dir
):
    project, viewer, (document, _other) = _seeded(seeds_dir, "Facet sources", "fran")
    author = make_user("arturo", project=project, role=Role.ANNOTATOR)
    for n in range(3):
        make_annotation(document, author, "Guzmán", body=f"Tunnel note {n}.")
    _searching(page, sign_in, viewer, project, "tunnel")
    facets = page.get_by_role("complementary", name="Narrow the results")
    note = facets.get_by_role("link", name="Note", exact=True)
    note.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**kind=note**")
    expect(page.locator("ul.search-notes li")).to_have_count(3)
    # The same facet, in the new results, has the keyboard; Tab goes on from it.
    expect(note).to_be_focused()
    expect(note).to_have_attribute("aria-current", "true")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).not_to_be_focused()
    expect(page.locator(":focus")).to_have_count(1)
    assert page.evaluate(
        "() => document.activeElement.closest('#search-results') !== null"
    )

    # "Any" is not among the new results' links: the results take the focus.
    facets.get_by_role("link", name="Any").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="In the texts")).to_be_visible()
    expect(page.get_by_role("region", name="Results")).to_be_focused()


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
