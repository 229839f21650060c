"""Exports: a project's or a document's annotations as a W3C Web Annotation
collection (JSON-LD), streamed as it is read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from annotations import export, reading, w3c
from annotations.forms import ExportForm
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
        if document is None:
            url = reverse("annotations:project_export_annotations", args=[slug])
        else:
            url = reverse(
                "annotations:document_export_annotations", args=[slug, document]
            )
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
