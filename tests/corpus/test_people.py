"""A person's page, where the W3C export's creator IRIs lead: seen by those
who share a project with them, 404 for anyone else."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from corpus.models import Project
from tests.factories import make_project, make_user


@pytest.mark.parametrize("who", ["owner", "curator", "annotator", "viewer"])
def test_members_of_a_shared_project_see_each_other(client, project, members, who):
    other = members["annotator"]
    other.first_name, other.last_name = "Ann", "Otator"
    other.save()
    client.force_login(members[who])
    url = reverse("corpus:person", args=[other.pk])
    assert url == f"/people/{other.pk}"
    page = client.get(url)
    assert page.status_code == 200
    assert "Ann Otator" in page.text and "annotator-user" in page.text
    assert project.get_absolute_url() in page.text
    data = client.get(url, headers={"Accept": "application/ld+json"})
    assert data["Content-Type"] == "application/ld+json"
    assert json.loads(data.content) == {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": f"http://testserver{url}",
        "type": "Person",
        "name": "Ann Otator",
        "nickname": "annotator-user",
    }
    assert "Accept" in page["Vary"]


def test_anyone_else_finds_no_one(client, project, members):
    url = reverse("corpus:person", args=[members["annotator"].pk])
    client.force_login(members["outsider"])
    assert client.get(url).status_code == 404
    assert client.get(reverse("corpus:person", args=[999_999])).status_code == 404
    # A project in the trash is shared no more.
    elsewhere = make_project()
    make_user("lonely", project=elsewhere)
    Project.objects.filter(pk=project.pk).update(trashed_at=timezone.now())
    client.force_login(members["owner"])
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_one_sees_oneself(client, members):
    client.force_login(members["outsider"])
    page = client.get(reverse("corpus:person", args=[members["outsider"].pk]))
    assert page.status_code == 200
    assert "(you)" in page.text
