"""Personal API tokens on the account page: made, seen once, used, revoked."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from corpus.models import ApiToken
from corpus.services import tokens
from tests.factories import PASSWORD, make_user

PAGE = "corpus:api_tokens"


@pytest.fixture
def user(db):
    return make_user("token-owner")


def _made(html: str) -> str | None:
    found = re.search(r'id="new-token"[^>]*value="([^"]+)"', html)
    return found.group(1) if found else None


def test_a_token_is_shown_once_and_kept_only_as_a_hash(client, user):
    client.force_login(user)
    response = client.post(reverse(PAGE), {"name": "Zotero sync", "password": PASSWORD})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    text = _made(response.content.decode())
    assert text.startswith("apx_")
    row = ApiToken.objects.get()
    assert row.name == "Zotero sync" and row.user == user
    assert text.split("_")[2] not in (row.key_hash, row.prefix)
    listed = client.get(reverse(PAGE)).content.decode()
    assert _made(listed) is None
    assert text not in listed
    assert f"apx_{row.prefix}…" in listed
    assert "never" in listed
    assert tokens.user_for(text) == user
    assert "ago" in client.get(reverse(PAGE)).content.decode()


def test_a_nameless_token_is_refused(client, user):
    client.force_login(user)
    response = client.post(reverse(PAGE), {"name": "  ", "password": PASSWORD})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_tokens_are_limited(client, user):
    for n in range(tokens.MAX_TOKENS):
        tokens.create_token(user=user, name=f"t{n}")
    client.force_login(user)
    response = client.post(reverse(PAGE), {"name": "one more", "password": PASSWORD})
    assert response.status_code == 400
    assert "revoke one" in response.content.decode()
    assert ApiToken.objects.count() == tokens.MAX_TOKENS


def test_revoked_tokens_stop_working(client, user):
    token, text = tokens.create_token(user=user, name="notebook")
    client.force_login(user)
    url = reverse("corpus:api_token_revoke", args=[token.pk])
    assert client.post(url).status_code == 302
    assert tokens.user_for(text) is None
    assert "revoked" in client.get(reverse(PAGE)).content.decode()


def test_nobody_else_sees_or_revokes_a_token(client, user):
    token, text = tokens.create_token(user=user, name="private")
    other = make_user("someone-else")
    client.force_login(other)
    assert "private" not in client.get(reverse(PAGE)).content.decode()
    url = reverse("corpus:api_token_revoke", args=[token.pk])
    assert client.post(url).status_code == 404
    assert tokens.user_for(text) == user


def test_strangers_are_sent_to_sign_in(client, user):
    assert client.get(reverse(PAGE)).status_code == 302
    token, _text = tokens.create_token(user=user, name="x")
    response = client.post(reverse("corpus:api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is None


def test_a_wrong_secret_with_a_right_prefix_is_refused(user):
    _token, text = tokens.create_token(user=user, name="x")
    prefix = text.split("_")[1]
    assert tokens.user_for(f"apx_{prefix}_wrong") is None


def test_a_token_needs_the_password_again(client, user):
    """A session left open is not enough to mint lasting access."""
    client.force_login(user)
    response = client.post(reverse(PAGE), {"name": "stolen", "password": "guess"})
    assert response.status_code == 400
    assert "not your password" in response.content.decode()
    assert not ApiToken.objects.exists()
