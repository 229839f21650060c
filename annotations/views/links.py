"""Linking passages: the picker, creating and deleting links, side by side, and
the project's Links page with its picture."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from annotations import links, reading, rendering, services
from annotations.forms import (
    LinkFilterForm,
    LinkForm,
    PassageLinkForm,
    form_errors,
    project_documents,
)
from annotations.models import Annotation, RelationType, Visibility
from annotations.permissions import may_change
from corpus import bodycache
from corpus.access import HtmxHttpRequest, membership_for
from corpus.models import Document, Membership
from corpus.params import parse_id, parse_page
from corpus.roles import Action


def _thread(
    request: HtmxHttpRequest, membership: Membership, annotation: Annotation
) -> HttpResponse:
    """The annotation's thread, where the link was made or deleted."""
    context = {
        "document": annotation.document,
        **reading.thread_context(membership, annotation),
    }
    return render(request, "annotations/threads/_thread.html", context)


def _results_context(
    request: HtmxHttpRequest,
    membership: Membership,
    annotation: Annotation,
    relations: list[RelationType],
) -> dict:
    """A page of the picker's search results, each with its own link form."""
    query = request.GET.get("q", "")[:200]
    page = parse_page(request.GET.get("page"))
    results, more = links.search_annotations(
        membership, query, exclude=annotation, page=page
    )
    return {
        "project": membership.project,
        "membership": membership,
        "annotation": annotation,
        "relations": relations,
        "query": query,
        "results": results,
        "page": page,
        "first_number": (page - 1) * links.SEARCH_LIMIT + 1,
        "next_page": page + 1 if more else None,
    }


def _first_other(documents, annotation: Annotation) -> int | None:
    """The pk of the first of `documents` that is not the annotation's own."""
    return next((doc.pk for doc in documents if doc.pk != annotation.document_id), None)


def _picker_response(
    request: HtmxHttpRequest,
    membership: Membership,
    annotation: Annotation,
    form: LinkForm | None = None,
    errors: list[str] | None = None,
) -> HttpResponse:
    """The whole picker: search, side by side, document and source forms."""
    form = form or LinkForm(membership=membership)
    documents = list(form.fields["target_document"].queryset)
    relations = list(form.fields["relation"].queryset)
    context = {
        **_results_context(request, membership, annotation, relations),
        "form": form,
        "errors": errors or [],
        "documents": documents,
        "compare_default": _first_other(documents, annotation),
    }
    template = (
        "annotations/links/_picker.html"
        if request.htmx
        else "annotations/links/link_picker.html"
    )
    return render(request, template, context, status=400 if errors else 200)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def link_picker(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Choose what to link a passage to: another passage, a document or a source."""
    membership = membership_for(request, slug, Action.ANNOTATE)
    return _picker_response(
        request, membership, reading.member_annotation(membership, pk)
    )


@require_safe
@login_required
@vary_on_headers("HX-Request")
def link_search_hx(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The picker's results for what has been typed so far."""
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = reading.member_annotation(membership, pk)
    relations = list(RelationType.objects.offered_in(membership.project_id))
    context = _results_context(request, membership, annotation, relations)
    # "More results" asks for the next page's items, to append to the list.
    more = request.htmx and context["page"] > 1
    template = "_picker_items.html" if more else "_picker_results.html"
    return render(request, f"annotations/links/{template}", context)


@require_POST
@login_required
def link_create(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = reading.member_annotation(membership, pk)
    form = LinkForm(request.POST, membership=membership)
    errors = []
    if form.is_valid():
        data = form.cleaned_data
        target = None
        if data["target_annotation"] is not None:
            # Only what this member can see may be linked to.
            target = (
                Annotation.objects.shown_to_member(membership)
                .filter(pk=data["target_annotation"])
                .first()
            )
            if target is None:
                errors.append("There is no such annotation in this project.")
        if not errors:
            try:
                services.create_link(
                    source=annotation,
                    author=request.user,
                    relation=data["relation"],
                    target_annotation=target,
                    target_document=data["target_document"],
                    target_url=data["target_url"],
                    target_title=data["target_title"],
                    citation=data["citation"],
                    accessed=data["accessed"],
                    note=data["note"],
                )
            except ValidationError as error:
                errors = form_errors(error)
    else:
        errors = form_errors(form)
    if errors:
        return _picker_response(request, membership, annotation, form, errors)
    if not request.htmx:
        return redirect(annotation)
    return _thread(request, membership, annotation)


CONTEXT_CHARS = 400


def _compare_context(
    membership: Membership,
    annotation: Annotation,
    document: Document,
    form: PassageLinkForm,
    errors: list[str] | None = None,
) -> dict:
    source = annotation.document
    bodycache.fill_body(source)
    start, end = annotation.start, annotation.end
    text = rendering.rendered_text(membership, document, approved_only=False)
    return {
        "project": membership.project,
        "membership": membership,
        "annotation": annotation,
        "before": source.text[max(0, start - CONTEXT_CHARS) : start],
        "after": source.text[end : end + CONTEXT_CHARS],
        "document": document,
        "documents": list(project_documents(membership)),
        "body": mark_safe(rendering.BODY_SLOT),  # noqa: S308 (a constant)
        "text": text,
        "form": form,
        "relations": list(form.fields["relation"].queryset),
        "errors": errors or [],
    }


def _compared_document(membership: Membership, annotation: Annotation, raw) -> int:
    """The document asked for, or by default the first other one."""
    chosen = parse_id(raw)
    if chosen is not None:
        return chosen
    others = project_documents(membership).exclude(pk=annotation.document_id)
    return others.values_list("pk", flat=True).first() or annotation.document_id


@require_safe
@login_required
def link_compare(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The passage beside another document, where a selection becomes the link's
    other end."""
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = reading.member_annotation(membership, pk)
    chosen = _compared_document(membership, annotation, request.GET.get("document"))
    document = reading.member_document(membership, chosen)
    form = PassageLinkForm(membership=membership)
    context = _compare_context(membership, annotation, document, form)
    response = render(request, "annotations/links/link_compare.html", context)
    return rendering.with_body(response, context["text"].body)


@require_POST
@login_required
def link_passage(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Annotate the passage selected in the other document and link to it, in one
    step: both or neither."""
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = reading.member_annotation(membership, pk)
    chosen = _compared_document(membership, annotation, request.POST.get("document"))
    document = reading.member_document(membership, chosen)
    form = PassageLinkForm(request.POST, membership=membership)
    errors = []
    if form.is_valid():
        data = form.cleaned_data
        try:
            start, end = form.selection_range(document)
            with transaction.atomic():
                target = services.create_annotation(
                    document=document,
                    author=request.user,
                    start=start,
                    end=end,
                    exact=data["exact"],
                    visibility=Visibility.PROJECT,
                )
                services.create_link(
                    source=annotation,
                    author=request.user,
                    relation=data["relation"],
                    target_annotation=target,
                    note=data["note"],
                )
        except ValueError as error:
            errors = [f"The selection does not fall on the text: {error}."]
        except ValidationError as error:
            errors = form_errors(error)
    else:
        errors = form_errors(form)
    if errors:
        context = _compare_context(membership, annotation, document, form, errors)
        response = render(
            request, "annotations/links/link_compare.html", context, status=400
        )
        return rendering.with_body(response, context["text"].body)
    messages.success(request, f"Linked to “{target.exact[:60]}” in {document.title}.")
    return redirect(annotation)


@require_POST
@login_required
def link_delete(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Delete a link; answer with the thread it was deleted from."""
    membership = membership_for(request, slug, Action.ANNOTATE)
    link = get_object_or_404(
        links.live_links_for(membership, with_trashed_ends=True), pk=pk
    )
    if not may_change(membership, link):
        raise PermissionDenied("Only its author or a curator may delete this link.")
    # Everything the answer needs is read before the write.
    thread = parse_id(request.POST.get("thread", ""))
    shown = {link.source_id, link.target_annotation_id} - {None}
    annotation = reading.member_annotation(
        membership, thread if thread in shown else link.source_id
    )
    services.delete_link(link=link, by=request.user)
    if not request.htmx:
        return redirect(annotation)
    return _thread(request, membership, annotation)


def _list_context(request: HtmxHttpRequest, membership: Membership) -> dict:
    filters = LinkFilterForm(request.GET or None, membership=membership)
    shown = links.live_links_for(membership)
    if filters.is_valid():
        shown = links.filter_links(
            shown,
            relation=filters.cleaned_data["relation"],
            document=filters.cleaned_data["document"],
            author=filters.cleaned_data["author"],
        )
    page = Paginator(links.links_table(shown), links.LINK_PAGE_SIZE)
    return {
        "project": membership.project,
        "membership": membership,
        "filters": filters,
        "page": page.get_page(request.GET.get("page")),
        "graph": links.graph_layout(membership.project, links.link_counts(shown)),
    }


@require_safe
@login_required
@vary_on_headers("HX-Request")
def link_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Every link the member can see, filtered, and which documents link to which."""
    membership = membership_for(request, slug)
    template = (
        "annotations/links/_link_list.html"
        if request.htmx
        else "annotations/links/link_list.html"
    )
    return render(request, template, _list_context(request, membership))
