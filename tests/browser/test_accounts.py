"""Accounts in a real browser (issue 9): an owner invites by email and the
invited person joins through the emailed link; a password reset round trip.

The live server runs in a thread of this process, so the mails it sends with
Django's locmem backend land in this test's `mail.outbox`.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import Page, expect

from corpus.models import Invitation, Membership
from corpus.roles import Role
from tests.factories import PASSWORD, make_project, make_user

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a long and new passphrase"


@pytest.fixture
def sends_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.APPARATUS_SENDS_EMAIL = True
    cache.clear()  # the password reset limits
    yield
    cache.clear()


def _link(live_server, body: str, path: str) -> str:
    match = re.search(rf"http://[^/\s]+({re.escape(path)}\S+/)", body)
    assert match, body
    return live_server.url + match[1]


def test_an_invited_person_sets_a_password_and_lands_in_the_project(
    page: Page, new_context, sign_in, live_server, sends_email
):
    project = make_project(name="Border reporting")
    owner = make_user("olga", project=project, role=Role.OWNER)
    sign_in(page, owner)
    page.goto(f"/p/{project.slug}/members/")

    invite = page.locator("form.invite-member")
    invite.get_by_label("Email address").fill("Nadia@Example.org")
    invite.get_by_label("Role").select_option("curator")
    invite.get_by_role("button", name="Send invitation").click()

    expect(page.locator("#messages")).to_contain_text(
        "Invitation sent to nadia@example.org, to join as Curator."
    )
    row = page.locator("table.invitations tr", has_text="nadia@example.org")
    expect(row).to_contain_text("Curator")
    (message,) = mail.outbox
    assert message.to == ["nadia@example.org"]
    assert "Border reporting" in message.subject
    link = _link(live_server, message.body, "/invite/")

    newcomer = new_context().new_page()
    newcomer.goto(link)
    expect(newcomer).to_have_url(re.compile(r"/invite/$"))  # the token is gone
    expect(
        newcomer.get_by_role("heading", name="Join “Border reporting”")
    ).to_be_visible()
    expect(newcomer.get_by_text("olga invited nadia@example.org")).to_contain_text(
        "as Curator"
    )
    newcomer.get_by_label("Username").fill("nadia")
    newcomer.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    newcomer.get_by_label("Password again").fill(NEW_PASSWORD)
    newcomer.get_by_role("button", name="Create account and join").click()

    expect(newcomer).to_have_url(re.compile(rf"/p/{project.slug}/$"))
    expect(
        newcomer.get_by_role("heading", name="Border reporting", level=1)
    ).to_be_visible()
    expect(newcomer.locator("#messages")).to_contain_text(
        "Welcome to Border reporting: you are a member, as Curator."
    )
    expect(newcomer.locator(".role-badge")).to_contain_text("Your role: Curator")
    nadia = get_user_model().objects.get(username="nadia")
    assert nadia.email == "nadia@example.org"
    assert Membership.objects.get(project=project, user=nadia).role == Role.CURATOR
    assert Invitation.objects.get().accepted_by == nadia

    # The link worked once.
    again = new_context().new_page()
    response = again.goto(link)
    assert response.status == 410
    expect(
        again.get_by_role("heading", name="This invitation has been used")
    ).to_be_visible()
    # The owner's page no longer lists it; Nadia is a member.
    page.reload()
    expect(page.locator("table.invitations")).to_have_count(0)
    expect(page.locator("table.members")).to_contain_text("nadia")


def test_without_email_the_owner_passes_the_link_and_a_member_joins_in_one_click(
    page: Page, new_context, sign_in, settings
):
    settings.APPARATUS_SENDS_EMAIL = False
    project = make_project(name="Quiet group")
    owner = make_user("olga", project=project, role=Role.OWNER)
    colleague = make_user("colm")  # has an account, not yet a member
    sign_in(page, owner)
    page.goto(f"/p/{project.slug}/members/")
    expect(page.locator("form.invite-member")).to_contain_text(
        "This server sends no email"
    )

    invite = page.locator("form.invite-member")
    invite.get_by_label("Email address").fill("colm@example.org")
    invite.get_by_label("Role").select_option("viewer")
    invite.get_by_role("button", name="Send invitation").click()

    box = page.get_by_label(re.compile(r"^Invitation link"))
    expect(box).to_have_value(re.compile(r"/invite/[A-Za-z0-9_-]{43}/$"))
    link = box.input_value()
    assert mail.outbox == []

    other = new_context().new_page()
    sign_in(other, colleague)
    other.goto(link)
    other.get_by_role("button", name="Join as colm").click()

    expect(other).to_have_url(re.compile(rf"/p/{project.slug}/$"))
    expect(other.locator(".role-badge")).to_contain_text("Your role: Viewer")
    assert Membership.objects.get(project=project, user=colleague).role == Role.VIEWER


def test_a_password_reset_round_trip_through_the_emailed_link(
    page: Page, live_server, sends_email
):
    project = make_project(name="Reading room")
    make_user("rhea", project=project, role=Role.VIEWER)  # rhea@example.org

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email address").fill("rhea@example.org")
    page.get_by_role("button", name="Send the link").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    (message,) = mail.outbox
    link = _link(live_server, message.body, "/accounts/password/reset/")
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/set-password/$"))  # the token is gone
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()

    page.get_by_role("link", name="Sign in").last.click()
    page.get_by_label("Username").fill("rhea")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".errors")).to_be_visible()  # the old one no longer works
    page.get_by_label("Username").fill("rhea")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your projects", level=1)).to_be_visible()
    # The link worked once.
    page.goto(link)
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
