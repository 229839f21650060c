"""Exports: a project's or a document's annotations as a W3C Web Annotation
collection (JSON-LD) or CSV tables, streamed as they are read, or written by
the background worker when large; one document as TEI or an annotated edition;
the namespace page of the export's own terms."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from annotations import csv_tables, edition, export, reading, tei, w3c
from annotations.forms import ExportForm, MarginFilterForm
from annotations.models import EventKind, Export, Status, Visibility
from annotations.services import exports
from corpus.access import HtmxHttpRequest, membership_for
from corpus.roles import Action


@require_safe
@login_required
def export_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The project's Export page: what to take out, and how programs reach the
    same annotations (the W3C protocol); the member's exports being written.
    Its form posts to export_prepare; a query of the same fields (a link, a
    script) sends straight to the download."""
    membership = membership_for(request, slug)
    form = ExportForm(request.GET or None, membership=membership)
    if form.is_valid():
        return redirect(_download_url(slug, form.cleaned_data))
    return _page(request, membership, form, status=400 if form.is_bound else 200)


def _page(request, membership, form, *, status: int = 200) -> HttpResponse:
    iris = w3c.Iris.of_request(request, membership.project.slug)
    return render(
        request,
        "annotations/export/page.html",
        {
            "project": membership.project,
            "membership": membership,
            "form": form,
            "container": iris.container,
            "notes": export.Scope(membership).notes.count(),
            "exports": exports.members_exports(membership)[:10],
        },
        status=status,
    )


def _download_url(slug: str, data: dict) -> str:
    """Where a choice of the Export page's form downloads at once."""
    kind = data["format"] or "w3c"
    if kind == "backup":
        return reverse("annotations:project_backup", args=[slug])
    kind = "annotations" if kind == "w3c" else kind
    document = data["document"]
    if document is None:
        url = reverse(f"annotations:project_export_{kind}", args=[slug])
    else:
        url = reverse(f"annotations:document_export_{kind}", args=[slug, document])
    query = urlencode(_filters_query(data))
    return f"{url}?{query}" if query else url


def _filters_query(data: dict) -> dict:
    """The margin's filters chosen, as a download's query takes them."""
    query = {name: data[name] for name in ("tag", "author", "status") if data[name]}
    if data["mine"]:
        query["mine"] = "on"
    if data["approved"]:
        query["approved"] = "1"
    return query


@require_POST
@login_required
def export_prepare(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The Export page's choice: downloaded at once, or, for a large one,
    written by the background worker while a page shows how far it has come."""
    membership = membership_for(request, slug)
    form = ExportForm(request.POST, membership=membership)
    if not form.is_valid():
        return _page(request, membership, form, status=400)
    data = form.cleaned_data
    kind = data["format"] or "w3c"
    if kind not in {"w3c", "csv", "backup"}:
        return redirect(_download_url(slug, data))
    document = None
    if data["document"] is not None and kind != "backup":
        document = reading.member_document(
            membership, data["document"], with_body=False
        )
    scope = export.Scope.filtered(membership, document, data)
    if not exports.is_large(scope, kind):
        return redirect(_download_url(slug, data))
    filters = scope.filters
    job = exports.start_export(
        membership=membership,
        kind=kind,
        origin=request.build_absolute_uri("/").rstrip("/"),
        document=document,
        approved_only=filters.pop("approved") and kind != "backup",
        filters=filters if kind != "backup" else {},
    )
    return redirect("annotations:export_detail", slug=slug, pk=job.pk)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def export_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """An export being written: its progress (polled), then its download."""
    membership = membership_for(request, slug)
    job = get_object_or_404(exports.members_exports(membership), pk=pk)
    context = {"project": membership.project, "job": job, "poll_seconds": 2}
    if request.htmx:
        return render(request, "annotations/export/_job.html", context)
    return render(request, "annotations/export/job.html", context)


@require_safe
@login_required
def export_file(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The written file, to its member (a backup: while they may still make one)."""
    membership = membership_for(request, slug)
    job = get_object_or_404(
        exports.members_exports(membership), pk=pk, status=Export.Status.READY
    )
    if job.kind == Export.Kind.BACKUP and not membership.can(Action.EDIT_PROJECT):
        raise PermissionDenied("Only the project's owners download its backup.")
    try:
        opened = open(job.path, "rb")  # noqa: SIM115 (FileResponse closes it)
    except OSError:
        raise Http404("The file is gone: prepare the export again.") from None
    return FileResponse(opened, as_attachment=True, filename=job.filename)


@require_safe
@login_required
def export_annotations(
    request: HtmxHttpRequest, slug: str, pk: int | None = None
) -> HttpResponse:
    """Every annotation the member sees, with replies and links, as one
    AnnotationCollection (of a document with `pk`); narrowed by the margin's
    filters in the query (`?approved=1`: the approved ones only)."""
    found = _scope(request, slug, pk)
    if isinstance(found, HttpResponse):
        return found
    scope, subject = found
    response = StreamingHttpResponse(
        export.collection(
            scope,
            w3c.Iris.of_request(request, slug),
            label=f"Annotations of {subject}",
            address=request.build_absolute_uri(),
        ),
        content_type=w3c.MEDIA_TYPE,
    )
    return _attachment(response, subject, ".jsonld")


@require_safe
@login_required
def export_csv(
    request: HtmxHttpRequest, slug: str, pk: int | None = None
) -> HttpResponse:
    """The annotations the member sees (of a document with `pk`), narrowed by
    the margin's filters in the query, as CSV tables in a zip."""
    found = _scope(request, slug, pk)
    if isinstance(found, HttpResponse):
        return found
    scope, subject = found
    response = StreamingHttpResponse(
        csv_tables.tables(
            scope,
            described=csv_tables.describe(subject, scope.filters),
            address=request.build_absolute_uri,
        ),
        content_type="application/zip",
    )
    return _attachment(response, subject, "-csv.zip")


@require_safe
@login_required
def export_tei(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The document with the annotations the member sees on it as TEI P5 XML,
    narrowed by the margin's filters (`?approved=1`: the approved ones only)."""
    found = _scope(request, slug, pk, with_body=True)
    if isinstance(found, HttpResponse):
        return found
    scope, document = found
    response = HttpResponse(
        tei.document(
            export.document_work(scope),
            project_name=scope.membership.project.name,
            address=request.build_absolute_uri,
        ),
        content_type=tei.MEDIA_TYPE,
    )
    return _attachment(response, document, ".tei.xml")


@require_safe
@login_required
def export_edition(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The document with the annotations the member sees on it, narrowed by the
    margin's filters (`?approved=1`: the approved ones), as one standalone
    HTML file, an annotated edition."""
    found = _scope(request, slug, pk, with_body=True)
    if isinstance(found, HttpResponse):
        return found
    scope, document = found
    response = HttpResponse(
        edition.page(
            export.document_work(scope),
            project_name=scope.membership.project.name,
            approved_only=scope.approved_only,
            address=request.build_absolute_uri,
        )
    )
    return _attachment(response, document, ".edition.html")


def _scope(
    request: HtmxHttpRequest, slug: str, pk: int | None, *, with_body: bool = False
) -> tuple[export.Scope, object] | HttpResponse:
    """The notes a download holds: the member's, on the document `pk` or the
    whole project, narrowed by the margin's filters in the query; and what
    they are of. A 400 for filters that cannot be used."""
    membership = membership_for(request, slug)
    document = (
        None
        if pk is None
        else reading.member_document(membership, pk, with_body=with_body)
    )
    form = MarginFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(
            "These filters cannot be used: "
            + "; ".join(
                f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()
            ),
            content_type="text/plain; charset=utf-8",
        )
    scope = export.Scope.filtered(membership, document, form.cleaned_data)
    return scope, membership.project if document is None else document


def _attachment(response: HttpResponse, subject, suffix: str) -> HttpResponse:
    name = exports.download_name(subject, suffix)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
def vocabulary(request: HtmxHttpRequest) -> HttpResponse:
    """What the `apparatus:` terms of the W3C export mean: the page their
    namespace leads to. Public: it describes the format, not anyone's work."""
    return render(
        request,
        "annotations/export/vocabulary.html",
        {
            "namespace": request.build_absolute_uri("/ns#"),
            "statuses": Status.choices,
            "visibilities": Visibility.choices,
            "kinds": EventKind.choices,
        },
    )
