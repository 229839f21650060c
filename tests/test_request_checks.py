"""What every request goes through: NUL refused, a failing write undone."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path, reverse

from annotations.models import Tag
from corpus.models import Project
from tests.factories import make_document


def _write_then_fail(request):
    Project.objects.create(name="Half written", slug="half-written")
    raise RuntimeError("the answer could not be built")


def _write(request):
    Project.objects.create(name="Whole", slug="whole")
    return HttpResponse("ok")


urlpatterns = [
    path("test/write-then-fail/", _write_then_fail),
    path("test/write/", _write),
    path("", include("config.urls")),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.test_request_checks")
def test_a_post_that_fails_after_writing_leaves_nothing():
    client = Client(raise_request_exception=False)
    assert client.post("/test/write-then-fail/").status_code == 500
    assert not Project.objects.filter(slug="half-written").exists()
    assert client.post("/test/write/").status_code == 200
    assert Project.objects.filter(slug="whole").exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_nul_anywhere_in_the_request_is_refused(client, project, members, method):
    document = make_document(project=project, paragraphs=["The tunnel was long."])
    client.force_login(members["annotator"])
    create = reverse("annotations:annotation_create", args=[project.slug, document.pk])
    data = {
        "sb": 0,
        "so": 4,
        "eb": 0,
        "eo": 10,
        "exact": "tunnel",
        "visibility": "project",
        "tags": "ok, bad\x00tag",
    }
    if method == "get":
        response = client.get(document.get_absolute_url(), {"tag": "a\x00"})
    else:
        response = client.post(create, data)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    assert not Tag.objects.exists()
    key = client.get(document.get_absolute_url(), {"ta\x00g": "x"})
    assert key.status_code == 400
