"""`manage.py import_project FILE [--slug NEW]`: a backup restored as a project."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from annotations.backup import ArchiveRefused, restore

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Restore a backup written by export_project (or downloaded from a "
        "project's settings) as a new project, all or nothing. People are "
        "matched by username; those this server lacks are created inactive."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the archive")
        parser.add_argument("--slug", help="a new address for the project")
        parser.add_argument("--name", help="a new name for the project")

    def handle(self, *args, file: str, slug=None, name=None, **options) -> None:
        # Progress is not an error: no red on a terminal.
        self.stderr.style_func = None
        interactive = getattr(self.stderr, "isatty", lambda: False)()
        shown = [-1]

        def progress(done: int, total: int) -> None:
            percent = 100 * done // max(total, 1)
            if percent == shown[0] or (not interactive and percent % 10):
                return
            shown[0] = percent
            filled = BAR_WIDTH * done // max(total, 1)
            bar = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} rows"
            if interactive:
                self.stderr.write(f"\r{bar}", ending="")
                self.stderr.flush()
            else:
                self.stderr.write(bar)

        try:
            project = restore.restore(file, slug=slug, name=name, progress=progress)
        except ArchiveRefused as error:
            raise CommandError(str(error)) from None
        if interactive:
            self.stderr.write("")
        self.stdout.write(f"Restored “{project.name}” as /p/{project.slug}/.")
