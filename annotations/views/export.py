"""Exports: a project's or a document's annotations as a W3C Web Annotation
collection (JSON-LD), streamed as it is read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from annotations import export, reading, w3c
from corpus.access import HtmxHttpRequest, membership_for


@require_safe
@login_required
def export_annotations(
    request: HtmxHttpRequest, slug: str, pk: int | None = None
) -> HttpResponse:
    """Every annotation the member sees, with replies and links, as one
    AnnotationCollection (of a document with `pk`); `?approved=1`: the approved
    ones only."""
    membership = membership_for(request, slug)
    document = None if pk is None else reading.member_document(membership, pk)
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
