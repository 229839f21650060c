"""/healthz/ and /: what the proxy and the monitoring ask before sending traffic."""

from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from corpus.roles import Role
from tests.factories import make_project, make_user


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_fails(client):
    # The database driver's failure is the boundary: the connection refuses.
    with mock.patch.object(
        connection, "cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down"}


@pytest.mark.django_db
def test_healthz_answers_plain_http_when_other_pages_redirect_to_https(
    client, settings
):
    # A proxy's health check often talks plain HTTP to the app server.
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(reverse("login")).status_code == 301
    assert client.get(reverse("healthz")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_answers_get_and_head_only(client, method):
    response = getattr(client, method)(reverse("healthz"))

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "head"])
def test_healthz_without_the_slash_answers_directly(client, settings, method):
    # Monitors often do not follow redirects; plain HTTP included.
    settings.SECURE_SSL_REDIRECT = True

    response = getattr(client, method)("/healthz")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    if method == "get":
        assert response.json() == {"status": "ok", "database": "up"}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "head"])
def test_the_root_answers_anonymous_visitors_directly(client, method):
    response = getattr(client, method)("/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    if method == "get":
        html = response.content.decode()
        assert f'action="{reverse("login")}"' in html
        assert 'name="password"' in html


@pytest.mark.django_db
def test_the_root_shows_a_member_their_projects(client):
    project = make_project(name="Letters home")
    client.force_login(make_user("reader", project=project, role=Role.VIEWER))

    response = client.get("/")

    assert response.status_code == 200
    assert b"Your projects" in response.content
    assert b"Letters home" in response.content
    assert client.head("/").status_code == 200


@pytest.mark.django_db
def test_the_root_answers_get_and_head_only(client):
    assert client.post("/").status_code == 405
