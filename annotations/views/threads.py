"""Threads in the reading view: an annotation made, shown, edited, deleted and
decided on. (Its replies: views/replies.py.)"""

from __future__ import annotations

import copy

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from annotations import reading, services
from annotations.forms import (
    AnnotationCreateForm,
    AnnotationEditForm,
    StatusForm,
)
from annotations.fragments import thread_response, with_reader_update
from annotations.models import Annotation
from annotations.permissions import may_change
from annotations.polling import Touched
from annotations.services.revisions import counting
from corpus.access import HtmxHttpRequest, membership_for
from corpus.conflicts import add_errors, versioned_edit
from corpus.models import Document, Membership
from corpus.params import parse_ids
from corpus.roles import Action


def _note_form(
    request: HtmxHttpRequest, document: Document, form, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "annotations/threads/_annotation_form.html",
        {
            "form": form,
            "document": document,
            "project": document.project,
            "exact": (request.POST or request.GET).get("exact", ""),
        },
        status=status,
    )


@require_safe
@login_required
def annotation_new_hx(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The note form for a selection, shown in the margin."""
    membership = membership_for(request, slug, Action.ANNOTATE)
    document = reading.member_document(membership, pk, with_body=False)
    return _note_form(
        request, document, AnnotationCreateForm(initial=request.GET.dict())
    )


@require_POST
@login_required
def annotation_create(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.ANNOTATE)
    document = reading.member_document(membership, pk)
    form = AnnotationCreateForm(request.POST)
    if not form.is_valid():
        return _note_form(request, document, form, status=400)
    data = form.cleaned_data
    try:
        start, end = form.selection_range(document)
        with counting() as counted:
            annotation = services.create_annotation(
                document=document,
                author=request.user,
                start=start,
                end=end,
                exact=data["exact"],
                body=data["body"],
                tags=data["tags"],
                visibility=data["visibility"],
            )
    except (ValueError, ValidationError) as error:
        texts = error.messages if isinstance(error, ValidationError) else [str(error)]
        form.add_error(None, " ".join(texts))
        return _note_form(request, document, form, status=400)
    if not request.htmx:
        return redirect(annotation)
    annotation.document = document
    response = thread_response(
        request, membership, annotation, tags=annotation.tag_list
    )
    made = Touched.of(membership, None, annotation)
    return with_reader_update(request, response, membership, document, [made], counted)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def annotation_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """An annotation's own URL: the document scrolled to it with its thread open.

    Gone (deleted, or on a document in the trash), it says so with who and when
    (410), to the members who could see it before; 404 to everyone else.
    """
    membership = membership_for(request, slug)
    try:
        annotation = reading.member_annotation(membership, pk)
    except Http404:
        gone = reading.gone_annotation(membership, pk)
        if gone is None:
            raise
        return _gone_response(request, membership, gone)
    if request.htmx:
        here = set(parse_ids(request.GET.get("here", "").split(","), limit=50))
        here.discard(annotation.pk)
        also = (
            list(
                Annotation.objects.shown_to_member(membership)
                .filter(document_id=annotation.document_id, pk__in=here)
                .select_related("author")
                .in_text_order()
            )
            if here
            else []
        )
        return thread_response(request, membership, annotation, {"also": also})
    url = reverse(
        "annotations:document_detail",
        kwargs={"slug": slug, "pk": annotation.document_id},
    )
    return redirect(f"{url}?thread={annotation.pk}#s{annotation.start}")


def _gone_response(
    request: HtmxHttpRequest, membership: Membership, annotation: Annotation
) -> HttpResponse:
    """410 with the project's page: deleted by whom and when, or in the trash,
    and the way back. In the reading view's thread panel (htmx), a deleted
    annotation says the same in place of its thread; one on a document in the
    trash stays 404 there, as the document's page is gone too."""
    annotation.project = annotation.document.project = membership.project
    context = {
        "project": membership.project,
        "membership": membership,
        "annotation": annotation,
        "document": annotation.document,
        "trashed": annotation.document.trashed_at is not None,
    }
    if not request.htmx:
        return render(
            request, "annotations/threads/deleted_annotation.html", context, status=410
        )
    if context["trashed"]:
        raise Http404("This annotation's document is in the trash.")
    return render(request, "annotations/threads/_annotation_gone.html", context)


def _note_values(annotation: Annotation) -> dict:
    """The fields of an annotation its edit form changes, in the form's terms."""
    return {
        "body": annotation.body,
        "tags": [tag.name for tag in annotation.tags.all()],
        "visibility": annotation.visibility,
    }


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def annotation_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = reading.member_annotation(membership, pk)
    if not may_change(membership, annotation):
        raise PermissionDenied("Only its author or a curator may edit this annotation.")
    # Its own ids: the thread around it has a reply form with the same fields.
    form = AnnotationEditForm(
        request.POST if request.method == "POST" else None,
        initial={**_note_values(annotation), "version": annotation.version},
        auto_id=f"edit-{annotation.pk}-%s",
    )

    before = copy.copy(annotation)
    counted = []

    def save(data: dict) -> Annotation:
        with counting() as changes:
            saved = services.update_annotation(
                annotation=annotation,
                editor=request.user,
                version=data["version"],
                body=data["body"],
                tags=data["tags"],
                visibility=data["visibility"],
            )
        counted.extend(changes)
        return saved

    def saved(annotation: Annotation) -> HttpResponse:
        if not request.htmx:
            return redirect(annotation)
        document = before.document  # without its text, read if blocks need it
        annotation.document = document
        # The form sits in the note's own area (a refusal shows there, the
        # thread around it intact); the saved note redraws the whole thread.
        response = thread_response(
            request, membership, annotation, tags=annotation.tag_list
        )
        return with_reader_update(
            request,
            retarget(response, "#thread"),
            membership,
            document,
            [Touched.of(membership, before, annotation)],
            counted,
        )

    return versioned_edit(
        request,
        form,
        template="annotations/threads/_annotation_edit.html",
        context={"annotation": annotation, "project": membership.project},
        save=save,
        values=_note_values,
        saved=saved,
    )


@require_POST
@login_required
def annotation_delete(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = reading.member_annotation(membership, pk)
    if not may_change(membership, annotation):
        raise PermissionDenied(
            "Only its author or a curator may delete this annotation."
        )
    before = copy.copy(annotation)
    with counting() as counted:
        services.delete_annotation(annotation=annotation, by=request.user)
    document = before.document  # without its text, read if blocks need it
    if not request.htmx:
        return redirect(document)
    response = render(
        request, "annotations/threads/_deleted.html", {"annotation": annotation}
    )
    gone = Touched.of(membership, before, None)
    return with_reader_update(request, response, membership, document, [gone], counted)


@require_POST
@login_required
def annotation_status(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """A curator approves, rejects or sends back an annotation, with a reason."""
    membership = membership_for(request, slug, Action.MODERATE)
    annotation = reading.member_annotation(membership, pk)
    before = copy.copy(annotation)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            with counting() as counted:
                annotation = services.set_status(
                    annotation=annotation,
                    by=request.user,
                    status=form.cleaned_data["status"],
                    reason=form.cleaned_data["reason"],
                )
        except ValidationError as error:
            add_errors(form, error)
    if form.errors:
        annotation = reading.member_annotation(membership, pk)
        return thread_response(
            request, membership, annotation, {"status_form": form}, status=400
        )
    if not request.htmx:
        return redirect(annotation)
    # The parts of the thread a decision changes, each in its place; the
    # note, its replies and links stand as they are.
    annotation.author, annotation.project = before.author, membership.project
    context = {
        **reading.decision_context(membership, annotation),
        "status_form": form,
    }
    response = reswap(
        render(request, "annotations/threads/_decided.html", context), "none"
    )
    document = before.document  # without its text, read if blocks need it
    decided = Touched.of(membership, before, annotation)
    return with_reader_update(
        request, response, membership, document, [decided], counted
    )
