"""Import from the web: upload a batch, review each file, then save.

An upload is parsed at once so that refused files are reported straight away;
the accepted ones wait as PendingImport rows until their importer reviews the
detected format, metadata and first paragraphs and confirms.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from corpus import importers, services
from corpus.access import HtmxHttpRequest, membership_for
from corpus.forms import ReviewForm, UploadForm
from corpus.models import Document, PendingImport, content_hash
from corpus.roles import Action

PREVIEW_BLOCKS = 4


@dataclass
class FileReport:
    filename: str
    ok: bool
    message: str
    url: str = ""


@dataclass
class Review:
    """What the review step shows for one pending upload."""

    pending: PendingImport
    form: ReviewForm
    imported: importers.ImportedText | None = None
    error: str = ""
    duplicate: Document | None = None

    @property
    def preview(self) -> list[str]:
        imported = self.imported
        return [
            imported.text[b.start : b.end] for b in imported.blocks[:PREVIEW_BLOCKS]
        ]

    @property
    def format_label(self) -> str:
        return importers.FORMATS.get(self.imported.format, self.imported.format)


def _parse(pending: PendingImport, format: str | None) -> importers.ImportedText:
    return importers.import_bytes(
        bytes(pending.data),
        filename=pending.filename,
        format=format or None,
        max_bytes=settings.APPARATUS_MAX_UPLOAD_BYTES,
    )


def _review(pending: PendingImport, data=None) -> Review:
    form = ReviewForm(data)
    chosen = form.data.get("format") if data is not None else None
    try:
        imported = _parse(pending, chosen)
    except importers.ImportRefused as error:
        return Review(pending=pending, form=form, error=str(error))
    boilerplate = [
        (
            index,
            imported.text[imported.blocks[index].start : imported.blocks[index].end],
        )
        for index in imported.boilerplate
    ]
    form = ReviewForm(data, boilerplate=boilerplate, initial={"format": chosen or ""})
    duplicate = (
        Document.objects.filter(
            project=pending.project, content_hash=content_hash(imported.text)
        )
        .only("pk", "title", "project__slug")
        .select_related("project")
        .first()
    )
    return Review(pending=pending, form=form, imported=imported, duplicate=duplicate)


def _pendings(membership, user):
    """The uploads `user` left for review in this project."""
    return PendingImport.objects.filter(
        project=membership.project, uploaded_by=user
    ).select_related("project")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def import_upload(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    membership = membership_for(request, slug, Action.IMPORT)
    project = membership.project
    form = UploadForm(
        *([request.POST, request.FILES] if request.method == "POST" else [])
    )
    reports: list[FileReport] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            reports = [
                _stage(request, membership, upload)
                for upload in form.cleaned_data["files"]
            ]
            if not any(report.ok for report in reports):
                status = 400
        else:
            status = 400
    context = {
        "project": project,
        "membership": membership,
        "form": form,
        "reports": reports,
        "pending_count": _pendings(membership, request.user).count(),
        "max_mb": settings.APPARATUS_MAX_UPLOAD_BYTES / (1024 * 1024),
    }
    template = (
        "corpus/_import_reports.html" if request.htmx else "corpus/import_upload.html"
    )
    return render(request, template, context, status=status)


def _stage(request: HtmxHttpRequest, membership, upload) -> FileReport:
    name = upload.name
    limit = settings.APPARATUS_MAX_UPLOAD_BYTES
    if upload.size > limit:
        return FileReport(
            name,
            False,
            f"{name} is {upload.size / 1048576:.1f} MB; "
            f"the limit is {limit / 1048576:.1f} MB.",
        )
    data = upload.read()
    try:
        imported = importers.import_bytes(data, filename=name, max_bytes=limit)
    except importers.ImportRefused as error:
        return FileReport(name, False, str(error))
    services.stage_upload(
        project=membership.project, user=request.user, filename=name, data=data
    )
    label = importers.FORMATS.get(imported.format, imported.format)
    return FileReport(name, True, f"Ready for review: {label}, “{imported.title}”.")


@require_safe
@login_required
def import_review(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    membership = membership_for(request, slug, Action.IMPORT)
    pendings = _pendings(membership, request.user)
    return render(
        request,
        "corpus/import_review.html",
        {
            "project": membership.project,
            "membership": membership,
            "reviews": [_review(pending) for pending in pendings],
        },
    )


def _pending_or_404(request: HtmxHttpRequest, membership, pk: int) -> PendingImport:
    return get_object_or_404(
        PendingImport.objects.select_related("project"),
        project=membership.project,
        uploaded_by=request.user,
        pk=pk,
    )


def _save(request: HtmxHttpRequest, review: Review) -> FileReport:
    """Save one reviewed upload; its pending row goes unless the save failed."""
    pending = review.pending
    if review.imported is None:
        return FileReport(pending.filename, False, review.error)
    if not review.form.is_valid():
        return FileReport(pending.filename, False, "Choose a listed format and blocks.")
    imported = review.imported
    drop = review.form.cleaned_data["drop"]
    if drop:
        imported = importers.drop_blocks(imported, drop)
    try:
        document = services.save_document(
            project=pending.project,
            imported=imported,
            original=bytes(pending.data),
            filename=pending.filename,
            imported_by=request.user,
        )
    except services.DuplicateDocument as error:
        pending.delete()
        return FileReport(
            pending.filename, False, error.message, error.existing.get_absolute_url()
        )
    except ValidationError as error:
        return FileReport(pending.filename, False, " ".join(error.messages))
    pending.delete()
    return FileReport(
        pending.filename,
        True,
        f"Imported as “{document.title}”.",
        document.get_absolute_url(),
    )


@require_POST
@login_required
def import_confirm(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.IMPORT)
    pending = _pending_or_404(request, membership, pk)
    review = _review(pending, request.POST)
    if request.POST.get("action") == "preview":
        if request.htmx:
            return render(
                request,
                "corpus/_import_review_item.html",
                {"review": review, "project": membership.project},
            )
        return render(
            request,
            "corpus/import_review.html",
            {
                "project": membership.project,
                "membership": membership,
                "reviews": [review],
            },
        )
    report = _save(request, review)
    if request.htmx:
        return render(
            request,
            "corpus/_import_report.html",
            {"report": report},
            status=200 if report.ok else 400,
        )
    (messages.success if report.ok else messages.error)(request, report.message)
    return redirect("corpus:import_review", slug=slug)


@require_POST
@login_required
def import_discard(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.IMPORT)
    pending = _pending_or_404(request, membership, pk)
    pending.delete()
    report = FileReport(pending.filename, True, "Discarded; nothing was imported.")
    if request.htmx:
        return render(request, "corpus/_import_report.html", {"report": report})
    messages.info(request, report.message)
    return redirect("corpus:import_review", slug=slug)


@require_POST
@login_required
def import_all(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Save every pending upload of this user with the detected settings."""
    membership = membership_for(request, slug, Action.IMPORT)
    pendings = _pendings(membership, request.user)
    reports = [_save(request, _review(pending, {})) for pending in pendings]
    return render(
        request,
        "corpus/import_done.html",
        {"project": membership.project, "membership": membership, "reports": reports},
    )
