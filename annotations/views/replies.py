"""Replies in a thread: written, edited and deleted; the note and reply forms'
Markdown preview."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from annotations import reading, services
from annotations.forms import PreviewForm, ReplyEditForm, ReplyForm
from annotations.fragments import thread_response, with_reader_update
from annotations.markdown import render_markdown
from annotations.models import Annotation, Reply
from annotations.permissions import may_change
from annotations.polling import Touched
from annotations.services.revisions import counting
from corpus.access import HtmxHttpRequest, membership_for
from corpus.conflicts import versioned_edit
from corpus.models import Document, Membership
from corpus.roles import Action


@require_POST
@login_required
def reply_create(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = reading.member_annotation(membership, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        with counting() as counted:
            reply = services.create_reply(
                annotation=annotation,
                author=request.user,
                body=form.cleaned_data["body"],
            )
        if not request.htmx:
            return redirect(annotation)
        # The new reply at the end of the thread's list (the form empties
        # itself: data-reset-on-success); the rest of the thread stands.
        reply.may_change = True
        context = {"reply": reply, "project": membership.project}
        response = render(request, "annotations/threads/_reply.html", context)
        response = reswap(retarget(response, f"#replies-{annotation.pk}"), "beforeend")
        return _with_margin(request, response, membership, annotation, counted)
    return thread_response(
        request, membership, annotation, {"reply_form": form}, status=400
    )


def _with_margin(
    request: HtmxHttpRequest,
    response: HttpResponse,
    membership: Membership,
    annotation: Annotation,
    counted: list,
) -> HttpResponse:
    """A reply's answer, with the page's news: the thread's margin entry (its
    count of replies) and whatever else changed; the text stays as it is."""
    # The document without its text, which only others' changes would need.
    document = annotation.document
    replied = Touched.of(membership, annotation, annotation)
    return with_reader_update(
        request, response, membership, document, [replied], counted, redraw=False
    )


def _reply(request: HtmxHttpRequest, membership: Membership, pk: int) -> Reply:
    reply = get_object_or_404(
        Reply.objects.visible_to(request.user)
        .select_related("author", "annotation__document")
        .defer(*(f"annotation__document__{name}" for name in Document.HEAVY_FIELDS)),
        annotation__project=membership.project,
        pk=pk,
    )
    if not may_change(membership, reply):
        raise PermissionDenied("Only its author or a curator may change this reply.")
    return reply


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def reply_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.ANNOTATE)
    reply = _reply(request, membership, pk)
    form = ReplyEditForm(
        request.POST if request.method == "POST" else None,
        initial={"body": reply.body, "version": reply.version},
        auto_id=f"reply-{reply.pk}-%s",  # not the thread's reply form's ids
    )

    counted = []

    def save(data: dict) -> Reply:
        with counting() as changes:
            saved = services.update_reply(
                reply=reply,
                version=data["version"],
                body=data["body"],
                editor=request.user,
            )
        counted.extend(changes)
        return saved

    def saved(reply: Reply) -> HttpResponse:
        if not request.htmx:
            return redirect(reply.annotation)
        reply.may_change = True
        context = {"reply": reply, "project": membership.project}
        response = render(request, "annotations/threads/_reply.html", context)
        return _with_margin(request, response, membership, reply.annotation, counted)

    return versioned_edit(
        request,
        form,
        template="annotations/threads/_reply_edit.html",
        context={"reply": reply, "project": membership.project},
        save=save,
        values=lambda current: {"body": current.body},
        saved=saved,
    )


@require_POST
@login_required
def reply_delete(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.ANNOTATE)
    reply = _reply(request, membership, pk)
    with counting() as counted:
        services.delete_reply(reply=reply, by=request.user)
    if not request.htmx:
        return redirect(reply.annotation)
    response = HttpResponse(
        '<li class="reply deleted" role="status">Reply deleted.</li>'
    )
    return _with_margin(request, response, membership, reply.annotation, counted)


@require_POST
@login_required
def markdown_preview_hx(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    membership_for(request, slug, Action.ANNOTATE)
    form = PreviewForm(request.POST)
    body = form.cleaned_data["body"] if form.is_valid() else ""
    return render(
        request,
        "annotations/threads/_preview.html",
        {"html": render_markdown(body), "empty": not body.strip()},
    )
