"""Pre-moderation and the approved-only reading mode."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, Reply
from tests.factories import make_annotation, make_document


@pytest.fixture
def moderated(project):
    project.premoderation = True
    project.save()
    return project


@pytest.fixture
def doc(moderated):
    return make_document(project=moderated, paragraphs=["The tunnel was a mile long."])


def _page(client, user, doc, **params) -> str:
    client.force_login(user)
    return client.get(doc.get_absolute_url(), params).content.decode()


def test_unapproved_annotation_is_seen_by_author_and_moderators_only(
    client, doc, members
):
    note = make_annotation(doc, members["annotator"], "tunnel")
    mark = f'data-ids="{note.pk}"'
    assert mark in _page(client, members["annotator"], doc)
    assert mark in _page(client, members["curator"], doc)
    assert mark in _page(client, members["owner"], doc)
    assert mark not in _page(client, members["viewer"], doc)
    assert not Annotation.objects.visible_to(members["viewer"]).exists()
    url = reverse("annotations:annotation_detail", args=[doc.project.slug, note.pk])
    client.force_login(members["viewer"])
    assert client.get(url).status_code == 404


def test_approval_makes_it_visible_to_all_members(client, doc, members):
    note = make_annotation(doc, members["annotator"], "tunnel")
    services.create_reply(annotation=note, author=members["curator"], body="Checked.")
    assert not Reply.objects.visible_to(members["viewer"]).exists()
    services.set_status(annotation=note, by=members["curator"], status="approved")
    assert f'data-ids="{note.pk}"' in _page(client, members["viewer"], doc)
    assert Reply.objects.visible_to(members["viewer"]).count() == 1


def test_without_premoderation_everyone_sees_new_annotations(client, project, members):
    doc = make_document(project=project, paragraphs=["The tunnel was a mile long."])
    note = make_annotation(doc, members["annotator"], "tunnel")
    assert f'data-ids="{note.pk}"' in _page(client, members["viewer"], doc)


def test_owner_turns_premoderation_on_in_the_settings(client, project, members):
    client.force_login(members["owner"])
    client.post(
        reverse("corpus:project_settings", args=[project.slug]),
        {"name": project.name, "description": "", "premoderation": "on", "version": 1},
    )
    project.refresh_from_db()
    assert project.premoderation


def test_approved_only_mode_shows_what_the_group_publishes(client, project, members):
    doc = make_document(project=project, paragraphs=["The tunnel was a mile long."])
    approved = make_annotation(doc, members["annotator"], "tunnel")
    services.set_status(annotation=approved, by=members["owner"], status="approved")
    pending = make_annotation(doc, members["owner"], "mile")
    everything = _page(client, members["owner"], doc)
    assert f'data-ids="{pending.pk}"' in everything
    published = _page(client, members["owner"], doc, approved="on")
    assert f'data-ids="{approved.pk}"' in published
    assert f'data-ids="{pending.pk}"' not in published
    assert f'id="m-{pending.pk}"' not in published
    assert '<strong aria-current="true">approved only</strong>' in published
