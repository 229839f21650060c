"""`manage.py rebuild_search_index [SLUG ...]`: the search index made again."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from annotations.services import search
from corpus.models import Project


class Command(BaseCommand):
    help = (
        "Make the search index of every project (or of those named) again from "
        "their documents, notes, replies and tags; each project in a transaction."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slugs", nargs="*", metavar="SLUG")

    def handle(self, *args, slugs, **options) -> None:
        projects = Project.objects.order_by("pk")
        if slugs:
            projects = projects.filter(slug__in=slugs)
            missing = set(slugs) - set(projects.values_list("slug", flat=True))
            if missing:
                raise CommandError(
                    f"No project with the slug {', '.join(sorted(missing))}."
                )
        # Progress is not an error: no red on a terminal.
        self.stderr.style_func = None

        def progress(slug: str, done: int, total: int) -> None:
            self.stderr.write(
                f"{slug}: {done}/{total} documents",
                ending="\r" if done < total else "\n",
            )

        made = 0
        for project in projects:
            with transaction.atomic():
                made += search.rebuild([project], progress=progress)
        self.stdout.write(f"Indexed {made} pieces of {projects.count()} project(s).")
