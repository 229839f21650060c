"""Invitations by email (issue 9): owners invite, send again and revoke on the
Members page; the invited person opens the link and joins, with a new account
or the one they are signed in with. Each link works once, for a week."""

from __future__ import annotations

import datetime
import logging
import re
import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from corpus import services
from corpus.models import Invitation, Membership, Project
from corpus.roles import Role
from corpus.services import invitations
from corpus.views.invitations import SESSION_KEY
from tests.conftest import ROLES, STAFF_ROLES
from tests.corpus.test_admin_roles import is_hidden, staff_user
from tests.factories import PASSWORD, make_project, make_user
from tests.test_races import THREADS, _at_once

ACCEPT = "/invite/"
NEW_PASSWORD = "a long and new passphrase"


@pytest.fixture
def sends_email(settings):
    """A site with email set up (tests send to Django's locmem outbox)."""
    settings.APPARATUS_SENDS_EMAIL = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _invite(project, owner, email="new@example.org", role=Role.ANNOTATOR):
    return services.create_invitation(
        project=project, email=email, role=role, invited_by=owner
    )


def _link_path(token: str) -> str:
    return reverse("corpus:invitation_open", args=[token])


def _open(client, token: str):
    """Open the emailed link as a browser would: it lands on /invite/."""
    response = client.get(_link_path(token))
    assert response.status_code == 302
    assert response["Location"] == ACCEPT
    return client.get(ACCEPT)


def _sign_up(client, username="newcomer", password=NEW_PASSWORD, **extra):
    return client.post(
        ACCEPT,
        {"username": username, "password1": password, "password2": password},
        **extra,
    )


def _token_in(text: str) -> str:
    return re.search(r"/invite/([A-Za-z0-9_-]{43})/", text).group(1)


# -- Owners invite ------------------------------------------------------------------


def test_owner_invites_by_email_and_the_link_goes_by_email(
    client, project, owner, sends_email
):
    client.force_login(owner)

    response = client.post(
        reverse("corpus:member_invite", args=[project.slug]),
        {"email": " New.Person@Example.ORG ", "role": "curator"},
    )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "new.person@example.org"
    assert invitation.role == Role.CURATOR
    assert invitation.invited_by == owner
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=7)
    (message,) = mail.outbox
    assert message.to == ["new.person@example.org"]
    assert message.alternatives == []  # text only: nothing to interpret
    token = _token_in(message.body)
    assert f"http://testserver/invite/{token}/" in message.body
    assert project.name in message.subject
    assert "Curator" in message.body
    # Only the token's hash is kept.
    assert invitation.token_hash == invitations.token_hash(token)
    assert token not in str(list(Invitation.objects.values()))
    page = client.get(reverse("corpus:project_members", args=[project.slug]))
    assert "Invitation sent to new.person@example.org" in page.content.decode()
    assert f'id="invitation-{invitation.pk}"' in page.content.decode()


def test_owner_invites_with_htmx_and_gets_the_members_fragment(
    client, project, owner, sends_email
):
    client.force_login(owner)

    response = client.post(
        reverse("corpus:member_invite", args=[project.slug]),
        {"email": "new@example.org", "role": "viewer"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="members">')
    assert "Invitation sent to new@example.org" in html
    assert "new@example.org" in html
    assert len(mail.outbox) == 1


def test_the_email_is_text_and_names_on_one_line(client, owner, sends_email):
    project = Project.objects.get(memberships__user=owner)
    Project.objects.filter(pk=project.pk).update(
        name="Trees <b>&</b>\nBcc: victim@example.org"
    )
    project.refresh_from_db()
    owner.first_name, owner.last_name = "Olga\r\nX-Evil: 1", "<Ó>"
    owner.save()
    client.force_login(owner)

    client.post(
        reverse("corpus:member_invite", args=[project.slug]),
        {"email": "new@example.org", "role": "viewer"},
    )

    (message,) = mail.outbox
    assert message.subject == (
        "Invitation to “Trees <b>&</b> Bcc: victim@example.org” on Apparatus"
    )
    assert message.to == ["new@example.org"] and not message.bcc
    assert "“Trees <b>&</b> Bcc: victim@example.org”" in message.body
    assert "Olga X-Evil: 1 <Ó> invites you" in message.body
    assert "&amp;" not in message.body and "&lt;" not in message.body
    assert "X-Evil" not in str(message.message()).split("\n\n", 1)[0]


def test_without_email_the_owner_is_shown_the_link_once(client, project, owner):
    client.force_login(owner)
    url = reverse("corpus:member_invite", args=[project.slug])

    for headers in ({}, {"HX-Request": "true"}):
        response = client.post(
            url, {"email": "new@example.org", "role": "viewer"}, headers=headers
        )

        assert response.status_code == 200
        html = response.content.decode()
        assert "This server sends no email" in html
        token = _token_in(html)
        assert Invitation.objects.open().get().token_hash == (
            invitations.token_hash(token)
        )
        assert response["Cache-Control"] == "private, no-store"
    assert mail.outbox == []
    # Not kept anywhere: the next page does not show it again.
    page = client.get(reverse("corpus:project_members", args=[project.slug]))
    assert "testserver/invite/" not in page.content.decode()
    assert "you will be shown the link" in page.content.decode()


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"new@example.org": (550, b"No")})


def test_a_mail_server_failure_shows_the_link_instead(
    client, project, owner, settings, caplog
):
    settings.APPARATUS_SENDS_EMAIL = True
    settings.EMAIL_BACKEND = "tests.corpus.test_invitations.RefusingBackend"
    client.force_login(owner)

    with caplog.at_level(logging.WARNING):
        response = client.post(
            reverse("corpus:member_invite", args=[project.slug]),
            {"email": "new@example.org", "role": "viewer"},
        )

    assert response.status_code == 200
    html = response.content.decode()
    assert "could not be sent" in html
    token = _token_in(html)
    assert Invitation.objects.open().count() == 1
    assert "could not be sent" in caplog.text
    assert token not in caplog.text


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("not an address", "Enter a valid email address."),
        ("", "This field is required."),
        ("x" * 250 + "@example.org", "at most 254 characters"),
    ],
)
def test_a_malformed_address_is_refused(client, project, owner, email, message):
    client.force_login(owner)

    response = client.post(
        reverse("corpus:member_invite", args=[project.slug]),
        {"email": email, "role": "viewer"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_unknown_role_is_refused(client, project, owner):
    client.force_login(owner)

    response = client.post(
        reverse("corpus:member_invite", args=[project.slug]),
        {"email": "new@example.org", "role": "emperor"},
    )

    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_inviting_a_members_address_says_who_it_is(client, project, members):
    client.force_login(members["owner"])

    response = client.post(
        reverse("corpus:member_invite", args=[project.slug]),
        {"email": "CURATOR-user@example.org", "role": "viewer"},
    )

    assert response.status_code == 400
    assert (
        "curator-user@example.org is the address of curator-user, who is already a "
        "member (Curator)."
    ) in response.content.decode()
    assert not Invitation.objects.exists()


def test_inviting_an_address_again_replaces_its_open_invitation(project, owner):
    first, first_token = _invite(project, owner, role=Role.VIEWER)

    second, _token = _invite(project, owner, email="NEW@example.org", role=Role.OWNER)

    first.refresh_from_db()
    assert first.status == Invitation.Status.REVOKED
    assert first.revoked_by == owner
    assert second.role == Role.OWNER
    assert list(Invitation.objects.open()) == [second]


def test_the_same_address_may_be_invited_to_two_projects(project, owner):
    other = make_project()
    other.memberships.create(user=owner, role=Role.OWNER)

    _invite(project, owner)
    _invite(other, owner)

    assert Invitation.objects.open().count() == 2


def test_fifty_invitations_an_hour_per_project_then_a_clear_refusal(
    client, project, members
):
    owner = members["owner"]
    other_owner = make_user("co-owner", project=project, role=Role.OWNER)
    for i in range(invitations.INVITATIONS_PER_HOUR):
        _invite(project, owner if i % 2 else other_owner, email=f"p{i}@example.org")
    client.force_login(owner)

    response = client.post(
        reverse("corpus:member_invite", args=[project.slug]),
        {"email": "one-more@example.org", "role": "viewer"},
    )

    assert response.status_code == 400
    assert (
        "At most 50 invitations an hour may be sent from one project: please try "
        "again in 60 minutes."
    ) in response.content.decode()
    assert not Invitation.objects.filter(email="one-more@example.org").exists()
    # An hour later the oldest no longer counts.
    Invitation.objects.filter(email="p0@example.org").update(
        created_at=timezone.now() - datetime.timedelta(minutes=61)
    )
    _invite(project, owner, email="one-more@example.org")


def test_fifty_invitations_an_hour_per_person_across_projects(owner):
    projects = [make_project() for _ in range(5)]
    for project in projects:
        project.memberships.create(user=owner, role=Role.OWNER)
    for i in range(invitations.INVITATIONS_PER_HOUR):
        _invite(projects[i % 5], owner, email=f"p{i}@example.org")

    with pytest.raises(ValidationError, match="by one person"):
        _invite(make_project(), owner)


def test_sending_again_makes_a_new_link_and_the_old_one_stops_working(
    client, project, owner, sends_email
):
    invitation, old_token = _invite(project, owner, role=Role.CURATOR)
    client.force_login(owner)

    response = client.post(
        reverse("corpus:invitation_resend", args=[project.slug, invitation.pk]),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    (message,) = mail.outbox
    new_token = _token_in(message.body)
    assert new_token != old_token
    renewed = Invitation.objects.open().get()
    assert renewed.role == Role.CURATOR
    assert renewed.token_hash == invitations.token_hash(new_token)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    client.logout()
    assert _open(client, old_token).status_code == 410
    assert _open(client, new_token).status_code == 200


def test_an_expired_invitation_can_be_sent_again(client, project, owner, sends_email):
    invitation, _token = _invite(project, owner)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    client.force_login(owner)
    members_page = reverse("corpus:project_members", args=[project.slug])
    assert "Expired" in client.get(members_page).content.decode()

    response = client.post(
        reverse("corpus:invitation_resend", args=[project.slug, invitation.pk])
    )

    assert response.status_code == 302
    assert Invitation.objects.open().get().is_usable


def test_revoking_closes_the_link_and_is_recorded(client, project, owner):
    invitation, token = _invite(project, owner)
    client.force_login(owner)

    response = client.post(
        reverse("corpus:invitation_revoke", args=[project.slug, invitation.pk]),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "its link no longer works" in response.content.decode()
    assert f'id="invitation-{invitation.pk}"' not in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_by == owner and invitation.revoked_at is not None
    client.logout()
    closed = _open(client, token)
    assert closed.status_code == 410
    assert "This invitation was withdrawn" in closed.content.decode()


@pytest.mark.parametrize("name", ["invitation_revoke", "invitation_resend"])
def test_a_closed_invitation_cannot_be_revoked_or_sent_again(
    client, project, owner, name
):
    invitation, _token = _invite(project, owner)
    services.revoke_invitation(invitation=invitation, by=owner)
    client.force_login(owner)
    url = reverse(f"corpus:{name}", args=[project.slug, invitation.pk])

    plain = client.post(url)
    htmx = client.post(url, headers={"HX-Request": "true"})

    assert plain.status_code == 302
    assert htmx.status_code == 400
    assert "already accepted or withdrawn" in htmx.content.decode() or (
        "accepted or withdrawn meanwhile" in htmx.content.decode()
    )
    assert Invitation.objects.open().count() == 0


@pytest.mark.parametrize("name", ["invitation_revoke", "invitation_resend"])
def test_another_projects_invitation_is_404(client, project, owner, name):
    elsewhere = make_project()
    their_owner = make_user("their-owner", project=elsewhere, role=Role.OWNER)
    invitation, _token = _invite(elsewhere, their_owner)
    client.force_login(owner)

    response = client.post(
        reverse(f"corpus:{name}", args=[project.slug, invitation.pk])
    )

    assert response.status_code == 404
    assert Invitation.objects.get().is_usable


@pytest.mark.parametrize("who", ROLES)
def test_only_those_who_manage_members_see_the_invitations(
    client, project, members, who
):
    _invite(project, members["owner"], email="secret-address@example.org")
    client.force_login(members[who])

    for headers in ({}, {"HX-Request": "true"}):
        html = client.get(
            reverse("corpus:project_members", args=[project.slug]), headers=headers
        ).content.decode()

        assert ("secret-address@example.org" in html) == (who == Role.OWNER)
        assert ("Invite by email" in html) == (who == Role.OWNER)


# -- The invited person -----------------------------------------------------------


def test_the_link_moves_the_token_out_of_the_address(client, project, owner):
    _invitation, token = _invite(project, owner, role=Role.CURATOR)

    response = client.get(_link_path(token))

    assert response.status_code == 302
    assert response["Location"] == ACCEPT
    assert token not in response["Location"]
    assert client.session[SESSION_KEY] == invitations.token_hash(token)
    page = client.get(ACCEPT)
    html = page.content.decode()
    assert page.status_code == 200
    assert f"Join “{project.name}”" in html
    assert "Curator" in html
    assert token not in html


def test_a_new_person_chooses_a_name_and_password_and_joins(client, project, owner):
    invitation, token = _invite(project, owner, email="ada@example.org")
    _open(client, token)

    response = _sign_up(client, username="ada")

    assert response.status_code == 302
    assert response["Location"] == project.get_absolute_url()
    ada = get_user_model().objects.get(username="ada")
    assert ada.email == "ada@example.org"
    assert ada.check_password(NEW_PASSWORD)
    assert Membership.objects.get(project=project, user=ada).role == Role.ANNOTATOR
    invitation.refresh_from_db()
    assert invitation.accepted_by == ada and invitation.accepted_at is not None
    assert invitation.invited_by == owner
    # Signed in, in the project.
    page = client.get(project.get_absolute_url())
    assert page.status_code == 200
    assert "Welcome to" in page.content.decode()
    assert SESSION_KEY not in client.session


def test_joining_with_htmx_redirects_the_client(client, project, owner):
    _invitation, token = _invite(project, owner)
    _open(client, token)

    response = _sign_up(client, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"] == project.get_absolute_url()


@pytest.mark.parametrize(
    ("username", "password", "again", "field_error"),
    [
        ("newcomer", "short", "short", "This password is too short."),
        ("newcomer", "password123", "password123", "This password is too common."),
        ("newcomer", "12345678901234", "12345678901234", "entirely numeric"),
        ("new@example.org", "new@example.org", "new@example.org", "too similar"),
        ("newcomer", NEW_PASSWORD, "something else", "The two passwords differ."),
        ("new comer!", NEW_PASSWORD, NEW_PASSWORD, "Enter a valid username."),
        ("OWNER-USER", NEW_PASSWORD, NEW_PASSWORD, "is taken"),
        ("", NEW_PASSWORD, NEW_PASSWORD, "This field is required."),
    ],
)
def test_a_refused_account_says_why_and_changes_nothing(
    client, project, members, username, password, again, field_error
):
    invitation, token = _invite(project, members["owner"])
    _open(client, token)
    users_before = get_user_model().objects.count()

    response = client.post(
        ACCEPT, {"username": username, "password1": password, "password2": again}
    )

    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert get_user_model().objects.count() == users_before
    invitation.refresh_from_db()
    assert invitation.is_usable


def test_a_signed_in_person_joins_with_one_click(client, project, owner):
    invitation, token = _invite(project, owner, email="someone@example.org")
    person = make_user("person")  # person@example.org: another address
    client.force_login(person)

    page = _open(client, token)
    assert "Join as person" in page.content.decode()
    assert "accepting makes this account the member" in page.content.decode()
    response = client.post(ACCEPT)

    assert response.status_code == 302
    assert Membership.objects.get(project=project, user=person).role == (Role.ANNOTATOR)
    invitation.refresh_from_db()
    assert invitation.accepted_by == person
    # Opening the used link again leads to the project.
    assert client.get(_link_path(token)).status_code == 302
    assert client.get(ACCEPT)["Location"] == project.get_absolute_url()


def test_a_person_with_an_account_signs_in_from_the_page_and_joins(
    client, project, owner
):
    _invitation, token = _invite(project, owner)
    person = make_user("person")
    html = _open(client, token).content.decode()
    assert 'href="/accounts/login/?next=/invite/"' in html

    signed_in = client.post(
        "/accounts/login/",
        {"username": "person", "password": PASSWORD, "next": ACCEPT},
    )
    assert signed_in["Location"] == ACCEPT
    assert "Join as person" in client.get(ACCEPT).content.decode()
    client.post(ACCEPT)

    assert Membership.objects.filter(project=project, user=person).exists()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*ROLES, "outsider", "anonymous"])
def test_the_invitation_page_for_each_member_an_outsider_and_anonymous(
    client, project, members, who, htmx
):
    invitation, token = _invite(project, members["owner"], role=Role.VIEWER)
    user = members.get(who)
    if user is not None:
        client.force_login(user)
    headers = {"HX-Request": "true"} if htmx else {}
    opened = client.get(_link_path(token), headers=headers)
    assert opened.status_code == 302 and opened["Location"] == ACCEPT
    memberships_before = sorted(Membership.objects.values_list("pk", "role"))

    page = client.get(ACCEPT, headers=headers)
    response = client.post(ACCEPT, headers=headers)

    assert page.status_code == 200
    html = page.content.decode()
    invitation.refresh_from_db()
    if who in ROLES:
        # Already a member: told so, nothing changes, the link stays usable.
        assert "are a member of this project already" in html
        assert response.status_code == 200
        assert sorted(Membership.objects.values_list("pk", "role")) == (
            memberships_before
        )
        assert invitation.is_usable
    elif who == "outsider":
        assert "Join as outsider" in html
        assert response.status_code == (200 if htmx else 302)
        assert Membership.objects.get(project=project, user=user).role == Role.VIEWER
        assert invitation.accepted_by == user
    else:
        assert "Create your account" in html
        assert response.status_code == 400  # the empty form
        assert invitation.is_usable


def test_accepting_needs_the_csrf_token(project, owner):
    _invitation, token = _invite(project, owner)
    browser = Client(enforce_csrf_checks=True)
    browser.get(_link_path(token))

    response = _sign_up(browser)

    assert response.status_code == 403
    assert not get_user_model().objects.filter(username="newcomer").exists()


def test_the_page_escapes_what_it_shows(client, owner):
    project = Project.objects.get(memberships__user=owner)
    Project.objects.filter(pk=project.pk).update(name="<script>alert(1)</script>")
    owner.first_name = "<img src=x onerror=alert(2)>"
    owner.save()
    _invitation, token = _invite(project, owner)

    html = _open(client, token).content.decode()

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize(
    ("close", "status", "text"),
    [
        ("accept", 410, "This invitation has been used"),
        ("revoke", 410, "This invitation was withdrawn"),
        ("replace", 410, "This invitation was withdrawn"),
        ("expire", 410, "This invitation has expired"),
        ("archive", 403, "This project is archived"),
        ("trash", 404, "This link does not work"),
        ("purge", 404, "This link does not work"),
    ],
)
def test_a_link_that_cannot_be_used_says_why_and_never_500(
    client, project, owner, close, status, text, htmx
):
    invitation, token = _invite(project, owner)
    if close == "accept":
        services.accept_invitation(invitation=invitation, user=make_user("first"))
    elif close == "revoke":
        services.revoke_invitation(invitation=invitation, by=owner)
    elif close == "replace":
        _invite(project, owner)
    elif close == "expire":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    elif close == "archive":
        services.set_archived(project=project, archived=True, by=owner)
    elif close == "trash":
        Project.objects.filter(pk=project.pk).update(trashed_at=timezone.now())
    else:
        project.delete()
    headers = {"HX-Request": "true"} if htmx else {}
    users_before = get_user_model().objects.count()

    client.get(_link_path(token), headers=headers)
    page = client.get(ACCEPT, headers=headers)
    post = _sign_up(client, headers=headers)

    assert page.status_code == post.status_code == status
    assert text in page.content.decode()
    assert get_user_model().objects.count() == users_before


@pytest.mark.parametrize("path", [ACCEPT, "/invite/" + "A" * 43 + "/"])
def test_no_link_or_an_unknown_link_is_404(client, db, path):
    if path != ACCEPT:
        assert client.get(path).status_code == 302
    for method in (client.get, client.post):
        response = method(ACCEPT)
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()


@pytest.mark.parametrize(
    "token", ["short", "A" * 44, "A" * 42 + "²", "A" * 42 + "=", "9" * 5000]
)
def test_a_link_not_shaped_like_a_token_is_404(client, db, token):
    assert client.get(f"/invite/{token}/").status_code == 404
    assert SESSION_KEY not in client.session


def test_the_token_never_reaches_the_log(client, project, owner, sends_email, caplog):
    client.force_login(owner)
    with caplog.at_level(logging.DEBUG):
        client.post(
            reverse("corpus:member_invite", args=[project.slug]),
            {"email": "new@example.org", "role": "viewer"},
        )
        token = _token_in(mail.outbox[0].body)
        client.logout()
        _open(client, token)
        _sign_up(client)
        # The used link again: refused, still without a 4xx at its path.
        client.logout()
        client.get(_link_path(token))
        assert client.get(ACCEPT).status_code == 410

    assert caplog.records
    assert token not in caplog.text
    assert invitations.token_hash(token) not in caplog.text


# -- Once only ------------------------------------------------------------------------


def test_a_link_works_once(client, project, owner):
    _invitation, token = _invite(project, owner)
    members_before = project.memberships.count()
    _open(client, token)
    assert _sign_up(client, username="first").status_code == 302
    other = Client()  # another browser, with the same link

    other.get(_link_path(token))
    response = _sign_up(other, username="second")

    assert response.status_code == 410
    assert not get_user_model().objects.filter(username="second").exists()
    assert project.memberships.count() == members_before + 1


@pytest.mark.django_db(transaction=True)
def test_accepting_one_link_at_once_makes_one_membership():
    owner = make_user("owner")
    for round_ in range(4):
        project = services.create_project(name=f"Race {round_}", owner=owner)
        invitation, _token = _invite(project, owner)
        people = [make_user(f"person{round_}-{i}") for i in range(THREADS // 2)]

        def accept(i: int, invitation=invitation, people=people, round_=round_):
            if i < len(people):
                return services.accept_invitation(invitation=invitation, user=people[i])
            return services.accept_invitation(
                invitation=invitation,
                username=f"new{round_}-{i}",
                password=NEW_PASSWORD,
            )

        outcomes = _at_once(accept)

        joined = [o for o in outcomes if isinstance(o, Membership)]
        refused = [o for o in outcomes if isinstance(o, ValidationError)]
        assert len(joined) == 1, outcomes
        assert len(refused) == THREADS - 1, outcomes
        assert all(error.code == "gone" for error in refused)
        assert project.memberships.count() == 2
        invitation.refresh_from_db()
        assert invitation.accepted_by == joined[0].user
        # The losers' new accounts were undone with them.
        assert get_user_model().objects.filter(
            username__startswith=f"new{round_}-"
        ).count() == (1 if joined[0].user.username.startswith("new") else 0)


@pytest.mark.django_db(transaction=True)
def test_inviting_one_address_at_once_leaves_one_open_invitation():
    owner = make_user("owner")
    project = services.create_project(name="Race", owner=owner)
    co_owners = [owner] + [
        make_user(f"co{i}", project=project, role=Role.OWNER)
        for i in range(THREADS - 1)
    ]

    outcomes = _at_once(lambda i: _invite(project, co_owners[i]))

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Invitation.objects.open().count() == 1
    assert Invitation.objects.count() == THREADS


# -- The admin ------------------------------------------------------------------------

ADMIN_ROLES = STAFF_ROLES


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_the_admin_lists_invitations_to_owners_read_only(client, project, role):
    """Staff with every model permission: only the project role differs."""
    inviter = make_user("inviter", project=project, role=Role.OWNER)
    invitation, _token = _invite(project, inviter)
    elsewhere = make_project()
    theirs, _token = _invite(
        elsewhere, make_user("host", project=elsewhere, role=Role.OWNER)
    )
    client.force_login(staff_user(project, role))
    changelist = reverse("admin:corpus_invitation_changelist")
    change = reverse("admin:corpus_invitation_change", args=[invitation.pk])

    listed = client.get(changelist)
    page = client.get(change)

    assert listed.status_code == 200
    html = listed.content.decode()
    sees = role in {Role.OWNER, "superuser"}
    assert ("new@example.org" in html) == sees
    assert (reverse("admin:corpus_invitation_change", args=[theirs.pk]) in html) == (
        role == "superuser"
    )
    if sees:
        assert page.status_code == 200
        assert invitation.token_hash not in page.content.decode()
        assert 'name="email"' not in page.content.decode()  # nothing to edit
        assert 'name="_save"' not in page.content.decode()
    else:
        assert is_hidden(page)
    assert client.get(reverse("admin:corpus_invitation_add")).status_code == 403
    assert client.post(change, {"email": "x@example.org"}).status_code in {302, 403}
    invitation.refresh_from_db()
    assert invitation.email == "new@example.org"
    delete = reverse("admin:corpus_invitation_delete", args=[invitation.pk])
    assert client.post(delete, {"post": "yes"}).status_code in {302, 403}
    assert Invitation.objects.filter(pk=invitation.pk).exists()


@pytest.mark.parametrize("how", ["removed", "demoted"])
def test_an_owner_who_loses_the_role_cannot_return_through_their_own_link(
    client, project, owner, how
):
    """An owner sent themselves an owner's invitation, kept the link, and was
    then removed (or made a viewer): the link no longer lets anyone in."""
    sender = make_user("sender", project=project, role=Role.OWNER)
    invitation, token = _invite(
        project, sender, email="alias@example.org", role=Role.OWNER
    )
    membership = Membership.objects.get(project=project, user=sender)
    if how == "removed":
        services.remove_member(membership=membership, by=owner)
    else:
        services.change_role(membership=membership, role=Role.VIEWER, by=owner)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert invitation.revoked_by == owner
    _open(client, token)
    response = _sign_up(client, username="back-again")
    assert response.status_code == 410
    assert not get_user_model().objects.filter(username="back-again").exists()
    assert not Membership.objects.filter(
        project=project, user__username="sender", role=Role.OWNER
    ).exists()


def test_a_link_whose_sender_is_no_longer_an_owner_is_refused(client, project, owner):
    """The second guard: a link that escaped the withdrawal (its sender's role
    changed by other means) still does not let anyone in."""
    sender = make_user("sender", project=project, role=Role.OWNER)
    _invitation, token = _invite(project, sender, role=Role.OWNER)
    Membership.objects.filter(project=project, user=sender).update(role=Role.VIEWER)
    _open(client, token)
    assert _sign_up(client, username="sneaky").status_code == 410
    assert not get_user_model().objects.filter(username="sneaky").exists()
