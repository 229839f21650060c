"""Import text files (or folders of them) into a project from the command line."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from corpus.importers import FORMATS, ImportRefused
from corpus.models import Project
from corpus.services import DuplicateDocument, import_file

PATTERNS = ("*.txt", "*.md", "*.markdown", "*.html", "*.htm")
BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Import text, Markdown and HTML files into a project."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--project", required=True, help="the project's slug")
        parser.add_argument(
            "--format", choices=sorted(FORMATS), help="skip detection; use this format"
        )
        parser.add_argument("--user", help="username recorded as the importer")

    def handle(self, *args, paths, project, format=None, user=None, **options):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"No project with the slug “{project}”.")
        importer = None
        if user:
            importer = get_user_model().objects.filter(username=user).first()
            if importer is None:
                raise CommandError(f"No user named “{user}”.")
        files = collect_files(paths)
        if not files:
            raise CommandError("No .txt, .md or .html files found in the given paths.")
        imported, duplicates, refused = 0, 0, []
        # Progress is not an error: no red on a terminal.
        self.stderr.style_func = None
        progress = Progress(len(files), self.stderr)
        for path in files:
            progress.step(path.name)
            try:
                import_file(
                    project=target,
                    data=path.read_bytes(),
                    filename=path.name,
                    imported_by=importer,
                    format=format,
                    max_bytes=settings.APPARATUS_MAX_UPLOAD_BYTES,
                )
            except DuplicateDocument:
                duplicates += 1
            except (ImportRefused, OSError) as error:
                refused.append((path, str(error)))
            except ValidationError as error:
                refused.append((path, "; ".join(error.messages)))
            else:
                imported += 1
        progress.finish()
        self.stdout.write(
            f"Imported {imported}, skipped {duplicates} duplicate(s), "
            f"refused {len(refused)}."
        )
        for path, reason in refused:
            self.stdout.write(f"  refused {path}: {reason}")
        if refused:
            raise CommandError(f"{len(refused)} file(s) were refused.", returncode=1)


def collect_files(paths: list[str]) -> list[Path]:
    """The files named, and the text files found under the folders named."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for pattern in PATTERNS:
                found.extend(p for p in path.rglob(pattern) if p.is_file())
        elif path.exists():
            found.append(path)
        else:
            raise CommandError(f"{name} does not exist.")
    return sorted(set(found))


class Progress:
    """A textual progress bar: redrawn in place on a terminal, a line per file else."""

    def __init__(self, total: int, stream):
        self.total, self.done, self.stream = total, 0, stream
        self.interactive = getattr(stream, "isatty", lambda: False)()

    def step(self, label: str) -> None:
        self.done += 1
        filled = BAR_WIDTH * self.done // self.total
        bar = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.done}/{self.total}"
        if self.interactive:
            self.stream.write(f"\r{bar} {label[:40]:<40}", ending="")
            self.stream.flush()
        else:
            self.stream.write(f"{bar} {label}")

    def finish(self) -> None:
        if self.interactive:
            self.stream.write("")
