"""Curation with a record: decisions with reasons, revisions, an unedited history."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, AnnotationEvent, EventKind, Status
from corpus.roles import Role
from tests.conftest import HX
from tests.factories import make_annotation, make_document, reader_since


@pytest.fixture
def doc(project):
    return make_document(project=project, paragraphs=["The tunnel was a mile long."])


@pytest.fixture
def note(doc, members):
    return make_annotation(doc, members["annotator"], "tunnel", body="Dug by hand?")


def _status_url(note):
    return reverse("annotations:annotation_status", args=[note.project.slug, note.pk])


def test_rejecting_needs_a_reason_and_changes_nothing_without_one(note, members):
    with pytest.raises(ValidationError, match="Say why"):
        services.set_status(annotation=note, by=members["curator"], status="rejected")
    note.refresh_from_db()
    assert note.status == Status.SUBMITTED
    assert not AnnotationEvent.objects.filter(kind=EventKind.STATUS).exists()


def test_decision_is_recorded_with_who_before_after_and_reason(note, members):
    services.set_status(
        annotation=note,
        by=members["curator"],
        status="needs_revision",
        reason="Cite the source of the tunnel's length.",
    )
    event = AnnotationEvent.objects.get(kind=EventKind.STATUS)
    assert (event.actor, event.before, event.after) == (
        members["curator"],
        "submitted",
        "needs_revision",
    )
    assert event.reason == "Cite the source of the tunnel's length."
    assert Annotation.objects.get(pk=note.pk).status == Status.NEEDS_REVISION


def test_the_authors_edit_is_a_revision_back_to_submitted(note, members):
    services.set_status(
        annotation=note, by=members["curator"], status="rejected", reason="Vague."
    )
    note.refresh_from_db()
    services.update_annotation(
        annotation=note,
        editor=members["annotator"],
        version=note.version,
        body="Dug by hand over a year (source: CRS).",
        tags=[],
        visibility="project",
    )
    note.refresh_from_db()
    assert note.status == Status.SUBMITTED
    kinds = list(
        AnnotationEvent.objects.filter(annotation=note).values_list("kind", "after")
    )
    assert kinds[0][0] == EventKind.CREATED
    assert (EventKind.NOTE, "Dug by hand over a year (source: CRS).") in kinds
    assert (EventKind.STATUS, "submitted") in kinds


def test_a_curators_edit_is_not_a_revision(note, members):
    services.set_status(
        annotation=note, by=members["owner"], status="rejected", reason="Off topic."
    )
    note.refresh_from_db()
    services.update_annotation(
        annotation=note,
        editor=members["curator"],
        version=note.version,
        body="Typo fixed.",
        tags=[],
        visibility="project",
    )
    note.refresh_from_db()
    assert note.status == Status.REJECTED


def test_history_is_never_edited(note):
    event = AnnotationEvent.objects.get(annotation=note)
    event.reason = "rewritten"
    with pytest.raises(ValueError, match="never edited"):
        event.save()


def test_deleting_is_recorded(note, members):
    services.delete_annotation(annotation=note, by=members["curator"])
    event = AnnotationEvent.objects.get(kind=EventKind.DELETED)
    assert event.actor == members["curator"]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*(role.value for role in Role), "outsider"])
def test_only_curators_and_owners_decide(client, note, members, who, htmx):
    client.force_login(members[who])
    response = client.post(
        _status_url(note),
        {"status": "approved", "reason": ""},
        headers=HX if htmx else {},
    )
    allowed = who in {"owner", "curator"}
    expected = (200 if htmx else 302) if allowed else 404 if who == "outsider" else 403
    assert response.status_code == expected
    note.refresh_from_db()
    assert note.status == (Status.APPROVED if allowed else Status.SUBMITTED)


def test_the_author_sees_the_decision_and_reason_in_the_thread(client, note, members):
    client.force_login(members["curator"])
    response = client.post(
        _status_url(note),
        {"status": "rejected", "reason": "No source <b>given</b>."},
        headers=HX,
    )
    assert response.status_code == 200
    client.force_login(members["annotator"])
    url = reverse("annotations:annotation_detail", args=[note.project.slug, note.pk])
    html = client.get(url, headers=HX).content.decode()
    assert "<strong>Rejected</strong> · curator-user" in html
    assert "No source &lt;b&gt;given&lt;/b&gt;." in html
    assert "Edit the note to revise it" in html
    assert "Record decision" not in html  # annotators do not decide
    assert "History (2)" in html


def test_a_decision_without_a_reason_is_refused_with_a_message(client, note, members):
    client.force_login(members["owner"])
    response = client.post(
        _status_url(note), {"status": "needs_revision", "reason": " "}, headers=HX
    )
    assert response.status_code == 400
    assert "Say why" in response.content.decode()
    note.refresh_from_db()
    assert note.status == Status.SUBMITTED


def test_an_unknown_status_is_refused(client, note, members):
    client.force_login(members["owner"])
    response = client.post(_status_url(note), {"status": "burnt"}, headers=HX)
    assert response.status_code == 400
    note.refresh_from_db()
    assert note.status == Status.SUBMITTED


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("who", [role.value for role in Role])
def test_the_decision_box_offers_every_status_wherever_the_thread_opens(
    client, note, members, who, htmx
):
    """The annotation's own URL opens the whole page with the thread in it; the
    curator's decision box there must be as complete as in the htmx panel."""
    client.force_login(members[who])
    url = reverse("annotations:annotation_detail", args=[note.project.slug, note.pk])
    response = client.get(url, headers=HX if htmx else {}, follow=True)
    html = response.content.decode()
    assert f'id="thread-{note.pk}"' in html
    if who in ("owner", "curator"):
        for label in ("Submitted", "Approved", "Rejected", "Needs revision"):
            assert f">{label}</option>" in html
        assert '<option value="submitted" selected>' in html
    else:
        assert 'class="status-form"' not in html


def test_an_open_thread_receives_the_decision_while_it_is_read(client, note, members):
    """The author has the thread open; a curator decides; the next poll brings
    the status, the decision with its reason and the history into the thread,
    leaving the reply form alone."""
    client.force_login(members["annotator"])
    since = reader_since(client, note.document)
    services.set_status(
        annotation=note,
        by=members["curator"],
        status=Status.NEEDS_REVISION,
        reason="Cite the <b>page</b>.",
    )
    client.force_login(members["annotator"])
    url = reverse(
        "annotations:annotation_changes_hx", args=[note.project.slug, note.document_id]
    )
    html = client.get(url, {"since": since, "thread": note.pk}, headers=HX)
    html = html.content.decode()
    assert (
        f'<span id="status-of-{note.pk}" hx-swap-oob="true">Needs revision</span>'
        in html
    )
    decision = html[html.index(f'id="decision-{note.pk}" hx-swap-oob="true"') :]
    assert "Cite the &lt;b&gt;page&lt;/b&gt;." in decision
    assert "Edit the note to revise it" in decision  # said to the author
    assert f'id="record-{note.pk}" hx-swap-oob="true"' in html
    assert "History (2)" in html
    assert "reply-form" not in html

    # A poll with another thread open (or none) leaves threads alone.
    other = client.get(url, {"since": since, "thread": note.pk + 1}, headers=HX)
    assert f"decision-{note.pk}" not in other.content.decode()
