"""Password reset by email (issue 9): Django's views, the same answer whether or
not an account has the address, a limit per address and per client, and a new
password that ends the account's sign-in pause."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from config.accounts import RESETS_PER_ADDRESS, RESETS_PER_CLIENT
from tests.factories import PASSWORD, make_user
from tests.test_security import ALICE, BOB, lock, sign_in

RESET = "/accounts/password/reset/"
NEW_PASSWORD = "a long and new passphrase"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sends_email(settings):
    settings.APPARATUS_SENDS_EMAIL = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def reader(db):
    return make_user("reader")  # reader@example.org


def _ask(client, email, address=ALICE, **extra):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address, **extra)


def _link(message) -> str:
    return re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body)[
        1
    ]


def _set_password(client, link: str, password=NEW_PASSWORD):
    """Open the emailed link, then send the new password where it leads."""
    opened = client.get(link)
    assert opened.status_code == 302
    form_url = opened["Location"]
    assert form_url.endswith("/set-password/")
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def test_the_sign_in_page_offers_a_reset(client, db):
    html = client.get(reverse("login")).content.decode()

    assert f'<a href="{RESET}">Forgot your password?</a>' in html


def test_a_reset_round_trip(client, reader, sends_email):
    page = client.get(RESET)
    assert page.status_code == 200
    assert "Send the link" in page.content.decode()

    response = _ask(client, "reader@example.org")

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    (message,) = mail.outbox
    assert message.to == ["reader@example.org"]
    assert message.alternatives == []
    assert "“reader”" in message.body
    assert message.subject == "Reset your Apparatus password"
    done = _set_password(client, _link(message))
    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")
    assert "Password set" in client.get(done["Location"]).content.decode()
    reader.refresh_from_db()
    assert reader.check_password(NEW_PASSWORD)
    assert sign_in(client, "reader", PASSWORD).status_code == 200  # refused
    assert sign_in(client, "reader", NEW_PASSWORD).status_code == 302


def test_the_link_works_once(client, reader, sends_email):
    _ask(client, "reader@example.org")
    link = _link(mail.outbox[0])
    _set_password(client, link)

    again = client.get(link)

    assert again.status_code == 200
    assert "This link does not work" in again.content.decode()


def test_the_link_uses_the_address_and_scheme_of_the_request(
    client, reader, sends_email, settings
):
    settings.ALLOWED_HOSTS = ["apparatus.example.org"]

    _ask(
        client,
        "reader@example.org",
        HTTP_HOST="apparatus.example.org",
        HTTP_X_FORWARDED_PROTO="https",
    )

    body = mail.outbox[0].body
    assert "https://apparatus.example.org/accounts/password/reset/" in body


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client, reader, sends_email
):
    known = _ask(client, "reader@example.org", ALICE)
    unknown = _ask(client, "nobody@example.org", BOB)

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1
    done = client.get(known["Location"]).content.decode()
    assert "If an account has that address" in done


def test_the_address_is_matched_without_case(client, reader, sends_email):
    _ask(client, " READER@Example.org ")

    assert mail.outbox[0].to == ["reader@example.org"]


@pytest.mark.parametrize("change", ["inactive", "unusable"])
def test_no_email_for_an_inactive_account_or_one_without_a_password(
    client, reader, sends_email, change
):
    if change == "inactive":
        reader.is_active = False
    else:
        reader.set_unusable_password()
    reader.save()

    assert _ask(client, "reader@example.org").status_code == 302
    assert mail.outbox == []


def test_a_new_password_must_pass_the_validators(client, reader, sends_email):
    _ask(client, "reader@example.org")

    response = _set_password(client, _link(mail.outbox[0]), password="password")

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    reader.refresh_from_db()
    assert reader.check_password(PASSWORD)


def test_without_email_the_page_says_to_ask_someone(client, reader):
    page = client.get(RESET).content.decode()
    assert "This server sends no email" in page
    assert "<form" not in page.split("<main", 1)[1].split("Reset your password")[1]

    response = _ask(client, "reader@example.org")

    assert response.status_code == 200
    assert "This server sends no email" in response.content.decode()
    assert mail.outbox == []


def test_at_most_three_emails_an_hour_to_one_address(client, reader, sends_email):
    for address in [ALICE, BOB] * 3:
        # Held back or not, the answer is the same.
        assert _ask(client, "Reader@example.org", address).status_code == 302

    assert len(mail.outbox) == RESETS_PER_ADDRESS == 3
    other = make_user("other")
    _ask(client, "other@example.org")
    assert mail.outbox[-1].to == [other.email]


def test_the_limit_counts_addresses_without_an_account_too(client, reader, sends_email):
    """Else being held back would tell that an account has the address."""
    for _ in range(RESETS_PER_ADDRESS):
        _ask(client, "nobody@example.org")

    make_user("nobody")
    _ask(client, "nobody@example.org", BOB)

    assert mail.outbox == []


def test_at_most_twenty_requests_an_hour_from_one_client(client, db, sends_email):
    people = [make_user(f"person{i}") for i in range(RESETS_PER_CLIENT + 1)]

    for person in people:
        assert _ask(client, person.email, ALICE).status_code == 302

    assert len(mail.outbox) == RESETS_PER_CLIENT
    _ask(client, people[-1].email, BOB)
    assert len(mail.outbox) == RESETS_PER_CLIENT + 1


def test_a_reset_ends_the_accounts_sign_in_pause(client, reader, sends_email):
    lock(client, "reader", ALICE)
    lock(client, "someone-else", ALICE)
    assert sign_in(client, "reader", PASSWORD, BOB).status_code == 429
    _ask(client, "reader@example.org")

    _set_password(client, _link(mail.outbox[0]))

    assert not AccessAttempt.objects.filter(username="reader").exists()
    assert AccessAttempt.objects.filter(username="someone-else").exists()
    assert sign_in(client, "reader", NEW_PASSWORD, BOB).status_code == 302


def test_a_password_change_ends_the_accounts_sign_in_pause(client, reader):
    lock(client, "reader", ALICE)
    client.force_login(reader)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    client.logout()
    assert sign_in(client, "reader", NEW_PASSWORD, BOB).status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password/reset/MQ/not-a-token/",
        "/accounts/password/reset/%C2%B2/1-2/",
        "/accounts/password/reset/" + "A" * 5000 + "/x/",
        "/accounts/password/reset/MQ/set-password/",
    ],
)
def test_a_broken_link_is_a_clear_page(client, reader, path):
    response = client.get(path)

    assert response.status_code == 200
    assert "This link does not work" in response.content.decode()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", ["anonymous", "signed-in"])
@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("password_reset", "Reset your password"),
        ("password_reset_done", "Check your email"),
        ("password_reset_complete", "Password set"),
    ],
)
def test_the_reset_pages_answer_everyone_plain_and_with_htmx(
    client, reader, sends_email, name, heading, who, htmx
):
    if who == "signed-in":
        client.force_login(reader)

    response = client.get(reverse(name), headers={"HX-Request": "true"} if htmx else {})

    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode()
