"""`manage.py export_project SLUG FILE`: the project's whole backup archive."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotations.backup import archive
from corpus.models import Project


class Command(BaseCommand):
    help = (
        "Write a project's backup: every document (with its original upload), "
        "annotation, reply, link, tag, relation type, history entry and "
        "membership, as one zip archive that import_project restores."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="the project's address (its slug)")
        parser.add_argument("file", help="the archive to write ('-': standard output)")

    def handle(self, *args, slug: str, file: str, **options) -> None:
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            raise CommandError(f"No project with the slug “{slug}”.")
        if file == "-":
            out = self.stdout._out.buffer
            for piece in archive.write(project):
                out.write(piece)
            out.flush()
            return
        target = Path(file)
        # Written beside and renamed at the end: a failure leaves no half archive.
        partial = target.with_name(target.name + ".partial")
        size = 0
        try:
            with partial.open("wb") as out:
                for piece in archive.write(project):
                    out.write(piece)
                    size += len(piece)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        self.stderr.write(f"Wrote {target} ({size / 1048576:.1f} MB).")
