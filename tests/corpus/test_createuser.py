"""`manage.py createuser`: accounts (and memberships) from scripts."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from corpus.models import Membership
from corpus.roles import Role
from tests import ready
from tests.factories import make_project, make_user

NEW_PASSWORD = "a long and new passphrase"
BASE_DIR = Path(__file__).resolve().parents[2]


def _run(*args, stdin: str = "") -> str:
    out = io.StringIO()
    call_command("createuser", *args, stdin=io.StringIO(stdin), stdout=out)
    return out.getvalue()


def test_creates_an_account_with_a_password_from_stdin(db):
    output = _run(
        "ada",
        "--email",
        "ada@example.org",
        "--password-stdin",
        stdin=(f"{NEW_PASSWORD}\n"),
    )

    ada = get_user_model().objects.get(username="ada")
    assert ada.email == "ada@example.org"
    assert ada.check_password(NEW_PASSWORD)
    assert ada.is_active and not ada.is_staff and not ada.is_superuser
    assert output == "Created ada.\n"
    assert NEW_PASSWORD not in output


def test_a_random_password_is_printed_once_and_works(db):
    output = _run("ada", "--random-password")

    password = output.split("Password (shown only now): ")[1].strip()
    assert len(password) >= 20
    assert get_user_model().objects.get(username="ada").check_password(password)


def test_two_random_passwords_differ(db):
    first = _run("ada", "--random-password").split(": ")[1]
    second = _run("bob", "--random-password").split(": ")[1]

    assert first != second


def test_joins_a_project_with_a_role_and_may_be_staff(db):
    project = make_project(slug="trees")

    output = _run(
        "ada",
        "--random-password",
        "--project",
        "trees",
        "--role",
        "curator",
        "--staff",
    )

    ada = get_user_model().objects.get(username="ada")
    assert ada.is_staff and not ada.is_superuser
    assert Membership.objects.get(project=project, user=ada).role == Role.CURATOR
    assert output.startswith(f"Created ada, Curator of “{project.name}”.\n")


@pytest.mark.parametrize("username", ["ada", "ADA"])
def test_an_existing_username_is_refused_and_nothing_changes(db, username):
    existing = make_user("ada")
    before = existing.password

    with pytest.raises(CommandError, match=f"The username “{username}” is taken."):
        _run(username, "--random-password")

    existing.refresh_from_db()
    assert existing.password == before
    assert get_user_model().objects.count() == 1


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--password-stdin"], "password\n", "This password is too common."),
        (["--password-stdin"], "ada-ada-ada\n", "too similar to the username"),
        (["--password-stdin"], "\n", "No password on stdin."),
        (["--password-stdin"], "", "No password on stdin."),
        (["--random-password", "--project", "nowhere", "--role", "viewer"], "", "No "
         "project “nowhere”."),
        (["--random-password", "--project", "trees"], "", "--project and --role go "
         "together."),
        (["--random-password", "--role", "viewer"], "", "go together"),
        (["--random-password", "--email", "not an address"], "", "Email: Enter a "
         "valid email address."),
    ],
)  # fmt: skip
def test_a_refusal_says_why_and_creates_nothing(db, args, stdin, message):
    make_project(slug="trees")

    with pytest.raises(CommandError, match=message):
        _run("ada-ada-ada" if "similar" in message else "ada", *args, stdin=stdin)

    assert not get_user_model().objects.exists()
    assert not Membership.objects.exists()


def test_a_username_with_characters_no_username_may_have_is_refused(db):
    with pytest.raises(CommandError, match="Username: Enter a valid username"):
        _run("ada lovelace!", "--random-password")


def test_a_password_option_is_required(db):
    with pytest.raises(CommandError, match="--password-stdin --random-password"):
        _run("ada")


def test_from_a_shell_an_existing_username_exits_with_status_1(
    db, tmp_path, migrated_sqlite
):
    """The command as a script runs it: stdin piped, exit status checked."""
    env = {
        **os.environ,
        "APPARATUS_VAR_DIR": str(tmp_path),
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": "",
    }
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    ready.copy_sqlite(migrated_sqlite, tmp_path)
    command = [*manage, "createuser", "ada", "--password-stdin"]

    first = subprocess.run(
        command, input=f"{NEW_PASSWORD}\n", env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    again = subprocess.run(
        command, input=f"{NEW_PASSWORD}\n", env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip

    assert first.returncode == 0, first.stderr
    assert first.stdout == "Created ada.\n"
    assert again.returncode == 1
    assert "The username “ada” is taken." in again.stderr
