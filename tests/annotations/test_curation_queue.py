"""The curation queue: filters, inline and bulk decisions, roles, cost."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services
from annotations.models import AnnotationEvent, EventKind, Status
from corpus.roles import Role
from tests.factories import make_annotation, make_document

HX = {"HX-Request": "true"}
WORDS = ["tunnel", "mile", "long", "escape", "prison", "night"]


@pytest.fixture
def notes(project, members):
    doc = make_document(
        project=project,
        paragraphs=["The tunnel was a mile long.", "The escape from prison at night."],
    )
    return [make_annotation(doc, members["annotator"], word) for word in WORDS]


def _queue(project):
    return reverse("annotations:curation_queue", args=[project.slug])


def _decide(project):
    return reverse("annotations:curation_decide", args=[project.slug])


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*(role.value for role in Role), "outsider"])
def test_queue_and_decisions_are_for_curators_and_owners(
    client, project, members, notes, who, htmx
):
    client.force_login(members[who])
    headers = HX if htmx else {}
    allowed = who in {"owner", "curator"}
    refused = 404 if who == "outsider" else 403
    response = client.get(_queue(project), headers=headers)
    assert response.status_code == (200 if allowed else refused)
    response = client.post(
        _decide(project), {"decide": f"{notes[0].pk} approved"}, headers=headers
    )
    assert response.status_code == ((200 if htmx else 302) if allowed else refused)
    notes[0].refresh_from_db()
    assert notes[0].status == (Status.APPROVED if allowed else Status.SUBMITTED)


def test_queue_lists_submitted_by_default_and_filters(client, project, members, notes):
    services.set_status(annotation=notes[0], by=members["owner"], status="approved")
    client.force_login(members["curator"])
    html = client.get(_queue(project)).content.decode()
    assert f'id="q-{notes[0].pk}"' not in html
    assert f'id="q-{notes[1].pk}"' in html
    approved = client.get(_queue(project), {"status": "approved"}).content.decode()
    assert f'id="q-{notes[0].pk}"' in approved
    assert f'id="q-{notes[1].pk}"' not in approved
    by_author = client.get(
        _queue(project), {"status": "", "author": "nobody"}
    ).content.decode()
    assert "Nothing to review" in by_author


def test_bulk_decision_applies_one_reason_to_all_selected(
    client, project, members, notes
):
    client.force_login(members["curator"])
    chosen = [notes[1].pk, notes[2].pk, notes[3].pk]
    response = client.post(
        _decide(project),
        {"ids": chosen, "status": "needs_revision", "reason": "Add sources."},
        headers=HX,
    )
    assert response.status_code == 200
    events = AnnotationEvent.objects.filter(kind=EventKind.STATUS)
    assert sorted(events.values_list("annotation_id", flat=True)) == sorted(chosen)
    assert set(events.values_list("reason", flat=True)) == {"Add sources."}
    for note in notes:
        note.refresh_from_db()
    assert [n.status for n in notes] == [
        "submitted",
        "needs_revision",
        "needs_revision",
        "needs_revision",
        "submitted",
        "submitted",
    ]


def test_bulk_reject_without_reason_changes_nothing(client, project, members, notes):
    client.force_login(members["owner"])
    response = client.post(
        _decide(project),
        {"ids": [notes[0].pk, notes[1].pk], "status": "rejected", "reason": ""},
        headers=HX,
    )
    assert response.status_code == 400
    assert "Say why" in response.content.decode()
    assert not AnnotationEvent.objects.filter(kind=EventKind.STATUS).exists()


def test_nothing_selected_is_a_clear_error(client, project, members, notes):
    client.force_login(members["owner"])
    response = client.post(_decide(project), {"status": "approved"}, headers=HX)
    assert response.status_code == 400
    assert "Select at least one annotation" in response.content.decode()


def test_queue_query_count_does_not_grow(client, project, members, notes):
    client.force_login(members["curator"])
    with CaptureQueriesContext(connection) as few:
        client.get(_queue(project))
    doc = notes[0].document
    for _ in range(3):
        for word in WORDS:
            note = make_annotation(doc, members["owner"], word)
            note.tags.add(services.get_or_create_tag(project=project, name=word))
            services.create_reply(annotation=note, author=members["owner"], body="ok")
    with CaptureQueriesContext(connection) as many:
        client.get(_queue(project))
    assert len(many) == len(few)


def test_later_pages_keep_the_default_and_chosen_filters(
    client, project, members, notes, monkeypatch
):
    from annotations import curation

    monkeypatch.setattr(curation, "QUEUE_PAGE_SIZE", 2)
    for note in notes[:2]:
        services.set_status(annotation=note, by=members["owner"], status="approved")
    client.force_login(members["curator"])
    # Four submitted: two pages of the default queue, approved ones on neither.
    first = client.get(_queue(project)).content.decode()
    assert "Page 1 of 2" in first and 'page=2"' in first
    second = client.get(_queue(project), {"page": 2}, headers=HX).content.decode()
    assert "Page 2 of 2" in second
    assert f'id="q-{notes[0].pk}"' not in second
    assert second.count('id="q-') == 2
    # A chosen filter travels with the page links.
    any_status = client.get(_queue(project), {"status": ""}).content.decode()
    assert "Page 1 of 3" in any_status and "?status=&amp;page=2" in any_status
