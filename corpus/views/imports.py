"""Import from the web: upload a batch, review each file, then import.

Each upload is parsed once, at upload (by the background worker when it is
large, corpus/tasks.py), and the result kept with it; the review page only
reads what was kept. The importer's choices (format, boilerplate to leave out,
title, authors, date) are saved with each upload, as they change when
JavaScript runs, with "Save choices" otherwise; importing, one file or all,
uses what was saved, each file all or nothing. While the worker has files in
hand, the page's summary polls `import_progress_hx`, which answers with the
files whose state changed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from corpus import importers, review, services
from corpus.access import HtmxHttpRequest, membership_for
from corpus.forms import UploadForm
from corpus.models import PendingImport
from corpus.params import parse_id
from corpus.roles import Action

Status = PendingImport.Status


def _pending_or_404(request: HtmxHttpRequest, membership, pk: int) -> PendingImport:
    pendings = review.pendings(membership, request.user)
    if request.method == "POST":
        # Locked for the request's transaction (AtomicWritesMiddleware): two
        # tabs acting on one upload take turns, and the second sees what the
        # first did (imported, or in the worker's hands) instead of doing it
        # again.
        pendings = pendings.select_for_update(of=("self",))
    return get_object_or_404(pendings.select_related("project"), pk=pk)


def _page(request: HtmxHttpRequest, membership, *, forms=None, status=200):
    """The review page (or its region, for htmx), from the kept results only."""
    pendings = list(review.pendings(membership, request.user))
    context = review.review_context(
        membership, pendings, items=review.items(pendings, forms)
    )
    template = (
        "corpus/_import_review.html" if request.htmx else "corpus/import_review.html"
    )
    return render(request, template, context, status=status)


def _changes(
    request: HtmxHttpRequest,
    membership,
    changed: list[PendingImport],
    *,
    forms=None,
    gone=(),
    polled=False,
    status=200,
) -> HttpResponse:
    """The changed review items and the summary; one of them is the target, the
    other goes out of band (the summary when an item was acted on, the items
    when the summary polled)."""
    pendings = list(review.pendings(membership, request.user))
    context = review.review_context(
        membership,
        pendings,
        items=review.items(changed, forms) if changed else [],
        gone=gone,
        items_oob=polled,
        summary_oob=not polled,
    )
    return render(request, "corpus/_import_changes.html", context, status=status)


def _after(
    request: HtmxHttpRequest,
    membership,
    pending: PendingImport,
    report: review.FileReport,
) -> HttpResponse:
    """Answer an action on one upload: its card (htmx), or back to the review.

    A failed import is an outcome, recorded on the upload, not a bad request.
    """
    if request.htmx:
        return _changes(request, membership, [pending])
    (messages.success if report.ok else messages.error)(
        request, f"{report.filename}: {report.message}"
    )
    url = reverse("corpus:import_review", args=[membership.project.slug])
    return redirect(f"{url}#pending-{pending.pk}")


def _refreshed(membership, request, pending: PendingImport) -> PendingImport | None:
    return review.pendings(membership, request.user).filter(pk=pending.pk).first()


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@vary_on_headers("HX-Request")
def import_upload(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    membership = membership_for(request, slug, Action.IMPORT)
    project = membership.project
    form = UploadForm(
        *([request.POST, request.FILES] if request.method == "POST" else [])
    )
    reports: list[review.FileReport] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            budget = services.InlineBudget()
            reports = [
                _stage(request, membership, upload, budget)
                for upload in form.cleaned_data["files"]
            ]
            if not any(report.kept for report in reports):
                status = 400
        else:
            status = 400
    pending_count = (
        review.pendings(membership, request.user)
        .exclude(status=Status.IMPORTED)
        .count()
    )
    context = {
        "project": project,
        "membership": membership,
        "form": form,
        "reports": reports,
        "pending_count": pending_count,
        "max_mb": settings.APPARATUS_MAX_UPLOAD_BYTES / (1024 * 1024),
    }
    template = (
        "corpus/_import_reports.html" if request.htmx else "corpus/import_upload.html"
    )
    return render(request, template, context, status=status)


def _stage(request: HtmxHttpRequest, membership, upload, budget) -> review.FileReport:
    # Control characters (a NUL among them) cannot be stored in a file name.
    name = "".join(c for c in upload.name if c.isprintable()) or "upload.txt"
    limit = settings.APPARATUS_MAX_UPLOAD_BYTES
    if upload.size > limit:
        return review.FileReport(
            name,
            False,
            f"{name} is {upload.size / 1048576:.1f} MB; "
            f"the limit is {limit / 1048576:.1f} MB.",
        )
    try:
        pending = services.stage_upload(
            project=membership.project,
            user=request.user,
            filename=name,
            data=upload.read(),
            budget=budget,
        )
    except importers.ImportRefused as error:
        return review.FileReport(name, False, str(error))
    pending.refresh_from_db(fields=["status", "message", "summary"])
    return review.staged(name, pending)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def import_review(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    membership = membership_for(request, slug, Action.IMPORT)
    return _page(request, membership)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def import_progress_hx(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The summary, polled while files are busy, with the files whose state
    differs from what the page showed (`seen`: "pk:status" of each busy file)."""
    membership = membership_for(request, slug, Action.IMPORT)
    if not request.htmx:
        return redirect("corpus:import_review", slug=slug)
    seen = {}
    for token in request.GET.getlist("seen")[:1000]:
        pk = parse_id(token.split(":", 1)[0])
        if pk is not None:
            seen[pk] = token
    current = {
        item.pending.pk: item
        for item in map(review.ImportItem, review.pendings(membership, request.user))
        if item.pending.pk in seen
    }
    changed = [i.pending for pk, i in current.items() if i.token != seen[pk]]
    gone = [pk for pk in seen if pk not in current]
    return _changes(request, membership, changed, gone=gone, polled=True)


@require_POST
@login_required
def import_choices(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Save the review choices of one upload; a new format has it read again."""
    membership = membership_for(request, slug, Action.IMPORT)
    pending = _pending_or_404(request, membership, pk)
    if pending.status not in review.REVIEWABLE:
        return _busy(request, membership, pending)
    form = review.review_form(pending, request.POST)
    if not form.is_valid():
        return _invalid(request, membership, pending, form)
    reread = services.save_review_choices(
        pending=pending, **form.choices(), budget=services.InlineBudget()
    )
    was = pending.status
    pending = _refreshed(membership, request, pending)
    if request.htmx and not reread and pending.status == was:
        # Saved as the importer types: only the note beside the button changes.
        context = {"pending": pending, "saved": True}
        return render(request, "corpus/_import_saved.html", context)
    if request.htmx:
        response = _changes(request, membership, [pending])
        return reswap(retarget(response, f"#pending-{pending.pk}"), "outerHTML")
    message = "Choices saved."
    if reread:
        message = "Read again in the chosen format: check it before importing."
    return _after(
        request, membership, pending, review.FileReport(pending.filename, True, message)
    )


def _busy(request: HtmxHttpRequest, membership, pending) -> HttpResponse:
    """The upload is in the worker's hands, or done: its card as it is now."""
    if request.htmx:
        return _changes(request, membership, [pending], status=409)
    messages.info(
        request, f"{pending.filename}: {pending.get_status_display().lower()}."
    )
    return redirect("corpus:import_review", slug=membership.project.slug)


def _invalid(request: HtmxHttpRequest, membership, pending, form) -> HttpResponse:
    """Choices that do not validate: shown with their errors, nothing saved."""
    if request.htmx and request.htmx.target == f"pending-{pending.pk}-saved":
        return render(
            request,
            "corpus/_import_saved.html",
            {"pending": pending, "form": form},
            status=400,
        )
    if request.htmx:
        forms = {pending.pk: form}
        response = _changes(request, membership, [pending], forms=forms, status=400)
        return reswap(retarget(response, f"#pending-{pending.pk}"), "outerHTML")
    return _page(request, membership, forms={pending.pk: form}, status=400)


@require_POST
@login_required
def import_confirm(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Import one upload with the choices posted (saved first), all or nothing."""
    membership = membership_for(request, slug, Action.IMPORT)
    pending = _pending_or_404(request, membership, pk)
    if pending.status not in review.IMPORTABLE:
        return _busy(request, membership, pending)
    form = review.review_form(pending, request.POST)
    if not form.is_valid():
        return _invalid(request, membership, pending, form)
    budget = services.InlineBudget()
    if services.save_review_choices(pending=pending, **form.choices(), budget=budget):
        pending = _refreshed(membership, request, pending)
        report = review.FileReport(
            pending.filename,
            True,
            "The format changed, so it was read again: check it, then import.",
        )
        return _after(request, membership, pending, report)
    services.start_import(pending=pending, budget=budget)
    pending = _refreshed(membership, request, pending)
    return _after(request, membership, pending, review.outcome(pending))


@require_POST
@login_required
def import_discard(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Forget an upload (whatever its state); a document it became stays."""
    membership = membership_for(request, slug, Action.IMPORT)
    pending = _pending_or_404(request, membership, pk)
    done = pending.status == Status.IMPORTED
    pending.delete()
    message = "Removed from this list." if done else "Discarded; nothing was imported."
    if request.htmx:
        pendings = list(review.pendings(membership, request.user))
        context = review.review_context(
            membership,
            pendings,
            report=review.FileReport(pending.filename, True, message),
            pending_pk=pk,
        )
        return render(request, "corpus/_import_discarded.html", context)
    messages.info(request, f"{pending.filename}: {message}")
    return redirect("corpus:import_review", slug=slug)


@require_POST
@login_required
def import_retry(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Start again the background work of an upload that seems stuck."""
    membership = membership_for(request, slug, Action.IMPORT)
    pending = _pending_or_404(request, membership, pk)
    if pending.is_stale:
        services.retry_pending(pending=pending, budget=services.InlineBudget())
        pending = _refreshed(membership, request, pending)
    report = review.FileReport(pending.filename, True, "Started again.")
    return _after(request, membership, pending, report)


@require_POST
@login_required
def import_all(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Import every upload of this user that is ready, each with its saved
    choices, each all or nothing; the others stay as they are."""
    membership = membership_for(request, slug, Action.IMPORT)
    started = services.import_reviewed(
        project=membership.project,
        user=request.user,
        budget=services.InlineBudget(),
    )
    if request.htmx:
        return _page(request, membership)
    if started:
        messages.info(
            request,
            f"{started} file{'s' if started > 1 else ''} sent for import; "
            "each one's outcome is shown below.",
        )
    else:
        messages.info(request, "Nothing was ready to import.")
    return redirect("corpus:import_review", slug=slug)


@require_POST
@login_required
def import_clear(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Take the uploads that became documents off the review page."""
    membership = membership_for(request, slug, Action.IMPORT)
    services.clear_imported(project=membership.project, user=request.user)
    if request.htmx:
        return _page(request, membership)
    return redirect("corpus:import_review", slug=slug)
