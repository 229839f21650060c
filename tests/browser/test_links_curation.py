"""Linking sources and curating, in the browser, as a research group does it:
a passage in one seed report linked to a passage in another chosen side by
side; a curator's decision read by the author; two tags merged."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from annotations import services as annotation_services
from annotations.models import Annotation, EventKind, Link, Status, Tag
from corpus.roles import Role
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
