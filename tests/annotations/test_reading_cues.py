"""What the reading view tells its reader (issue 9): how to annotate or why one
cannot, a highlight's colour from its tags, the start of each note in the
margin, a highlight that has no note, the curation form folded, and the author
of a note colleagues cannot see yet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from annotations import margin, services
from annotations.models import Status, Tag, Visibility
from annotations.services.tags import PALETTE
from annotations.styles import (
    DEPTH_SHARES,
    INK,
    MIN_CONTRAST,
    NEUTRAL,
    contrast,
    highlight_tints,
)
from corpus.models import Project
from tests.conftest import HX
from tests.factories import make_annotation, make_document

APP_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"


@pytest.fixture
def doc(project):
    return make_document(
        project=project,
        paragraphs=["The tunnel was a mile long.", "Guzmán escaped twice."],
    )


def _page(client, doc, **params) -> str:
    return client.get(doc.get_absolute_url(), params).content.decode()


def _thread(client, annotation) -> str:
    url = reverse(
        "annotations:annotation_detail",
        args=[annotation.document.project.slug, annotation.pk],
    )
    return client.get(url, headers=HX).content.decode()


# Colours -----------------------------------------------------------------------


@pytest.mark.parametrize("colour", [*PALETTE, NEUTRAL, "#000000", "#1d1f24"])
def test_highlight_tints_keep_the_text_readable_and_darken_with_depth(colour):
    tints = highlight_tints(colour)
    assert len(tints) == len(DEPTH_SHARES)
    for tint in tints:
        assert re.fullmatch(r"#[0-9a-f]{6}", tint)
        assert contrast(tint, INK) >= MIN_CONTRAST
    ratios = [contrast(tint, "#ffffff") for tint in tints]
    assert ratios == sorted(ratios), "deeper overlaps are no lighter"
    assert ratios[0] > 1, "the shallowest tint is not white"


def test_contrast_is_wcags():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_untagged_highlights_use_the_neutral_tints_in_the_stylesheet():
    css = APP_CSS.read_text()
    for depth, tint in enumerate(highlight_tints(NEUTRAL), start=1):
        assert f"var(--hl{depth}, {tint})" in css


def test_the_tag_stylesheet_gives_each_tag_its_highlight_tints(client, doc, members):
    tag = services.get_or_create_tag(project=doc.project, name="evidence")
    Tag.objects.filter(pk=tag.pk).update(colour="#0072b2")
    client.force_login(members["viewer"])
    css = client.get(
        reverse("annotations:tag_colours", args=[doc.project.slug])
    ).content.decode()
    tints = highlight_tints("#0072b2")
    assert f".tag-colour-{tag.pk} {{ --tag: #0072b2; }}" in css
    assert (
        f".tc-{tag.pk} {{ --hl1: {tints[0]}; --hl2: {tints[1]}; "
        f"--hl3: {tints[2]}; --hl4: {tints[3]}; }}"
    ) in css


def test_a_highlight_takes_the_colour_of_its_first_tag_by_name(client, doc, members):
    author = members["annotator"]
    tagged = make_annotation(doc, author, "tunnel", tags=["zebra", "Alpha", "beta"])
    plain = make_annotation(doc, author, "escaped")
    alpha = Tag.objects.get(name="Alpha")
    client.force_login(author)

    page = _page(client, doc)

    assert f'class="hl d1 tc-{alpha.pk}" data-ids="{tagged.pk}"' in page
    assert f'class="hl d1" data-ids="{plain.pk}"' in page


def test_an_overlap_takes_the_colour_of_the_first_annotation_made_there(
    client, doc, members
):
    author = members["annotator"]
    first = make_annotation(doc, author, "tunnel was", tags=["first"])
    second = make_annotation(doc, author, "was a", tags=["second"])
    bare = make_annotation(doc, author, "mile")  # no tag, made before the next
    make_annotation(doc, author, "a mile long", tags=["third"])
    client.force_login(author)

    page = _page(client, doc)

    def segment(text: str) -> tuple[str, list[str]]:
        found = re.search(
            rf'<mark class="([^"]*)" data-ids="([^"]*)"[^>]*>{text}</', page
        )
        return found.group(1), found.group(2).split()

    colour = Tag.objects.get(name="first").pk
    assert segment("was") == (f"hl d2 tc-{colour}", [str(first.pk), str(second.pk)])
    assert segment("mile")[0] == "hl d2"  # the untagged highlight came first
    third = Tag.objects.get(name="third").pk
    assert segment(" long")[0] == f"hl d1 tc-{third}"
    assert str(bare.pk) in segment("mile")[1]


def test_redrawn_blocks_carry_the_colour_too(client, doc, members):
    client.force_login(members["annotator"])
    url = reverse("annotations:annotation_create", args=[doc.project.slug, doc.pk])
    start = doc.text.index("mile")
    html = client.post(
        url,
        {
            "sb": 0,
            "so": start,
            "eb": 0,
            "eo": start + 4,
            "exact": "mile",
            "tags": "distance",
            "visibility": "project",
        },
        headers=HX,
    ).content.decode()
    tag = Tag.objects.get(name="distance")
    assert f'<mark class="hl d1 tc-{tag.pk}" data-ids=' in html


# The thread and the margin -----------------------------------------------------


def test_a_highlight_without_a_note_says_so(client, doc, members):
    author = members["annotator"]
    bare = make_annotation(doc, author, "tunnel")
    noted = make_annotation(doc, author, "mile", body="How long?")
    client.force_login(author)

    bare_thread = _thread(client, bare)
    assert "Highlight by annotator-user" in bare_thread
    assert "Note by" not in bare_thread
    assert 'class="note"' not in bare_thread
    assert "Note by annotator-user" in _thread(client, noted)
    margin = _page(client, doc)
    item = margin[margin.index(f'id="m-{bare.pk}"') :]
    assert '<span class="kind">(highlight)</span>' in item[: item.index("</li>")]


def test_the_margin_shows_the_start_of_each_note(client, doc, members):
    author = members["annotator"]
    short = make_annotation(doc, author, "tunnel", body="A *short* note.")
    long_body = "Word " * 100 + "\n\nA second paragraph."
    long = make_annotation(doc, author, "mile", body=long_body)
    client.force_login(members["viewer"])

    page = _page(client, doc)

    def item(annotation) -> str:
        html = page[page.index(f'id="m-{annotation.pk}"') :]
        return html[: html.index("</li>")]

    assert '<div class="margin-note"><p>A <em>short</em> note.</p>' in item(short)
    shown = re.search(r'<div class="margin-note">(.*?)</div>', item(long), re.S)
    text = re.sub(r"<[^>]+>", "", shown.group(1)).strip()
    assert text.endswith("Word …")
    assert len(text) <= margin.EXCERPT_CHARS + 2
    assert "second paragraph" not in text


def test_note_excerpt_cuts_at_a_word_and_is_sanitised():
    assert margin.note_excerpt("") == ""
    assert margin.note_excerpt("  \n ") == ""
    assert margin.note_excerpt("One.\r\n\r\nTwo.") == "<p>One. …</p>\n"
    assert "<script" not in margin.note_excerpt("<script>alert(1)</script>")
    unbroken = "x" * 1000
    assert margin.note_excerpt(unbroken) == f"<p>{'x' * margin.EXCERPT_CHARS} …</p>\n"


def test_the_margin_costs_no_more_queries_with_long_notes(client, doc, members):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from corpus import bodycache

    author = members["annotator"]
    make_annotation(doc, author, "tunnel", body="short")
    client.force_login(author)
    bodycache.clear()
    with CaptureQueriesContext(connection) as few:
        client.get(doc.get_absolute_url())
    for word in ("mile", "long", "escaped", "twice"):
        make_annotation(doc, author, word, body="**Long** note. " * 200)
    bodycache.clear()
    with CaptureQueriesContext(connection) as many:
        client.get(doc.get_absolute_url())
    assert len(many) == len(few)


def test_curators_find_the_decision_form_folded(client, doc, members):
    note = make_annotation(doc, members["annotator"], "tunnel", body="Hm.")
    client.force_login(members["curator"])

    html = _thread(client, note)

    assert f'<details class="decide" id="decide-{note.pk}">' in html
    assert "<summary>Decide</summary>" in html
    assert html.index("<summary>Decide</summary>") < html.index('class="status-form"')
    client.force_login(members["annotator"])
    assert "Decide" not in _thread(client, note)


def test_a_refused_decision_shows_its_form_open(client, doc, members):
    note = make_annotation(doc, members["annotator"], "tunnel", body="Hm.")
    client.force_login(members["curator"])
    url = reverse("annotations:annotation_status", args=[doc.project.slug, note.pk])

    response = client.post(url, {"status": "rejected", "reason": ""}, headers=HX)

    assert response.status_code == 400
    assert f'<details class="decide" id="decide-{note.pk}" open>' in (
        response.content.decode()
    )


# Pre-moderation ----------------------------------------------------------------

WAITING = "Only you and the curators can see this until it is approved."


@pytest.fixture
def premoderated(doc):
    Project.objects.filter(pk=doc.project_id).update(premoderation=True)
    doc.project.refresh_from_db()
    return doc


def test_the_author_is_told_colleagues_cannot_see_it_yet(client, premoderated, members):
    author = members["annotator"]
    note = make_annotation(premoderated, author, "tunnel", body="Mine.")
    client.force_login(author)

    thread = _thread(client, note)
    status = thread[thread.index(f'id="status-of-{note.pk}"') :]
    assert WAITING in status[: status.index("</span>")]
    page = _page(client, premoderated)
    item = page[page.index(f'id="m-{note.pk}"') :]
    assert WAITING in item[: item.index("</li>")]

    # A curator sees the note, without the message meant for its author.
    client.force_login(members["curator"])
    assert WAITING not in _thread(client, note)
    assert WAITING not in _page(client, premoderated)


def test_no_waiting_message_once_approved_private_or_without_premoderation(
    client, doc, members
):
    author = members["annotator"]
    open_project = make_annotation(doc, author, "tunnel", body="Seen by all.")
    client.force_login(author)
    assert WAITING not in _thread(client, open_project)

    Project.objects.filter(pk=doc.project_id).update(premoderation=True)
    private = make_annotation(
        doc, author, "mile", body="Mine.", visibility=Visibility.PRIVATE
    )
    approved = make_annotation(doc, author, "escaped", body="Fine.")
    services.set_status(
        annotation=approved, by=members["curator"], status=Status.APPROVED
    )
    page = _page(client, doc)
    for annotation in (private, approved):
        assert WAITING not in _thread(client, annotation)
        item = page[page.index(f'id="m-{annotation.pk}"') :]
        assert WAITING not in item[: item.index("</li>")]


def test_the_poll_updates_the_waiting_message_with_the_status(
    client, premoderated, members
):
    from tests.factories import reader_since

    author = members["annotator"]
    note = make_annotation(premoderated, author, "tunnel", body="Mine.")
    client.force_login(author)
    since = reader_since(client, premoderated)
    services.set_status(annotation=note, by=members["curator"], status=Status.APPROVED)
    url = reverse(
        "annotations:annotation_changes_hx",
        args=[premoderated.project.slug, premoderated.pk],
    )
    html = client.get(url, {"since": since, "thread": note.pk}, headers=HX)
    html = html.content.decode()
    status = html[html.index(f'id="status-of-{note.pk}" hx-swap-oob="true"') :]
    assert status[: status.index("</span>")].endswith(">Approved")


# The hint ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "curator", "annotator"])
def test_annotators_are_told_how_to_annotate(client, doc, members, role):
    client.force_login(members[role])
    page = _page(client, doc)
    assert 'id="doc-text-hint"' in page
    assert "Select a passage to annotate, highlight or tag it" in page
    assert 'aria-describedby="doc-text-hint"' in page


def test_viewers_are_told_why_they_cannot_annotate(client, doc, members):
    client.force_login(members["viewer"])
    page = _page(client, doc)
    assert "Select a passage" not in page
    assert "As a viewer in this project you can read but not annotate" in page


def test_an_archived_project_says_it_is_read_only(client, doc, members):
    from django.utils import timezone

    Project.objects.filter(pk=doc.project_id).update(archived_at=timezone.now())
    client.force_login(members["owner"])
    page = _page(client, doc)
    assert "This project is archived" in page
    assert "Select a passage" not in page
