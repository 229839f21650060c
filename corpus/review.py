"""What the import review page reads: the uploads of one importer in a project,
each as a review item (its kept summary, its choices' form, a document that
already holds its text), and the counts at the top."""

from __future__ import annotations

from dataclasses import dataclass

from corpus import importers
from corpus.forms import ReviewForm
from corpus.models import Document, PendingImport

Status = PendingImport.Status
POLL_SECONDS = 2
# The states in which the importer may change the choices, and import.
REVIEWABLE = frozenset({Status.READY, Status.FAILED, Status.REFUSED})
IMPORTABLE = frozenset({Status.READY, Status.FAILED})


@dataclass
class FileReport:
    filename: str
    ok: bool
    message: str
    # An upload kept for review (even one that could not be read).
    kept: bool = False


@dataclass
class ImportItem:
    """One upload as the review page shows it."""

    pending: PendingImport
    form: ReviewForm | None = None
    duplicate: Document | None = None

    @property
    def token(self) -> str:
        """What the page last saw of a busy upload; the poll compares it."""
        stale = ":stale" if self.pending.is_stale else ""
        return f"{self.pending.pk}:{self.pending.status}{stale}"

    @property
    def format_label(self) -> str:
        format = self.pending.summary.get("format", "")
        return importers.FORMATS.get(format, format)


def pendings(membership, user):
    """The uploads `user` made in this project, without their bulk (nor the
    texts of the documents they became: the page shows their titles)."""
    return (
        PendingImport.objects.filter(project=membership.project, uploaded_by=user)
        .defer("data", "parsed")
        .select_related("document")
        .defer(*(f"document__{name}" for name in Document.HEAVY_FIELDS))
    )


def review_form(pending: PendingImport, data=None) -> ReviewForm:
    summary = pending.summary
    return ReviewForm(
        data,
        initial={
            "format": pending.choices.get("format", ""),
            "title": pending.chosen("title"),
            "authors": pending.chosen("authors") or [],
            "published_date": pending.chosen("published_date"),
            "drop": pending.choices.get("drop", []),
        },
        boilerplate=[(index, text) for index, text in summary.get("boilerplate", [])],
        readable=pending.status in IMPORTABLE and bool(summary),
        auto_id=f"pending-{pending.pk}-%s",
    )


def items(pendings: list[PendingImport], forms: dict | None = None):
    """Review items, with the documents that already hold the same text."""
    hashes = {
        p.summary["content_hash"]
        for p in pendings
        if p.status in IMPORTABLE and p.summary.get("content_hash")
    }
    duplicates = {}
    if hashes:
        found = Document.all_objects.filter(
            project=pendings[0].project_id, content_hash__in=hashes
        ).only("pk", "title", "trashed_at", "content_hash")
        duplicates = {d.content_hash: d for d in found}
    forms = forms or {}
    return [
        ImportItem(
            pending=p,
            form=forms.get(p.pk)
            or (review_form(p) if p.status in REVIEWABLE else None),
            duplicate=duplicates.get(p.summary.get("content_hash"))
            if p.status == Status.READY
            else None,
        )
        for p in pendings
    ]


def summary(pendings: list[PendingImport]) -> dict:
    """Counts for the summary at the top of the review: ready, busy, done."""
    count = {status: 0 for status in Status}
    for pending in pendings:
        count[pending.status] += 1
    reading = count[Status.QUEUED] + count[Status.PARSING]
    importing = count[Status.IMPORT_QUEUED] + count[Status.IMPORTING]
    busy = []
    if reading:
        busy.append(f"reading {reading} file{'s' if reading > 1 else ''}")
    if importing:
        busy.append(f"importing {importing} file{'s' if importing > 1 else ''}")
    return {
        "ready": count[Status.READY],
        "imported": count[Status.IMPORTED],
        "busy": reading + importing,
        "busy_text": " and ".join(busy).capitalize(),
        "total": len(pendings),
        "settled": len(pendings) - reading - importing,
    }


def review_context(membership, pendings: list[PendingImport], **extra) -> dict:
    return {
        "project": membership.project,
        "membership": membership,
        "summary": summary(pendings),
        "poll_seconds": POLL_SECONDS,
        **extra,
    }


def staged(name: str, pending: PendingImport) -> FileReport:
    """What the upload page says of a file kept for review."""
    if pending.status == Status.READY:
        label = importers.FORMATS.get(pending.summary["format"], "")
        title = pending.summary["title"]
        message = f"Ready for review: {label}, “{title}”."
        return FileReport(name, True, message, kept=True)
    if pending.status == Status.REFUSED:
        return FileReport(
            name,
            False,
            f"{pending.message} It is kept on the review page, where another "
            "format can be chosen.",
            kept=True,
        )
    return FileReport(
        name,
        True,
        f"Accepted ({pending.size / 1048576:.1f} MB): it is being read in the "
        "background; the review page shows its progress.",
        kept=True,
    )


def outcome(pending: PendingImport) -> FileReport:
    """What the review says of an upload sent for import."""
    if pending.status == Status.IMPORTED:
        title = pending.document.title if pending.document else pending.filename
        message = f"Imported as “{title}”."
    elif pending.status == Status.FAILED:
        message = f"Not imported. {pending.message}"
    else:
        message = "Being imported in the background; this page shows its progress."
    return FileReport(pending.filename, pending.status != Status.FAILED, message)
