"""`manage.py createuser`: an account (and a membership) from a script, without
the admin. The password is read from stdin, or made up and printed once; either
way it passes the site's password validators.
"""

from __future__ import annotations

import secrets
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from corpus import services
from corpus.models import Project
from corpus.roles import Role


class Command(BaseCommand):
    help = (
        "Create an account, with a password read from stdin or made up, and "
        "optionally make it a member of a project."
    )
    # Tests hand the password in through call_command(stdin=...).
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="", help="The account's address.")
        password = parser.add_mutually_exclusive_group(required=True)
        password.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of stdin.",
        )
        password.add_argument(
            "--random-password",
            action="store_true",
            help="Make up a password and print it, once.",
        )
        parser.add_argument(
            "--project",
            metavar="SLUG",
            help="Make the account a member of this project (with --role).",
        )
        parser.add_argument(
            "--role", choices=Role.values, help="Its role there (with --project)."
        )
        parser.add_argument(
            "--staff", action="store_true", help="May sign in to the admin."
        )

    def handle(self, *args, **options):
        if bool(options["project"]) != bool(options["role"]):
            raise CommandError("--project and --role go together.")
        if options["random_password"]:
            password = secrets.token_urlsafe(16)
        else:
            line = (options.get("stdin") or sys.stdin).readline()
            password = line.removesuffix("\n").removesuffix("\r")
            if not password:
                raise CommandError("No password on stdin.")
        project = None
        if options["project"]:
            project = Project.objects.live().filter(slug=options["project"]).first()
            if project is None:
                raise CommandError(f"No project “{options['project']}”.")
        try:
            with transaction.atomic():
                user = services.create_account(
                    username=options["username"],
                    email=options["email"],
                    password=password,
                    staff=options["staff"],
                )
                if project is not None:
                    services.add_member(
                        project=project, user=user, role=options["role"]
                    )
        except ValidationError as error:
            raise CommandError(_message(error)) from None
        joined = f", {Role(options['role']).label} of “{project}”" if project else ""
        self.stdout.write(f"Created {user.get_username()}{joined}.")
        if options["random_password"]:
            self.stdout.write(f"Password (shown only now): {password}")


def _message(error: ValidationError) -> str:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return " ".join(
        f"{field.capitalize()}: {' '.join(ValidationError(errors).messages)}"
        for field, errors in error.error_dict.items()
    )
