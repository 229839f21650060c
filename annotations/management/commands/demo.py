"""`manage.py demo`: a demo project, its owner account and a few texts to annotate,
with a few annotations on them (so it is the annotations app's command).

Safe to run again: an existing account, project or text is left as it is. The
account's password is random, chosen and printed once, when it is created.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from annotations.models import Annotation
from annotations.services import create_annotation, create_reply, get_or_create_tag
from corpus.importers import ImportRefused
from corpus.models import Project
from corpus.roles import Role
from corpus.services import DuplicateDocument, create_project, import_file

DEMO_TEXTS_DIR = Path(__file__).resolve().parents[2] / "demo"
PROJECT_NAME = "Demo: Street trees and summer heat"
PROJECT_DESCRIPTION = (
    "A small made-up corpus about shading a town's hottest streets with trees: "
    "a council brief, volunteers' survey notes and a local news report."
)
USERNAME = "demo"


class Command(BaseCommand):
    help = (
        "Create a demo project with a few texts and its owner account 'demo'. "
        "Development databases only."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DJANGO_DEBUG is off (not for production databases).",
        )

    def handle(self, *args, force: bool, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DJANGO_DEBUG is off: a demo account does not belong in a production "
                "database. Use --force if this database really is a throw-away one."
            )
        with transaction.atomic():
            user, password = self._demo_user()
            project = self._demo_project(user)
            added = self._import_texts(project, user)
            self._annotate(project, user)

        count = project.documents.count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo project “{project.name}”: {count} texts ({added} new), "
                f"at {project.get_absolute_url()}"
            )
        )
        if password:
            self.stdout.write(
                self.style.WARNING(
                    "Created the demo account; its password is shown only this once:\n"
                    f"    username: {USERNAME}\n"
                    f"    password: {password}"
                )
            )
        else:
            self.stdout.write(
                f"Demo account: username “{USERNAME}” (password chosen when it was "
                "created; to set a new one: "
                f"python manage.py changepassword {USERNAME})"
            )

    def _demo_user(self):
        """The demo account, and its new password if it was just created."""
        user_model = get_user_model()
        user = user_model.objects.filter(username=USERNAME).first()
        if user is not None:
            return user, None
        password = secrets.token_urlsafe(12)
        user = user_model.objects.create_user(username=USERNAME, password=password)
        return user, password

    def _demo_project(self, user) -> Project:
        project = Project.objects.filter(
            name=PROJECT_NAME, memberships__user=user, memberships__role=Role.OWNER
        ).first()
        if project is None:
            project = create_project(
                name=PROJECT_NAME, owner=user, description=PROJECT_DESCRIPTION
            )
        return project

    def _annotate(self, project: Project, user) -> None:
        """A few annotations, tags and a reply, so the reading view shows its work."""
        if Annotation.objects.filter(project=project).exists():
            return
        notes = [
            (
                "street-trees-brief.md",
                "more than twenty degrees warmer than the air",
                "Source of this figure? The **volunteer survey** measured pavement.",
                ["measurement", "heat"],
            ),
            (
                "street-trees-brief.md",
                "eleven degrees cooler",
                "Compare the *Harwick Weekly* report, which gives the same number.",
                ["measurement"],
            ),
            (
                "riverside-planting-article.txt",
                "found the eastern estates consistently "
                "warmer than the older streets near the river",
                "Supports the brief's claim about unequal canopy.",
                ["heat", "equity"],
            ),
        ]
        first = None
        for filename, quote, body, tag_names in notes:
            document = project.documents.filter(original_filename=filename).first()
            if document is None or quote not in document.text:
                continue
            start = document.text.index(quote)
            annotation = create_annotation(
                document=document,
                author=user,
                start=start,
                end=start + len(quote),
                exact=quote,
                body=body,
                tags=[get_or_create_tag(project=project, name=n) for n in tag_names],
            )
            first = first or annotation
        if first is not None:
            create_reply(
                annotation=first,
                author=user,
                body="Checked: the brief cites the airport station's air readings.",
            )

    def _import_texts(self, project: Project, user) -> int:
        """Import the demo texts the project does not have yet; return how many."""
        added = 0
        for path in sorted(DEMO_TEXTS_DIR.iterdir()):
            if not path.is_file() or path.name.startswith("."):
                continue
            # Matched by file name, not text, so that a change in the importers
            # does not bring a second copy of the same text.
            if project.documents.filter(original_filename=path.name).exists():
                continue
            try:
                import_file(
                    project=project,
                    data=path.read_bytes(),
                    filename=path.name,
                    imported_by=user,
                )
            except DuplicateDocument:
                continue
            except ImportRefused as error:
                raise CommandError(f"Demo text {path.name}: {error}") from error
            added += 1
        return added
