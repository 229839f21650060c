"""Exports: a project's or a document's annotations as a W3C Web Annotation
collection (JSON-LD), streamed as it is read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from annotations import csv_tables, edition, export, reading, tei, w3c
from annotations.forms import ExportForm, MarginFilterForm
from annotations.models import EventKind, Status, Visibility
from corpus.access import HtmxHttpRequest, membership_for


@require_safe
@login_required
def export_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The project's Export page: what to take out, and how programs reach the
    same annotations (the W3C protocol). Choosing sends to the download."""
    membership = membership_for(request, slug)
    form = ExportForm(request.GET or None, membership=membership)
    if form.is_valid():
        document = form.cleaned_data["document"]
        kind = form.cleaned_data["format"] or "w3c"
        kind = "annotations" if kind == "w3c" else kind
        if document is None:
            url = reverse(f"annotations:project_export_{kind}", args=[slug])
        else:
            url = reverse(f"annotations:document_export_{kind}", args=[slug, document])
        return redirect(f"{url}?approved=1" if form.cleaned_data["approved"] else url)
    iris = w3c.Iris.of_request(request, slug)
    return render(
        request,
        "annotations/export/page.html",
        {
            "project": membership.project,
            "membership": membership,
            "form": form,
            "container": iris.container,
            "notes": export.Scope(membership).notes.count(),
        },
        status=400 if form.is_bound else 200,
    )


@require_safe
@login_required
def export_annotations(
    request: HtmxHttpRequest, slug: str, pk: int | None = None
) -> HttpResponse:
    """Every annotation the member sees, with replies and links, as one
    AnnotationCollection (of a document with `pk`); `?approved=1`: the approved
    ones only."""
    membership = membership_for(request, slug)
    document = (
        None if pk is None else reading.member_document(membership, pk, with_body=False)
    )
    scope = membership.project if document is None else document
    approved_only = request.GET.get("approved") == "1"
    response = StreamingHttpResponse(
        export.collection(
            membership,
            w3c.Iris.of_request(request, slug),
            document=document,
            approved_only=approved_only,
            label=f"Annotations of {scope}",
            address=request.build_absolute_uri(),
        ),
        content_type=w3c.MEDIA_TYPE,
    )
    name = slugify(str(scope))[:60] or "annotations"
    response["Content-Disposition"] = f'attachment; filename="{name}.jsonld"'
    return response


@require_safe
@login_required
def export_csv(
    request: HtmxHttpRequest, slug: str, pk: int | None = None
) -> HttpResponse:
    """The annotations the member sees (of a document with `pk`), narrowed by
    the margin's filters in the query, as CSV tables in a zip."""
    membership = membership_for(request, slug)
    document = (
        None if pk is None else reading.member_document(membership, pk, with_body=False)
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
    subject = membership.project if document is None else document
    response = StreamingHttpResponse(
        csv_tables.tables(
            scope,
            described=_described(subject, form.cleaned_data),
            address=request.build_absolute_uri,
        ),
        content_type="application/zip",
    )
    name = slugify(str(subject))[:60] or "annotations"
    response["Content-Disposition"] = f'attachment; filename="{name}-csv.zip"'
    return response


def _described(subject, filters: dict) -> str:
    """What an export holds, in words, for its README."""
    chosen = [
        f"{label} {filters[name]}"
        for name, label in (("tag", "tagged"), ("author", "by"), ("status", "status"))
        if filters.get(name)
    ]
    if filters.get("mine"):
        chosen.append("the exporter's own")
    if filters.get("approved"):
        chosen.append("approved only")
    narrowed = f", {', '.join(chosen)}" if chosen else ""
    return (
        f"Exported {timezone.now():%Y-%m-%d %H:%M} UTC from “{subject}”: the "
        f"annotations its exporter could see{narrowed}."
    )


@require_safe
@login_required
def export_tei(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The document with the annotations the member sees on it as TEI P5 XML;
    `?approved=1`: the approved ones only."""
    membership, scope = _document_scope(request, slug, pk)
    response = HttpResponse(
        tei.document(
            export.document_work(scope),
            project_name=membership.project.name,
            address=request.build_absolute_uri,
        ),
        content_type=tei.MEDIA_TYPE,
    )
    return _attachment(response, scope.document, "tei.xml")


@require_safe
@login_required
def export_edition(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The document with the annotations the member sees on it (`?approved=1`:
    the approved ones) as one standalone HTML file, an annotated edition."""
    membership, scope = _document_scope(request, slug, pk)
    response = HttpResponse(
        edition.page(
            export.document_work(scope),
            project_name=membership.project.name,
            approved_only=scope.approved_only,
            address=request.build_absolute_uri,
        )
    )
    return _attachment(response, scope.document, "edition.html")


def _document_scope(request: HtmxHttpRequest, slug: str, pk: int):
    membership = membership_for(request, slug)
    document = reading.member_document(membership, pk)
    approved_only = request.GET.get("approved") == "1"
    return membership, export.Scope(membership, document, approved_only=approved_only)


def _attachment(response: HttpResponse, document, suffix: str) -> HttpResponse:
    name = slugify(str(document))[:60] or "document"
    response["Content-Disposition"] = f'attachment; filename="{name}.{suffix}"'
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
