"""Django admin for projects, memberships and documents."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_document, make_user


@pytest.fixture
def admin_client(client, db):
    client.force_login(make_user("admin", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "model", ["project", "membership", "document", "pendingimport"]
)
def test_admin_changelists_load(admin_client, project, members, document, model):
    response = admin_client.get(reverse(f"admin:corpus_{model}_changelist"))
    assert response.status_code == 200


def test_document_admin_searches_and_filters(admin_client, project):
    make_document(project=project, title="Tunnel escape", keywords=["Prisons"])
    make_document(project=project, title="Extradition")
    url = reverse("admin:corpus_document_changelist")
    html = admin_client.get(url, {"q": "prisons"}).content.decode()
    assert "Tunnel escape" in html and "Extradition" not in html
    html = admin_client.get(url, {"format__exact": "plain"}).content.decode()
    assert "Tunnel escape" in html


def test_document_admin_shows_text_and_original_read_only(admin_client, project):
    document = make_document(project=project, paragraphs=["Verbatim <b>text</b>."])
    html = admin_client.get(
        reverse("admin:corpus_document_change", args=[document.pk])
    ).content.decode()
    assert "Verbatim &lt;b&gt;text&lt;/b&gt;." in html
    assert 'name="text"' not in html  # no editable text field
    assert 'name="title"' in html


def test_document_admin_list_query_count_is_bounded(admin_client, project):
    make_document(project=project)
    url = reverse("admin:corpus_document_changelist")
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for _ in range(15):
        make_document(project=project)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few)


def test_non_staff_member_cannot_use_the_admin(client, members):
    client.force_login(members["owner"])
    response = client.get(reverse("admin:corpus_document_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
