"""Hardening for a hosted group: sign-in throttling, the Content-Security-Policy,
tag colours without inline styles, and no caching of member pages."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client, RequestFactory
from django.urls import reverse

from annotations import services
from annotations.models import Tag
from config.throttling import client_address
from tests.factories import PASSWORD, make_annotation, make_document, make_user

BASE_DIR = Path(__file__).resolve().parents[1]
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
ALICE = "198.51.100.7"
BOB = "203.0.113.9"
CAROL = "192.0.2.44"


def sign_in(client, username, password, address=ALICE, path=LOGIN, **extra):
    return client.post(
        path, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def fail(client, username, times, address=ALICE, path=LOGIN):
    """`times` wrong passwords, each answered as an ordinary failure."""
    for _ in range(times):
        response = sign_in(client, username, "wrong", address, path)
        assert response.status_code == 200, "refused before the limit"


def lock(client, username, address=ALICE, path=LOGIN):
    """Four failures, then the fifth, which reaches the limit and locks."""
    fail(client, username, 4, address, path)
    response = sign_in(client, username, "wrong", address, path)
    assert response.status_code == 429
    return response


def lockout_message(response) -> str:
    match = re.search(
        r'<div class="errors lockout" role="alert">(.*?)</div>',
        response.content.decode(),
        re.S,
    )
    assert match, "no lockout message on the page"
    return " ".join(match.group(1).split())


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def reader(db):
    return make_user("reader")


# Throttling -------------------------------------------------------------------


def test_failures_lock_the_account_from_any_address(client, reader):
    for address in (ALICE, BOB, ALICE, BOB):
        fail(client, "reader", 1, address)
    fifth = sign_in(client, "reader", "wrong", CAROL)

    response = sign_in(client, "reader", PASSWORD, "192.0.2.200")

    assert fifth.status_code == 429  # the failure that reaches the limit is told

    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60
    assert "Signing in is paused for up to 15 minutes" in lockout_message(response)
    assert not signed_in(client)


def test_a_locked_account_is_refused_the_correct_password(client, reader):
    lock(client, "reader")

    response = sign_in(client, "reader", PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)


def test_other_accounts_sign_in_from_elsewhere_while_one_is_locked(client, reader):
    make_user("writer")
    lock(client, "reader", ALICE)

    response = sign_in(client, "writer", PASSWORD, BOB)

    assert response.status_code == 302
    assert signed_in(client)


def test_failures_from_one_address_lock_it_for_every_account(client, reader, settings):
    settings.APPARATUS_SIGNIN_FAILURES_PER_ADDRESS = 8
    make_user("writer")
    for name in ("ann", "ben", "cy"):  # 2 each: no account near its limit
        fail(client, name, 2, ALICE)
    fail(client, "dee", 1, ALICE)
    assert sign_in(client, "dee", "wrong", ALICE).status_code == 429  # the 8th

    refused = sign_in(client, "reader", PASSWORD, ALICE)
    elsewhere = sign_in(Client(), "writer", PASSWORD, BOB)

    assert refused.status_code == 429
    assert not signed_in(client)
    assert elsewhere.status_code == 302


def test_an_address_below_its_limit_is_not_locked(client, reader, settings):
    settings.APPARATUS_SIGNIN_FAILURES_PER_ADDRESS = 8
    for name in ("ann", "ben", "cy"):
        fail(client, name, 2, ALICE)
    fail(client, "dee", 1, ALICE)  # 7 from this address

    assert sign_in(client, "reader", PASSWORD, ALICE).status_code == 302


def test_the_message_is_the_same_for_an_account_that_does_not_exist(client, reader):
    lock(client, "reader", ALICE)
    lock(client, "nobody", BOB)

    known = sign_in(client, "reader", "wrong", ALICE)
    unknown = sign_in(client, "nobody", "wrong", BOB)

    assert known.status_code == unknown.status_code == 429
    assert known["Retry-After"] == unknown["Retry-After"]
    assert lockout_message(known) == lockout_message(unknown)
    assert "reader" not in known.content.decode()
    assert "nobody" not in unknown.content.decode()


class CountingHasher(MD5PasswordHasher):
    """The tests' hasher, counting how often a password is hashed."""

    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.mark.parametrize("username", ["reader", "nobody"])
def test_a_locked_out_attempt_does_not_hash_the_password(
    client, reader, settings, username
):
    settings.PASSWORD_HASHERS = ["tests.test_security.CountingHasher"]
    fail(client, username, 1)
    assert CountingHasher.calls > 0  # the counter sees an ordinary failure
    fail(client, username, 3)
    sign_in(client, username, "wrong")  # the fifth locks
    CountingHasher.calls = 0

    for password in ("wrong", PASSWORD):
        assert sign_in(client, username, password).status_code == 429

    assert CountingHasher.calls == 0


def test_the_lockout_ends_after_the_cool_off(client, reader, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    lock(client, "reader")
    assert sign_in(client, "reader", PASSWORD).status_code == 429

    time.sleep(1.1)
    response = sign_in(client, "reader", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_attempts_during_a_lockout_do_not_extend_it(client, reader, settings):
    lock(client, "reader")
    for _ in range(3):
        assert sign_in(client, "reader", "wrong").status_code == 429

    assert AccessAttempt.objects.get().failures_since_start == 5


def test_signing_in_forgets_the_accounts_failures(client, reader):
    fail(client, "reader", 4)
    assert sign_in(client, "reader", PASSWORD).status_code == 302
    client.logout()

    fail(client, "reader", 4)

    assert sign_in(client, "reader", PASSWORD).status_code == 302


def test_signing_in_to_ones_own_account_keeps_failures_against_another(client, reader):
    make_user("mallory")
    fail(client, "reader", 4, ALICE)
    assert sign_in(client, "mallory", PASSWORD, ALICE).status_code == 302
    client.logout()

    lock_response = sign_in(client, "reader", "wrong", ALICE)

    assert lock_response.status_code == 429
    assert sign_in(client, "reader", PASSWORD, BOB).status_code == 429


def test_the_admin_sign_in_is_throttled_too(client, db):
    make_user("operator", is_staff=True, is_superuser=True)
    lock(client, "operator", ALICE, ADMIN_LOGIN)

    response = sign_in(
        client, "operator", PASSWORD, BOB, ADMIN_LOGIN, QUERY_STRING="next=/admin/"
    )

    assert response.status_code == 429
    assert "Signing in is paused" in lockout_message(response)
    assert not signed_in(client)
    # The account is locked for the app's form as well.
    assert sign_in(client, "operator", PASSWORD, BOB).status_code == 429


def test_the_lockout_page_keeps_a_safe_next_and_drops_another(client, reader):
    lock(client, "reader")

    kept = client.post(
        LOGIN,
        {"username": "reader", "password": "x", "next": "/p/x/"},
        REMOTE_ADDR=ALICE,
    )
    dropped = client.post(
        LOGIN,
        {"username": "reader", "password": "x", "next": "https://evil.example/"},
        REMOTE_ADDR=ALICE,
    )

    assert 'name="next" value="/p/x/"' in kept.content.decode()
    assert "evil.example" not in dropped.content.decode()


def test_a_wrong_password_is_still_an_ordinary_form_error(client, reader):
    response = sign_in(client, "reader", "wrong")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "lockout" not in response.content.decode()


# The client's address --------------------------------------------------------


def request_from(peer: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=peer, headers=headers)


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # A direct client: its own address, whatever header it sends.
        (ALICE, None, ALICE),
        (ALICE, BOB, ALICE),
        # Through the proxy: the address the proxy appended (right-most).
        ("127.0.0.1", ALICE, ALICE),
        ("127.0.0.1", f"{BOB}, {ALICE}", ALICE),  # BOB was written by the client
        ("::1", f"{ALICE}", ALICE),
        # The proxy's own address when it forwards nothing usable.
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
        ("127.0.0.1", f"{BOB}, junk, {ALICE}", ALICE),
        # A unix socket has no address; gunicorn trusts it.
        ("", ALICE, ALICE),
        # A dual-stack socket's IPv4 peers, mapped into IPv6.
        ("::ffff:127.0.0.1", ALICE, ALICE),
        (f"::ffff:{BOB}", None, BOB),
    ],
)
def test_client_address(settings, peer, forwarded, expected):
    settings.APPARATUS_TRUSTED_PROXIES = ["127.0.0.1", "::1"]

    assert client_address(request_from(peer, forwarded)) == expected


def test_client_address_behind_two_trusted_proxies(settings):
    settings.APPARATUS_TRUSTED_PROXIES = ["10.0.0.0/24"]

    request = request_from("10.0.0.5", f"{BOB}, {ALICE}, 10.0.0.9")

    assert client_address(request) == ALICE


def test_client_address_with_any_peer_trusted_takes_one_hop_only(settings):
    settings.APPARATUS_TRUSTED_PROXIES = ["*"]

    assert client_address(request_from("10.1.2.3", f"{BOB}, {ALICE}")) == ALICE
    assert client_address(request_from("10.1.2.3")) == "10.1.2.3"


def test_a_client_cannot_dodge_the_address_limit_with_a_forged_header(
    client, reader, settings
):
    settings.APPARATUS_SIGNIN_FAILURES_PER_ADDRESS = 4
    for n in range(4):
        sign_in(client, f"name{n}", "wrong", ALICE, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    assert sign_in(client, "reader", PASSWORD, ALICE).status_code == 429


def test_clients_behind_the_proxy_are_told_apart(client, reader, settings):
    settings.APPARATUS_SIGNIN_FAILURES_PER_ADDRESS = 4
    for n in range(4):
        sign_in(client, f"name{n}", "wrong", "127.0.0.1", HTTP_X_FORWARDED_FOR=ALICE)

    blocked = sign_in(
        client, "reader", PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR=ALICE
    )
    other = sign_in(Client(), "reader", PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR=BOB)

    assert blocked.status_code == 429
    assert other.status_code == 302


# Content-Security-Policy -----------------------------------------------------

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(
        directive.strip().split(" ", 1) for directive in header.split(";") if directive
    )


@pytest.mark.parametrize("signed_in_as", [None, "owner"])
def test_pages_carry_the_strict_policy(client, project, members, signed_in_as):
    if signed_in_as:
        client.force_login(members[signed_in_as])

    for url in ["/", LOGIN, project.get_absolute_url()]:
        response = client.get(url)
        assert policy(response) == POLICY, url
        assert "unsafe" not in response["Content-Security-Policy"]


def test_the_admin_carries_the_strict_policy(client, db):
    client.force_login(make_user("operator", is_staff=True, is_superuser=True))

    for url in ["/admin/", "/admin/annotations/tag/", "/admin/axes/accessattempt/"]:
        assert policy(client.get(url)) == POLICY, url


# Patterns a strict policy refuses: inline styles and scripts, event handler
# attributes, htmx's inline handlers, javascript: URLs.
INLINE = re.compile(
    r"""\sstyle\s*=|<style\b|\son[a-z]+\s*=|\shx-on|javascript:"""
    r"""|<script\b(?![^>]*\bsrc=)(?![^>]*type="application/json")""",
    re.I,
)


# Files the app hands out to be opened elsewhere (downloads, never a page of
# the app): they carry their own style sheet, since they are read offline.
STANDALONE = {"templates/annotations/export/edition.html"}


def test_no_template_needs_inline_script_or_style():
    found = [
        f"{path.relative_to(BASE_DIR)}:{number}: {line.strip()}"
        for path in sorted((BASE_DIR / "templates").rglob("*.html"))
        if str(path.relative_to(BASE_DIR)) not in STANDALONE
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if INLINE.search(line)
    ]

    assert not found, "\n".join(found)


def test_a_standalone_file_has_no_script_and_is_only_downloaded():
    """What may keep its own style may still run nothing, and is served as an
    attachment (tests/annotations/test_edition_export.py checks the answer)."""
    for name in STANDALONE:
        text = (BASE_DIR / name).read_text()
        assert not re.search(r"<script\b|\son[a-z]+\s*=|javascript:", text, re.I)
        assert not re.search(r"<link\b|@import|url\(", text, re.I)


def test_no_fragment_built_in_python_has_inline_script_or_style():
    markup = re.compile(
        r"""style=["']|<style\b|\son[a-z]+=["']"""
        r"""|<script\b(?![^>]*type="application/json")""",
        re.I,
    )
    found = [
        f"{path.relative_to(BASE_DIR)}:{number}: {line.strip()}"
        for folder in ("annotations", "corpus", "config")
        for path in sorted((BASE_DIR / folder).rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if markup.search(line) and not line.lstrip().startswith("#")
    ]

    assert not found, "\n".join(found)


# Tag colours -------------------------------------------------------------------


@pytest.fixture
def tagged(project, members):
    document = make_document(project=project, paragraphs=["The tunnel was long."])
    evidence = services.get_or_create_tag(project=project, name="evidence")
    Tag.objects.filter(pk=evidence.pk).update(colour="#1A2B3C")
    doubt = services.get_or_create_tag(project=project, name="doubt")
    note = make_annotation(
        document, members["owner"], "tunnel", tags=[evidence, doubt], body="x"
    )
    return document, note, Tag.objects.get(pk=evidence.pk), doubt


def stylesheet_url(html: str) -> str:
    match = re.search(
        r'<link rel="stylesheet" href="(/p/[^"]+/tag-colours\.css\?v=\w+)"', html
    )
    assert match, "the page does not link its tag stylesheet"
    return match.group(1).replace("&amp;", "&")


def test_the_tag_stylesheet_colours_each_tag(client, project, members, tagged):
    _document, _note, evidence, doubt = tagged
    client.force_login(members["viewer"])

    url = stylesheet_url(client.get(project.get_absolute_url()).content.decode())
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    css = response.content.decode()
    assert f".tag-colour-{evidence.pk} {{ --tag: #1a2b3c; }}" in css
    assert f".tag-colour-{doubt.pk} {{ --tag: {doubt.colour}; }}" in css
    assert "immutable" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_chips_carry_their_class_and_no_style(client, project, members, tagged):
    document, note, evidence, _doubt = tagged
    client.force_login(members["owner"])

    pages = [
        note.get_absolute_url(),
        reverse("annotations:tag_manage", args=[project.slug]),
        reverse("annotations:curation_queue", args=[project.slug]) + "?status=",
    ]
    for url in pages:
        html = client.get(url, follow=True).content.decode()
        assert f'class="tag tag-colour-{evidence.pk}"' in html, url
        assert "style=" not in html, url


def test_a_new_colour_gives_the_stylesheet_a_new_address(
    client, project, members, tagged
):
    _document, _note, evidence, _doubt = tagged
    client.force_login(members["viewer"])
    before = stylesheet_url(client.get(project.get_absolute_url()).content.decode())

    evidence.colour = "#00aa00"
    evidence.save()
    after = stylesheet_url(client.get(project.get_absolute_url()).content.decode())

    assert before != after
    assert "#00aa00" in client.get(after).content.decode()
    stale = client.get(before)
    assert "#00aa00" in stale.content.decode()
    assert stale["Cache-Control"] == "private, no-cache"


def test_a_colour_that_is_not_a_colour_never_reaches_the_css(
    client, project, members, tagged
):
    _document, _note, evidence, _doubt = tagged
    Tag.objects.filter(pk=evidence.pk).update(colour="red}*{x")
    client.force_login(members["viewer"])

    css = client.get(
        reverse("annotations:tag_colours", args=[project.slug])
    ).content.decode()

    assert f"tag-colour-{evidence.pk}" not in css
    assert "red" not in css


def test_the_tag_stylesheet_is_for_members_only(client, project, members, tagged):
    url = reverse("annotations:tag_colours", args=[project.slug])

    anonymous = client.get(url)
    client.force_login(members["outsider"])
    outsider = client.get(url)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert outsider.status_code == 404


def test_the_tag_stylesheet_answers_head(client, project, members, tagged):
    client.force_login(members["viewer"])
    url = reverse("annotations:tag_colours", args=[project.slug])

    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


def test_pages_outside_a_project_link_no_tag_stylesheet(client, members):
    client.force_login(members["owner"])

    assert "tag-colours.css" not in client.get("/").content.decode()


# Cache-Control -----------------------------------------------------------------


def test_member_pages_are_not_stored(client, project, members, tagged):
    document, note, _evidence, _doubt = tagged
    client.force_login(members["annotator"])

    for url, headers in [
        ("/", {}),
        (project.get_absolute_url(), {}),
        (document.get_absolute_url(), {}),
        (note.get_absolute_url(), {"HX-Request": "true"}),
        (
            reverse("annotations:annotation_list_hx", args=[project.slug, document.pk]),
            {"HX-Request": "true"},
        ),
    ]:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store", url


def test_pages_that_set_a_cookie_are_not_stored(client, db):
    response = client.get("/")  # anonymous: the front page and its sign-in form

    assert "csrftoken" in response.cookies
    assert response["Cache-Control"] == "private, no-store"


def test_a_view_that_chose_its_cache_control_keeps_it(client, members):
    client.force_login(members["owner"])

    response = client.get(reverse("healthz"))

    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_static_files_keep_their_own_caching(members, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    settings.WHITENOISE_MAX_AGE = 3600
    client = Client()  # a fresh handler, so WhiteNoise reads these settings
    client.force_login(members["owner"])

    response = client.get("/static/css/app.css")

    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=3600, public"
    response.close()


def test_a_csrf_failure_is_the_apps_page_without_inline_style(db):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(LOGIN, {"username": "reader", "password": "x"})

    assert response.status_code == 403
    html = response.content.decode()
    assert "This form could not be sent" in html
    assert "<style" not in html
    assert policy(response) == POLICY
