"""The Search page's keyword-in-context lines as a reader sees them: on a
phone and at 1280 px, in left-to-right and right-to-left texts; and what its
labels and counts say (the test client, for what the HTML alone shows)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from corpus.models import Document
from corpus.roles import Role
from corpus.services import import_file
from tests.factories import make_document, make_project, make_user

SEED = "000_f680e8277ca77def.txt"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# The characters of a cell's text, each with where it is drawn, and the box
# the cell shows them in (inside its padding).
DRAWN = """(cell) => {
    const box = cell.getBoundingClientRect();
    const style = getComputedStyle(cell);
    const shown = {
        left: box.left + parseFloat(style.paddingLeft),
        right: box.right - parseFloat(style.paddingRight),
    };
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    const chars = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < node.data.length; i++) {
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const r = range.getBoundingClientRect();
            chars.push({c: node.data[i], left: r.left, right: r.right});
        }
    }
    return {shown, chars};
}"""


def _seeded(seeds_dir, name: str, username: str, role=Role.ANNOTATOR):
    """A project with a member and the seed text, which the member imported."""
    project = make_project(name=name)
    member = make_user(username, project=project, role=role)
    import_file(
        project=project,
        data=(seeds_dir / SEED).read_bytes(),
        filename=SEED,
        imported_by=member,
    )
    return project, member


def _searching(new_context, sign_in, member, project, query: str, viewport=PHONE):
    """A page of `viewport`'s size, the member signed in, at the search for
    `query` in the project."""
    page = new_context(viewport=viewport).new_page()
    sign_in(page, member)
    page.goto(f"/p/{project.slug}/search/?q={query}")
    return page


def _visible(drawn: dict) -> str:
    """The characters drawn wholly inside the cell's box, in their order."""
    shown = drawn["shown"]
    return "".join(
        c["c"]
        for c in drawn["chars"]
        if c["left"] >= shown["left"] - 0.5 and c["right"] <= shown["right"] + 0.5
    )


def _in_visual_order(drawn: dict) -> str:
    """A one-line text's characters as they stand from left to right."""
    return "".join(c["c"] for c in sorted(drawn["chars"], key=lambda c: c["left"]))


# -- On screen ---------------------------------------------------------------


@pytest.mark.browser
def test_on_a_phone_the_results_fit_the_screen(new_context, sign_in, seeds_dir):
    project, member = _seeded(seeds_dir, "Phone sources", "philippa")
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, member)
    for sort in ("", "before"):
        page.goto(f"/p/{project.slug}/search/?q=tunnel&sort={sort}")
        expect(page.locator("table.kwic .kwic-hit").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # Every hit, with some of its context on each side, and every
        # document's name and the annotate form are within the screen.
        for row in page.locator("table.kwic tr:has(.kwic-hit)").all():
            hit = row.locator(".kwic-hit mark").bounding_box()
            assert hit["x"] >= 0 and hit["x"] + hit["width"] <= PHONE["width"]
            for side in (".kwic-left", ".kwic-right"):
                visible = _visible(row.locator(side).evaluate(DRAWN))
                assert len(visible.strip()) >= 8, (side, visible)
        names = page.locator("table.kwic .kwic-document a, table.kwic .kwic-doc a")
        assert names.count()
        for name in names.all():
            box = name.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        form = page.locator("#annotate-form fieldset").bounding_box()
        assert form["x"] + form["width"] <= PHONE["width"]


@pytest.mark.browser
def test_on_a_phone_the_annotate_preview_lists_its_passages_within_the_screen(
    new_context, sign_in, seeds_dir
):
    project, member = _seeded(seeds_dir, "Preview sources", "petra")
    page = _searching(new_context, sign_in, member, project, "tunnel")
    form = page.locator("#annotate-form")
    form.get_by_label("Or all the hits of this search").check()
    form.get_by_label("Tag them").fill("Route")
    form.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name=re.compile("passage"))).to_be_visible()
    passages = page.locator("ol.preview-hits li")
    assert passages.count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for passage in passages.all():
        expect(passage.locator("mark")).to_have_text(re.compile("^tunnel$", re.I))
        box = passage.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    expect(
        page.get_by_role("button", name=re.compile(r"^Make \d+ annotation"))
    ).to_be_visible()


@pytest.mark.browser
def test_on_a_phone_the_header_shows_the_project_name_and_search_whole(
    new_context, sign_in, seeds_dir
):
    project, member = _seeded(seeds_dir, "Demobilisation sources", "hector")
    page = _searching(new_context, sign_in, member, project, "tunnel")
    crumb = page.locator(".site-header .crumb")
    expect(crumb).to_contain_text("Demobilisation sources")
    assert crumb.evaluate("e => e.scrollWidth <= e.clientWidth")
    name = crumb.get_by_role("link").bounding_box()
    assert name["x"] + name["width"] <= PHONE["width"]
    search = page.locator("#header-q")
    assert search.evaluate(
        """input => {
            const style = getComputedStyle(input);
            const context = document.createElement("canvas").getContext("2d");
            context.font = style.font;
            const needed = context.measureText(input.placeholder).width
                + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
            const box = input.getBoundingClientRect();
            return needed <= input.clientWidth && box.right <= window.innerWidth;
        }"""
    )


@pytest.mark.browser
def test_the_left_context_reads_as_stored_and_is_cut_on_its_left(new_context, sign_in):
    project = make_project(name="Quoted sources")
    member = make_user("quentin", project=project, role=Role.VIEWER)
    stored = [
        'The man they call "El Chapo" ',
        # Longer than the cell: only its end, beside the hit, can show.
        "He ran off again. Even so, the marines, who had followed him for"
        " months along the coast, ultimately captured ",
    ]
    make_document(
        project=project,
        title="Quoted",
        paragraphs=[stored[0] + "zebrafoo escaped.", stored[1] + "zebrafoo alive."],
    )
    page = _searching(
        new_context, sign_in, member, project, "zebrafoo", {"width": 900, "height": 700}
    )
    rows = page.locator("table.kwic tr:has(.kwic-hit)")
    expect(rows).to_have_count(2)
    seen = {}
    for row in rows.all():
        drawn = row.locator(".kwic-left").evaluate(DRAWN)
        text = "".join(c["c"] for c in drawn["chars"])
        seen[text] = drawn
        hit = row.locator(".kwic-hit mark").bounding_box()
        # Left to right as stored, ending just before the hit.
        assert _in_visual_order(drawn) == text
        assert max(c["right"] for c in drawn["chars"]) <= hit["x"] + 0.5
    # The short context shows whole, as stored.
    assert _visible(seen.pop(stored[0])).strip() == stored[0].strip()
    # The long one (its last 60 characters) is cut on its left, not its right.
    [(text, long)] = seen.items()
    assert stored[1].endswith(text)
    visible = _visible(long).strip()
    assert len(visible) < len(text.strip())
    assert text.rstrip().endswith(visible)
    assert visible.endswith("ultimately captured")


@pytest.mark.browser
def test_a_right_to_left_line_has_the_words_around_its_hit_beside_it(
    new_context, sign_in
):
    project = make_project(name="Arabic sources")
    member = make_user("farida", project=project, role=Role.VIEWER)
    make_document(
        project=project,
        title="Arabic",
        paragraphs=[
            "قالت السيدة فاطمة إن الأشجار في شارع الجمهورية قد قطعت أمس، "
            "وأضافت أن السكان غاضبون."
        ],
    )
    page = _searching(new_context, sign_in, member, project, "شارع", DESKTOP)
    row = page.locator("table.kwic tr:has(.kwic-hit)")
    expect(row).to_have_count(1)
    hit = row.locator(".kwic-hit mark").bounding_box()
    words = row.evaluate(
        """(row) => {
            const where = {};
            for (const cell of row.querySelectorAll(".kwic-left, .kwic-right")) {
                const box = cell.getBoundingClientRect();
                const node = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT)
                    .nextNode();
                for (const word of ["في", "قالت", "الجمهورية", "غاضبون"]) {
                    const at = node.data.indexOf(word);
                    if (at < 0) continue;
                    const range = document.createRange();
                    range.setStart(node, at);
                    range.setEnd(node, at + word.length);
                    const r = range.getBoundingClientRect();
                    where[word] = {
                        left: r.left, right: r.right,
                        shown: r.left >= box.left && r.right <= box.right,
                    };
                }
            }
            return where;
        }"""
    )
    # Read from the right: the word before the hit on its right, next to
    # it; the word after it on its left, next to it; both on screen.
    before, first = words["في"], words["قالت"]
    after, last = words["الجمهورية"], words["غاضبون"]
    assert hit["x"] + hit["width"] <= before["left"] < first["left"]
    assert last["right"] < after["right"] <= hit["x"]
    assert before["shown"] and after["shown"]


@pytest.mark.browser
def test_at_1280_px_the_lines_show_about_60_characters_each_side(
    new_context, sign_in, seeds_dir
):
    project, member = _seeded(seeds_dir, "Wide sources", "wanda")
    # A hit of two words, longer than a tenth of the column.
    page = _searching(
        new_context, sign_in, member, project, '"mile-long tunnel"', DESKTOP
    )
    rows = page.locator("table.kwic tr:has(.kwic-hit)")
    expect(rows.first).to_be_visible()
    for row in rows.all():
        cell = row.locator(".kwic-hit")
        assert cell.evaluate("e => e.scrollWidth <= e.clientWidth")
        mark, box = row.locator(".kwic-hit mark").bounding_box(), cell.bounding_box()
        assert box["x"] <= mark["x"] and mark["x"] + mark["width"] <= (
            box["x"] + box["width"]
        )
        for side in (".kwic-left", ".kwic-right"):
            drawn = row.locator(side).evaluate(DRAWN)
            whole = "".join(c["c"] for c in drawn["chars"]).strip()
            visible = _visible(drawn).strip()
            assert len(visible) >= min(len(whole), 50), (side, visible)


# -- What the page says (the HTML) -------------------------------------------


def _page(client, project, **query) -> str:
    response = client.get(
        reverse("annotations:project_search", args=[project.slug]), query
    )
    assert response.status_code == 200
    return response.content.decode()


def _bodies(html: str) -> list[str]:
    table = html[html.index('<table class="kwic') : html.index("</table>")]
    return re.findall(r"<tbody>(.*?)</tbody>", table, re.S)


def test_each_hit_checkbox_is_named_by_its_document_and_context(
    client, seeds_dir, transactional_db
):
    project, member = _seeded(seeds_dir, "Named sources", "nadia")
    client.force_login(member)
    html = _page(client, project, q="guzman")
    labels = [
        unescape(label)
        for label in re.findall(
            r'<input type="checkbox" name="hit"[^>]*aria-label="([^"]*)"', html
        )
    ]
    assert len(labels) > 2
    assert len(set(labels)) == len(labels)
    title = Document.objects.get(project=project).title
    for label in labels:
        # The hit, its document, and a few words on each side of it.
        hit, document, before, after = re.fullmatch(
            r"Choose the hit “(.+?)” in “(.+)”: …(.*)\1(.*)…", label
        ).groups()
        assert hit.lower().replace("á", "a") == "guzman"
        assert document == title
        assert len(before.split()) + len(after.split()) >= 4, label


def test_the_counts_say_what_they_count_and_the_sorts_name_each_line_document(
    client, seeds_dir, transactional_db
):
    project, member = _seeded(seeds_dir, "Counted sources", "carla", Role.VIEWER)
    make_document(
        project=project, title="Second", paragraphs=["A tunnel, and another tunnel."]
    )
    client.force_login(member)
    # By document: passages counted, each heading saying how many lines
    # (hits) are under it on the page.
    html = _page(client, project, q="tunnel")
    assert re.search(r"\d+ passages with hits in 2 documents", html)
    bodies = _bodies(html)
    assert len(bodies) == 2
    for body in bodies:
        lines = body.count('class="kwic-hit"')
        heading = re.search(r'<tr class="kwic-document">.*?</tr>', body, re.S)[0]
        assert re.search(rf"\b{lines} hits? on this page\b", heading), heading
        assert "passage" in heading
    # The concordance's sorts: lines counted, no heading rows, each line
    # naming its document.
    for sort in ("before", "after", "position"):
        html = _page(client, project, q="tunnel", sort=sort)
        assert 'class="kwic-document"' not in html
        rows = re.findall(
            r"<tr>(.*?)</tr>", html[html.index('<table class="kwic') :], re.S
        )
        rows = [row for row in rows if "kwic-hit" in row]
        assert len(rows) > 2
        titles = {
            Document.objects.exclude(title="Second").get(project=project).title,
            "Second",
        }
        for row in rows:
            doc = re.search(r'<td class="kwic-doc">.*?>([^<]*)</a></td>', row)
            assert doc and unescape(doc[1]) in titles, row
    html = _page(client, project, q="tunnel", sort="before")
    assert re.search(r"\d+ hits in 2 documents", html)


@pytest.mark.parametrize(
    ("chosen", "said"),
    [
        (1, "1 annotation</strong> will be made with the tag “escape”"),
        (2, "2 annotations</strong> will be made, each with the tag “escape”"),
    ],
)
def test_the_annotate_preview_speaks_of_one_or_many(
    client, seeds_dir, transactional_db, chosen, said
):
    project, member = _seeded(seeds_dir, "Tagged sources", "tomas")
    client.force_login(member)
    html = _page(client, project, q="guzman")
    hits = re.findall(r'name="hit" value="([^"]+)"', html)[:chosen]
    response = client.post(
        reverse("annotations:search_annotate", args=[project.slug]),
        {"q": "guzman", "hit": hits, "add_tag": "escape"},
    )
    assert response.status_code == 200
    text = " ".join(response.content.decode().split())
    assert said in text
