"""A document's metadata. (Its reading page is the annotations app's:
annotations/views/reading.py.)"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods

from corpus import services
from corpus.access import HtmxHttpRequest, membership_for
from corpus.conflicts import versioned_edit
from corpus.forms import DocumentMetadataForm
from corpus.models import Document
from corpus.roles import Action


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def document_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Correct a document's metadata; a save made to an older version is refused
    with what changed since and who changed it (409)."""
    membership = membership_for(request, slug, Action.EDIT_METADATA)
    document = get_object_or_404(
        Document.objects.filter(project=membership.project)
        .select_related("imported_by")
        .defer(*Document.HEAVY_FIELDS),
        pk=pk,
    )
    document.project = membership.project
    form = DocumentMetadataForm(
        request.POST if request.method == "POST" else None,
        instance=document,
        initial={"version": document.version},
    )

    def save(data: dict) -> Document:
        fields = {name: data[name] for name in Document.METADATA_FIELDS}
        return services.update_document_metadata(
            document=document, version=data["version"], editor=request.user, **fields
        )

    def saved(document: Document) -> HttpResponse:
        messages.success(request, "Metadata saved.")
        return redirect(document)

    return versioned_edit(
        request,
        form,
        template="corpus/document_edit.html",
        context={
            "project": membership.project,
            "membership": membership,
            "document": document,
        },
        save=save,
        values=lambda current: {
            name: getattr(current, name) for name in Document.METADATA_FIELDS
        },
        saved=saved,
    )
