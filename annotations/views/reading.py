"""The reading page: a document's text with its highlights, the margin's list of
annotations, an open thread, and the poll that keeps them current."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from annotations import margin, polling, reading, rendering
from annotations.forms import MarginFilterForm
from annotations.models import Annotation
from corpus.access import HtmxHttpRequest, membership_for
from corpus.models import Document, Membership, TextRevision
from corpus.params import parse_id
from corpus.roles import Action


def _open_thread(membership: Membership, document: Document, raw) -> dict:
    """The thread the reader has open (`?thread=`), if they may see it."""
    pk = parse_id(raw)
    annotation = (
        Annotation.objects.shown_to_member(membership, orphans=True)
        .filter(document=document, pk=pk)
        .select_related("author")
        .first()
        if pk is not None
        else None
    )
    return {} if annotation is None else reading.thread_context(membership, annotation)


def _margin_context(
    request: HtmxHttpRequest, membership: Membership, document: Document
) -> dict:
    """The margin list as the reader has it (filters, page) and the total count."""
    filters = MarginFilterForm(request.GET)
    return {
        "margin": margin.margin_page(
            membership, document, filters, request.GET.get("page")
        ),
        "annotation_count": margin.visible_count(
            membership, document, filters.approved_only
        ),
        "filters": filters,
    }


@require_safe
@login_required
def document_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The reading view: text with highlights, margin list, an open thread."""
    membership = membership_for(request, slug)
    document = reading.member_document(membership, pk, with_importer=True)
    filters = MarginFilterForm(request.GET)
    # Read before the text is drawn: a change made while the page is built is
    # then newer than the revision the page polls with, and comes with a poll.
    revision = polling.reader_token(membership, document)
    text = rendering.rendered_text(
        membership, document, filters.approved_only, token=revision
    )
    context = {
        "project": membership.project,
        "membership": membership,
        "document": document,
        "body": mark_safe(rendering.BODY_SLOT),  # noqa: S308 (a constant)
        "annotation_count": text.annotation_count,
        "highlight_labels": text.labels_script,
        "margin": margin.margin_page(
            membership, document, filters, request.GET.get("page")
        ),
        "filters": filters,
        "revision": revision,
        "can_annotate": membership.can(Action.ANNOTATE),
        "can_edit": membership.can(Action.EDIT_METADATA),
        "can_edit_text": membership.can(Action.EDIT_TEXT),
        # Only a revision of the text makes orphans (services.text).
        "orphans": (
            reading.orphans(membership, document) if document.text_revision else []
        ),
        "can_delete": membership.can(Action.DELETE_DOCUMENT),
        "tag_choices": text.tag_choices,
        "author_choices": margin.author_choices(document),
        **_open_thread(membership, document, request.GET.get("thread", "")),
    }
    response = render(request, "annotations/reading/document_detail.html", context)
    return rendering.with_body(response, text.body)


@require_safe
@login_required
def annotation_list_hx(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The margin's list of annotations, filtered and paginated."""
    membership = membership_for(request, slug)
    document = reading.member_document(membership, pk, with_body=False)
    return render(
        request,
        "annotations/reading/_margin_list.html",
        {
            **_margin_context(request, membership, document),
            "document": document,
            "project": membership.project,
            "with_count": True,
        },
    )


@require_safe
@login_required
def annotation_changes_hx(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Polling: 204 when nothing this member may see changed since `since`, else
    the changed regions.

    `since` is the reader's token (polling.ReaderToken): changes hidden from
    the member (others' private annotations, unapproved ones under
    pre-moderation) move neither of its numbers, so they never turn a 204
    into a 200. The common answer costs one query beyond the session.
    """
    token = polling.current_token(request.user.pk, slug, pk)
    if token is None:
        raise Http404("No such document in your projects.")
    since = polling.ReaderToken.parse(request.GET.get("since", ""))
    if since == token:
        return HttpResponse(status=204)
    membership = membership_for(request, slug)
    document = reading.member_document(membership, pk, with_body=False)
    seen = request.GET.get("text_revision", "")
    if seen.isascii() and seen.isdigit() and int(seen) != document.text_revision:
        # The text itself was revised: the page's offsets are another text's.
        # Polling stops; the reader reloads when they are ready (what they are
        # typing stays on the page until then).
        return render(
            request,
            "annotations/reading/_text_revised.html",
            {
                "document": document,
                # Who and why: not what it replaced (as long as the text).
                "revision": TextRevision.objects.filter(
                    document=document, number=document.text_revision
                )
                .defer("undo", "blocks_before", "links_before")
                .select_related("author")
                .first(),
            },
        )
    view = polling.ReaderView.of_query(request.GET)
    changed = polling.changed_since(membership, document, since)
    context = reading.changed_regions(
        membership,
        document,
        [(start, end) for _pk, start, end in changed],
        approved_only=view.filters.approved_only,
    )
    if since is None:
        # A page without a token: its whole margin page (and then the token).
        context.update(_margin_context(request, membership, document))
    else:
        context.update(
            margin.margin_news(
                membership,
                document,
                view.filters,
                {pk for pk, _s, _e in changed},
                tags=context.get("drawn_tags"),
            )
        )
    thread_id = parse_id(request.GET.get("thread", ""))
    thread = None
    if thread_id is not None and any(pk == thread_id for pk, _s, _e in changed):
        thread = (
            Annotation.objects.shown_to_member(membership)
            .filter(document=document, pk=thread_id)
            .select_related("author")
            .first()
        )
    if thread is not None:
        context.update(reading.thread_context(membership, thread, with_links=False))
    context.update(revision=token, thread_changed=thread is not None)
    return render(request, "annotations/reading/_changes.html", context)
