"""Admin screens for annotations: private ones stay private, lists stay cheap."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services
from annotations.models import Visibility
from tests.factories import make_annotation, make_document, make_user


@pytest.fixture
def doc(project):
    return make_document(project=project, paragraphs=["Alpha beta gamma delta."])


def _annotate(doc, author, exact, **kwargs):
    return make_annotation(doc, author, exact, **kwargs)


def test_admin_list_hides_other_users_private_annotations(client, doc, members):
    _annotate(doc, members["annotator"], "Alpha", visibility=Visibility.PRIVATE)
    _annotate(doc, members["annotator"], "gamma")
    admin = make_user("admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    html = client.get(
        reverse("admin:annotations_annotation_changelist")
    ).content.decode()
    assert "“gamma”" in html
    assert "“Alpha”" not in html


def test_admin_lists_load_with_bounded_queries(client, doc, members):
    admin = make_user("admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    for name in ("annotation", "tag", "reply"):
        assert (
            client.get(reverse(f"admin:annotations_{name}_changelist")).status_code
            == 200
        )
    url = reverse("admin:annotations_annotation_changelist")
    _annotate(doc, members["owner"], "beta")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for word in ("Alpha", "gamma", "delta"):
        note = _annotate(doc, members["owner"], word)
        services.create_reply(annotation=note, author=members["owner"], body="ok")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_history_is_read_only_in_the_admin(client, doc, members):
    note = _annotate(doc, members["owner"], "beta")
    admin = make_user("admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert (
        client.get(reverse("admin:annotations_annotationevent_changelist")).status_code
        == 200
    )
    event = note.events.get()
    change = reverse("admin:annotations_annotationevent_change", args=[event.pk])
    response = client.post(change, {"reason": "rewritten"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.reason == ""
    html = client.get(
        reverse("admin:annotations_annotation_change", args=[note.pk])
    ).content.decode()
    assert "Created" in html
