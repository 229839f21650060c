from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import json_script
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_safe

from annotations import permissions, reading
from annotations.forms import MarginFilterForm, ReplyForm
from annotations.models import Annotation, Status, Visibility
from corpus import bodycache, services
from corpus.access import HtmxHttpRequest, membership_for
from corpus.conflicts import EditConflict, conflict_response
from corpus.forms import DocumentMetadataForm
from corpus.models import Document
from corpus.params import parse_id
from corpus.roles import Action


def _document(membership, pk: int, *fields_to_defer: str) -> Document:
    return get_object_or_404(
        Document.objects.filter(project=membership.project)
        .select_related("imported_by")
        .defer(*fields_to_defer),
        pk=pk,
    )


@require_safe
@login_required
def document_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The reading view: text with highlights, margin list, an open thread."""
    membership = membership_for(request, slug)
    document = _document(membership, pk, "original", *bodycache.HEAVY_FIELDS)
    document.project = membership.project
    bodycache.fill_body(document)
    filters = MarginFilterForm(request.GET)
    approved_only = filters.is_valid() and filters.cleaned_data["approved"]
    # Read before the text is drawn: a change made while the page is built is
    # then newer than the revision the page polls with, and comes with a poll.
    revision = reading.reader_token(membership, document)
    text = rendered_text(membership, document, approved_only)
    context = {
        "project": membership.project,
        "membership": membership,
        "document": document,
        "body": mark_safe(BODY_SLOT),  # noqa: S308 (a constant)
        "annotation_count": text.annotation_count,
        "highlight_labels": text.labels_script,
        "margin": reading.margin_page(
            membership, document, filters, request.GET.get("page")
        ),
        "filters": filters,
        "filter_query": _margin_query(request),
        "revision": revision,
        "can_annotate": membership.can(Action.ANNOTATE),
        "can_edit": membership.can(Action.EDIT_METADATA),
        "can_delete": membership.can(Action.DELETE_DOCUMENT),
        "tag_choices": text.tag_choices,
        "author_choices": reading.author_choices(document),
    }
    thread_id = parse_id(request.GET.get("thread", ""))
    if thread_id is not None:
        annotation = (
            Annotation.objects.shown_to_member(membership)
            .filter(document=document, pk=thread_id)
            .select_related("author")
            .first()
        )
        if annotation is not None:
            context.update(reading.thread_context(membership, annotation))
            context["reply_form"] = ReplyForm()
    response = render(request, "corpus/document_detail.html", context)
    return with_body(response, text.body)


@dataclass(frozen=True)
class RenderedText:
    """A document's text with highlights, ready to send."""

    body: bytes  # the blocks' HTML, UTF-8: spliced into the page by with_body()
    annotation_count: int
    labels_script: str  # <script type="application/json"> of the hover labels
    tag_choices: list[tuple[str, str]]  # the margin filter's tags: those drawn


# Where the page template leaves room for the text. A comment: no user text can
# make one, since every "<" of it is escaped.
BODY_SLOT = "<!-- the document's text -->"


def with_body(response: HttpResponse, body: bytes) -> HttpResponse:
    """Put the rendered text into the page's BODY_SLOT.

    Megabytes of text through the template's nested nodes cost a copy at each
    level (about 40 ms for 4 MB); spliced here, it is copied once.
    """
    before, slot, after = response.content.partition(BODY_SLOT.encode())
    if not slot:
        raise ValueError("the template has no slot for the document's text")
    response.content = b"".join((before, body, after))
    return response


def rendered_text(membership, document, approved_only: bool) -> RenderedText:
    """The text with highlights, from the worker's cache when nothing changed.

    Members who see the same annotations share a rendering: those who see every
    shared annotation (curators and owners, or everyone without pre-moderation),
    and the others, each in either reading mode. A member who has annotations
    of their own that the rest of their class cannot see (private ones, or
    unapproved ones under pre-moderation) gets a rendering of their own.
    """
    sees_unapproved = permissions.sees_unapproved(membership)
    own_hidden = Q(visibility=Visibility.PRIVATE)
    if approved_only:
        own_hidden &= Q(status=Status.APPROVED)
    elif not sees_unapproved:
        own_hidden |= ~Q(status=Status.APPROVED)
    has_own_hidden = (
        Annotation.objects.filter(
            own_hidden,
            document=document,
            author_id=membership.user_id,
            deleted_at__isnull=True,
        )
        .only("pk")
        .exists()
    )
    if has_own_hidden:
        # Every change may matter to this member's own rendering.
        revision, reader = document.annotation_revision, membership.user_id
    else:
        # Only changes the member's class may see matter.
        revision, reader = reading.class_revision(membership, document), None
    key = (
        document.pk,
        document.content_hash,
        revision,
        reader,
        sees_unapproved,
        approved_only,
    )

    def render_now() -> RenderedText:
        # A shared rendering is made from what the class sees, never from what
        # this reader sees: a private note saved between the check above and
        # this query cannot reach the class's cache.
        highlights = reading.highlights_for(
            membership, document, approved_only=approved_only, shared_only=not reader
        )
        # render_text escapes every character of the text itself.
        return RenderedText(
            body=reading.render_text(document, highlights).encode(),
            annotation_count=len(highlights.spans),
            labels_script=json_script(highlights.raw_labels, "highlight-labels"),
            tag_choices=reading.tag_choices(highlights),
        )

    return bodycache.rendered.get_or_make(key, render_now)


def _margin_query(request: HtmxHttpRequest) -> str:
    query = request.GET.copy()
    for key in ("page", "thread"):
        query.pop(key, None)
    return query.urlencode()


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def document_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Correct a document's metadata; a save made to an older version is refused
    with what changed since and who changed it (409)."""
    membership = membership_for(request, slug, Action.EDIT_METADATA)
    document = _document(membership, pk, "original", "text", "blocks", "links")
    document.project = membership.project
    context = {
        "project": membership.project,
        "membership": membership,
        "document": document,
    }
    template = "corpus/document_edit.html"
    form = DocumentMetadataForm(
        request.POST if request.method == "POST" else None,
        instance=document,
        initial={"version": document.version},
    )
    if request.method != "POST" or not form.is_valid():
        return render(
            request,
            template,
            {**context, "form": form},
            status=400 if form.errors else 200,
        )
    data = dict(form.cleaned_data)
    version = data.pop("version")
    try:
        services.update_document_metadata(
            document=document, version=version, editor=request.user, **data
        )
    except EditConflict as conflict:
        current = conflict.current
        return conflict_response(
            request,
            template,
            context,
            form,
            conflict,
            {name: getattr(current, name) for name in Document.METADATA_FIELDS},
            instance=current,
        )
    messages.success(request, "Metadata saved.")
    return redirect(document)
