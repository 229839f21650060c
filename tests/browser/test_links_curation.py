"""Linking sources and curating, in the browser, as a research group does it:
a passage in one seed report linked to a passage in another chosen side by
side; a curator's decision read by the author; two tags merged; one row of the
curation queue rejected with its own reason, by keyboard; a document opened
from the links page's picture."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from annotations import services
from annotations import services as annotation_services
from annotations.models import Annotation, EventKind, Link, RelationType, Status, Tag
from corpus.roles import Role
from tests.browser.test_accessibility import _blocking_violations
from tests.browser.test_annotate import drag_select, mark_of, save_seed
from tests.factories import make_document, make_project, make_user

pytestmark = pytest.mark.browser

PRISON_SEED = "000_f680e8277ca77def.txt"
ESCAPE_SEED = "001_2cf028e75483853e.txt"


def annotate(document, author, exact, **kwargs) -> Annotation:
    start = document.text.index(exact)
    return annotation_services.create_annotation(
        document=document,
        author=author,
        start=start,
        end=start + len(exact),
        exact=exact,
        **kwargs,
    )


def test_link_a_passage_to_one_chosen_side_by_side_and_follow_it_both_ways(
    page: Page, sign_in, seeds_dir
):
    project = make_project(name="Escapes")
    user = make_user("lina", project=project, role=Role.ANNOTATOR)
    report = save_seed(project, seeds_dir, PRISON_SEED)
    article = save_seed(project, seeds_dir, ESCAPE_SEED)
    tunnel = "a mile-long tunnel accessed by a shower stall"
    source = annotate(report, user, tunnel, body="The official account.")
    building = "a hastily constructed building on farmland"

    sign_in(page, user)
    page.goto(source.get_absolute_url())
    thread = page.locator("#thread")
    thread.get_by_role("link", name="Link to…").click()
    expect(thread.get_by_role("heading", name="Link this passage")).to_be_visible()
    thread.get_by_label("Open beside this passage").select_option(label=article.title)
    thread.get_by_role("button", name="Open side by side").click()

    expect(
        page.get_by_role("heading", name="Link a passage side by side")
    ).to_be_visible()
    expect(page.locator(".compare-from mark")).to_have_text(tunnel)
    drag_select(page, building, container="compare-text")
    expect(page.locator("#compare-picked")).to_have_text(building)
    page.get_by_label("Relation").select_option(label="elaborates")
    page.get_by_label("Note (optional)").fill("Where the tunnel came out.")
    page.get_by_role("button", name="Link to the selected passage").click()

    # Back on the first passage, its thread open with the link.
    expect(page.locator("#messages")).to_contain_text("Linked to")
    link = Link.objects.select_related("target_annotation").get()
    target = link.target_annotation
    assert article.text[target.start : target.end] == building
    assert (target.document_id, target.author) == (article.pk, user)
    assert (link.source, link.relation.name) == (source, "elaborates")
    outgoing = thread.locator(".links-out")
    expect(outgoing).to_contain_text(building)
    expect(outgoing).to_contain_text("Where the tunnel came out.")

    # Follow it: the other document, the new passage highlighted, its thread
    # listing where it is linked from.
    outgoing.get_by_role("link", name=f"“{building}”").click()
    expect(page.get_by_role("heading", name=article.title, level=1)).to_be_visible()
    expect(mark_of(page, target.pk)).to_have_text(building)
    incoming = thread.locator(".links-in")
    expect(incoming).to_contain_text(tunnel)

    # And back again.
    incoming.get_by_role("link", name=f"“{tunnel}”").click()
    expect(page.get_by_role("heading", name=report.title, level=1)).to_be_visible()
    expect(thread.locator(".note").first).to_have_text("The official account.")


def test_a_curators_reason_reaches_the_author(new_context, sign_in):
    project = make_project(name="Curated")
    author = make_user("ava", project=project, role=Role.ANNOTATOR)
    curator = make_user("cyrus", project=project, role=Role.CURATOR)
    document = make_document(
        project=project, paragraphs=["The guards saw nothing that night."]
    )
    note = annotate(document, author, "saw nothing", body="Unlikely.")

    curating = new_context().new_page()
    sign_in(curating, curator)
    curating.goto(note.get_absolute_url())
    curating.locator("#thread").get_by_text("Decide", exact=True).click()
    form = curating.locator("#thread form.status-form")
    form.get_by_label("Status").select_option(label="Approved")
    form.get_by_label("Reason").fill("Matches the court record.")
    form.get_by_role("button", name="Record decision").click()
    expect(curating.locator("#thread .decision")).to_contain_text(
        "Matches the court record."
    )

    note.refresh_from_db()
    assert note.status == Status.APPROVED
    event = note.events.get(kind=EventKind.STATUS)
    assert (event.actor, event.reason) == (curator, "Matches the court record.")

    reading = new_context().new_page()
    sign_in(reading, author)
    reading.goto(note.get_absolute_url())
    decision = reading.locator("#thread .decision")
    expect(decision).to_contain_text("Approved")
    expect(decision).to_contain_text("cyrus")
    expect(decision.locator(".reason")).to_have_text("Matches the court record.")
    history = reading.locator("#thread .history")
    history.locator("summary").click()
    expect(history.get_by_role("listitem").last).to_contain_text(
        "cyrus: Status changed (submitted → approved) — “Matches the court record.”"
    )


def test_merged_tags_relabel_the_highlights(new_context, sign_in):
    project = make_project(name="Tagged")
    curator = make_user("cleo", project=project, role=Role.CURATOR)
    document = make_document(
        project=project, paragraphs=["The tunnel ran under the wall to a house."]
    )
    escape = annotation_services.get_or_create_tag(project=project, name="escape")
    flight = annotation_services.get_or_create_tag(project=project, name="flight")
    tunnel = annotate(document, curator, "tunnel", tags=[escape])
    house = annotate(document, curator, "a house", tags=[flight])

    page = new_context().new_page()
    sign_in(page, curator)
    page.goto(document.get_absolute_url())
    expect(mark_of(page, tunnel.pk)).to_have_attribute(
        "aria-label", "Open annotation: cleo (escape)"
    )

    page.goto(f"/p/{project.slug}/tags/manage/")
    page.get_by_label("Merge escape", exact=True).check()
    page.get_by_label("into the tag").fill("flight")
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.locator("#tags")).not_to_contain_text("escape")
    expect(page.locator("#tags")).to_contain_text("1 tag")

    page.goto(document.get_absolute_url())
    for annotation in (tunnel, house):
        expect(mark_of(page, annotation.pk)).to_have_attribute(
            "aria-label", "Open annotation: cleo (flight)"
        )
    mark_of(page, tunnel.pk).click()
    expect(page.locator("#thread .tag")).to_have_text(["flight"])
    assert list(tunnel.tags.values_list("name", flat=True)) == ["flight"]
    assert not Tag.objects.filter(project=project, name="escape").exists()


def _queue_notes(project, author):
    document = make_document(
        project=project,
        paragraphs=[
            "The tunnel was a mile long.",
            "The guards saw nothing that night.",
        ],
    )
    bodies = {
        "tunnel": "Check the **length** against the court record.",
        "a mile long": "Too *precise*?",
        "saw nothing": "\n".join(f"- point {i}" for i in range(1, 8)),
    }
    return [
        annotate(document, author, exact, body=body) for exact, body in bodies.items()
    ]


def test_reject_one_row_of_the_queue_with_its_own_reason_by_keyboard(page, sign_in):
    project = make_project(name="Queue")
    author = make_user("ava", project=project, role=Role.ANNOTATOR)
    curator = make_user("cyrus", project=project, role=Role.CURATOR)
    tunnel, mile, nothing = _queue_notes(project, author)

    sign_in(page, curator)
    page.goto(f"/p/{project.slug}/curation/")
    page.get_by_label("Reason, to reject or to ask for a revision").fill(
        "The shared box, not for this row."
    )
    row = page.locator(f"#q-{mile.pk}")
    # Notes read as text, not as Markdown source.
    expect(page.locator(f"#q-{tunnel.pk} .queue-note strong")).to_have_text("length")
    expect(row.locator(".queue-note em")).to_have_text("precise")
    expect(
        page.locator(f"#q-{nothing.pk}").get_by_role("link", name="more")
    ).to_be_visible()

    # To the row's "Reject or revise…", open it, and Reject with no reason.
    row.get_by_role("button", name="Approve “a mile long”").focus()
    page.keyboard.press("Tab")
    expect(row.locator("summary")).to_be_focused()
    page.keyboard.press("Enter")
    reason = row.get_by_label("Reason for “a mile long” (the author sees it)")
    expect(reason).to_be_visible()
    page.keyboard.press("Tab")
    expect(reason).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(row.get_by_role("button", name="Reject “a mile long”")).to_be_focused()
    page.keyboard.press("Enter")
    # Refused in the row, the reason asked for there, nothing decided.
    expect(row.get_by_role("alert")).to_have_text(
        "Say why: the author sees the reason in the thread."
    )
    expect(reason).to_be_focused()
    assert not mile.events.filter(kind=EventKind.STATUS).exists()
    assert _blocking_violations(page) == []

    page.keyboard.type("Not in the court record.")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(row.get_by_role("button", name="Reject “a mile long”")).to_be_focused()
    page.keyboard.press("Enter")
    decided = row.get_by_role("status")
    expect(decided).to_have_text("Rejected: decided just now on “a mile long”")
    expect(decided).to_be_focused()

    mile.refresh_from_db()
    assert mile.status == Status.REJECTED
    event = mile.events.get(kind=EventKind.STATUS)
    assert (event.actor, event.reason) == (curator, "Not in the court record.")
    for other in (tunnel, nothing):
        other.refresh_from_db()
        assert other.status == Status.SUBMITTED
    # The shared box kept what was typed in it, unused.
    expect(
        page.get_by_label("Reason, to reject or to ask for a revision")
    ).to_have_value("The shared box, not for this row.")


def test_curation_queue_fits_a_phone(new_context, sign_in):
    project = make_project(name="A project with a rather long name for a phone")
    author = make_user("ava", project=project, role=Role.ANNOTATOR)
    curator = make_user("cyrus", project=project, role=Role.CURATOR)
    notes = _queue_notes(project, author)
    page = new_context(viewport={"width": 390, "height": 800}).new_page()
    sign_in(page, curator)
    page.goto(f"/p/{project.slug}/curation/")
    row = page.locator(f"#q-{notes[0].pk}")
    row.locator("summary").click()
    expect(row.get_by_label("Reason for “tunnel” (the author sees it)")).to_be_visible()
    queue = page.locator("#queue")
    overflow = queue.evaluate(
        "q => [q.scrollWidth - q.clientWidth, q.getBoundingClientRect().right]"
    )
    assert overflow[0] <= 0 and overflow[1] <= 390, overflow
    box = row.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390


LONG_TITLES = [
    "A very long title of a report on the tunnel under the prison wall",
    "WHAT THE GUARDS SAW AND DID NOT SEE ON THE NIGHT OF THE ESCAPE",
    "Farmland, a hastily constructed building, and a mile of tunnel",
]


def test_open_a_document_from_the_links_picture(page, sign_in):
    project = make_project(name="Linked")
    user = make_user("lina", project=project, role=Role.VIEWER)
    documents = [
        make_document(project=project, title=title, paragraphs=[f"Text of {title}."])
        for title in LONG_TITLES
    ]
    notes = [annotate(document, user, "Text") for document in documents]
    supports = RelationType.objects.offered_in(project).get(name="supports")
    contradicts = RelationType.objects.offered_in(project).get(name="contradicts")
    for a, b, relation in [(0, 1, supports), (1, 2, contradicts), (2, 0, supports)]:
        services.create_link(
            source=notes[a], author=user, relation=relation, target_annotation=notes[b]
        )
    services.create_link(
        source=notes[0],
        author=user,
        relation=RelationType.objects.offered_in(project).get(name="cites"),
        target_url="https://example.org/court-record",
        target_title="The court record of the escape, as published by the state",
    )

    sign_in(page, user)
    page.goto(f"/p/{project.slug}/links/")
    picture = page.locator("svg.link-graph-picture")
    # Every label whole inside the picture, as the browser lays it out.
    outside = picture.evaluate(
        """svg => {
          const box = svg.viewBox.baseVal;
          const out = (b) => b.x < box.x || b.y < box.y
            || b.x + b.width > box.x + box.width
            || b.y + b.height > box.y + box.height;
          return [...svg.querySelectorAll("text")]
            .filter((t) => out(t.getBBox())).map((t) => t.textContent);
        }"""
    )
    assert outside == []
    size = picture.locator("text").first.evaluate(
        "t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a"
    )
    assert size >= 13
    legend = page.locator(".graph-legend li")
    expect(legend).to_have_text(["cites", "contradicts", "supports"])
    expect(
        picture.get_by_role("link", name="Outside source: The court record")
    ).to_have_attribute("href", "https://example.org/court-record")

    assert _blocking_violations(page) == []

    # Click a document's node: its page opens.
    picture.get_by_role("link", name=LONG_TITLES[1]).locator("circle").click()
    expect(page.get_by_role("heading", name=LONG_TITLES[1], level=1)).to_be_visible()

    # Or reach one by keyboard.
    page.go_back()
    node = picture.get_by_role("link", name=LONG_TITLES[2])
    node.focus()
    expect(node).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=LONG_TITLES[2], level=1)).to_be_visible()
