"""Admin change forms carry the version and values they were loaded with: a stale
save is refused, nothing is stored, and the form comes back with the newer
values merged in, naming who changed what. Documents and projects here; the
annotation models in tests/annotations/test_admin_conflicts.py.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.urls import reverse

from corpus import services
from corpus.conflicts import EditConflict
from corpus.models import Document, Project
from corpus.roles import Role
from tests.corpus.test_admin_roles import form_data, staff_user
from tests.factories import make_document


def save_from_two_places(client, url, theirs, yours: dict):
    """Load the admin form, let `theirs()` save from elsewhere, then send the
    loaded form with `yours` changed. Returns (loaded data, the response)."""
    data = form_data(client.get(url))
    theirs()
    return data, client.post(url, data | yours)


def merged_value(response, name: str):
    return response.context["adminform"].form[name].value()


# Documents -------------------------------------------------------------------


def test_a_stale_document_edit_is_refused_and_shows_the_curators_change(
    client, project, members
):
    document = make_document(project=project, title="Old title", keywords=["a"])
    curator = members["curator"]
    client.force_login(staff_user(project, Role.OWNER))
    url = reverse("admin:corpus_document_change", args=[document.pk])
    loaded, response = save_from_two_places(
        client,
        url,
        lambda: services.update_document_metadata(
            document=Document.objects.get(pk=document.pk),
            version=1,
            editor=curator,
            keywords=["river", "trees"],
        ),
        {"title": ["New title"]},
    )
    assert loaded["version"] == ["1"]
    assert response.status_code == 200
    stored = Document.objects.get(pk=document.pk)
    assert (stored.title, stored.keywords, stored.version) == (
        "Old title",
        ["river", "trees"],
        2,
    )
    html = response.content.decode()
    assert "curator-user changed this while you were editing" in html
    assert "river, trees" in html
    # Their keywords, your title; loaded now at their version.
    assert merged_value(response, "keywords") == "river, trees"
    assert merged_value(response, "title") == "New title"
    again = form_data(response)
    assert again["version"] == ["2"]
    assert client.post(url, again).status_code == 302
    stored.refresh_from_db()
    assert (stored.title, stored.keywords, stored.version) == (
        "New title",
        ["river", "trees"],
        3,
    )
    assert stored.updated_by.username == "staff-owner"


def test_both_changing_a_document_field_keeps_yours_and_flags_it(
    client, project, members
):
    document = make_document(project=project, publisher="Old")
    client.force_login(staff_user(project, Role.CURATOR))
    url = reverse("admin:corpus_document_change", args=[document.pk])
    _, response = save_from_two_places(
        client,
        url,
        lambda: services.update_document_metadata(
            document=document,
            version=1,
            editor=members["owner"],
            publisher="Theirs",
            published_date=datetime.date(2024, 5, 1),
        ),
        {"publisher": ["Mine"]},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "owner-user changed this too, to “Theirs”" in html
    assert merged_value(response, "publisher") == "Mine"
    assert str(merged_value(response, "published_date")) == "2024-05-01"
    assert Document.objects.get(pk=document.pk).publisher == "Theirs"


def test_a_fresh_document_edit_saves_through_the_service(client, project):
    document = make_document(project=project, title="Old title")
    client.force_login(staff_user(project, Role.CURATOR))
    url = reverse("admin:corpus_document_change", args=[document.pk])
    data = form_data(client.get(url))
    response = client.post(url, data | {"authors": ["Ada, Grace"]})
    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.authors, document.version) == (["Ada", "Grace"], 2)


# Projects --------------------------------------------------------------------


def test_a_stale_project_edit_is_refused_and_shows_the_owners_change(
    client, project, members
):
    owner = members["owner"]
    client.force_login(staff_user(project, Role.OWNER))
    url = reverse("admin:corpus_project_change", args=[project.pk])
    loaded, response = save_from_two_places(
        client,
        url,
        lambda: services.update_project(
            project=Project.objects.get(pk=project.pk),
            version=1,
            editor=owner,
            description="Street trees of the city.",
        ),
        {"premoderation": ["on"]},
    )
    assert loaded["version"] == ["1"]
    assert response.status_code == 200
    stored = Project.objects.get(pk=project.pk)
    assert (stored.description, stored.premoderation, stored.version) == (
        "Street trees of the city.",
        False,
        2,
    )
    html = response.content.decode()
    assert "owner-user changed this while you were editing" in html
    assert "Street trees of the city." in html
    assert merged_value(response, "description") == "Street trees of the city."
    assert merged_value(response, "premoderation") is True
    assert client.post(url, form_data(response)).status_code == 302
    stored.refresh_from_db()
    assert (stored.description, stored.premoderation, stored.version) == (
        "Street trees of the city.",
        True,
        3,
    )


def test_a_project_edit_without_a_version_is_refused(client, project):
    client.force_login(staff_user(project, Role.OWNER))
    url = reverse("admin:corpus_project_change", args=[project.pk])
    data = form_data(client.get(url))
    del data["version"]
    response = client.post(url, data | {"name": ["Renamed"]})
    assert response.status_code == 200
    project.refresh_from_db()
    assert (project.name, project.version) != ("Renamed", 2)
    assert project.version == 1


# Saves that meet another at the same moment ----------------------------------


def test_a_save_that_keeps_meeting_newer_ones_is_refused_without_an_error(
    client, project, monkeypatch
):
    """Others save between the form's check and the service's lock, again and
    again: nothing is saved, and the page says so (no server error)."""

    def always_newer(*, project, **_fields):
        raise EditConflict(project)

    monkeypatch.setattr(services, "update_project", always_newer)
    client.force_login(staff_user(project, Role.OWNER))
    url = reverse("admin:corpus_project_change", args=[project.pk])
    data = form_data(client.get(url))
    response = client.post(url, data | {"name": ["Renamed"]}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "Nothing was saved: others were changing this" in response.content.decode()
    project.refresh_from_db()
    assert (project.name, project.version) != ("Renamed", 2)


def test_a_save_the_service_refuses_says_why(client, project, monkeypatch):
    def refuse(**_fields):
        raise ValidationError("The project is being archived.")

    monkeypatch.setattr(services, "update_project", refuse)
    client.force_login(staff_user(project, Role.OWNER))
    url = reverse("admin:corpus_project_change", args=[project.pk])
    data = form_data(client.get(url))
    response = client.post(url, data | {"name": ["Renamed"]}, follow=True)
    assert "Nothing was saved: The project is being archived." in (
        response.content.decode()
    )
