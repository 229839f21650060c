"""Linking passages: the picker, creating and deleting links, the project's links
page with its picture, and the relation types curators keep."""

from __future__ import annotations

from django import forms
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

from annotations import linking, services
from annotations.forms import AnnotationCreateForm
from annotations.models import Annotation, RelationType, Visibility
from annotations.permissions import may_change
from annotations.views import member_document, selection_range, thread_response
from corpus import bodycache
from corpus.access import HtmxHttpRequest, membership_for
from corpus.conflicts import EditConflict, VersionedForm, describe, merge
from corpus.models import Document, Membership
from corpus.params import IdField, parse_id, parse_page
from corpus.roles import Action
from corpus.views.documents import BODY_SLOT, rendered_text, with_body


class LinkForm(forms.Form):
    relation = forms.ModelChoiceField(
        queryset=RelationType.objects.none(),
        error_messages={"invalid_choice": "Choose one of this project's relations."},
    )
    target_annotation = IdField(required=False)
    target_document = forms.ModelChoiceField(
        queryset=Document.objects.none(),
        required=False,
        error_messages={"invalid_choice": "Choose a document of this project."},
    )
    # Not a URLField: its normalising would hide what was typed; the service
    # checks the scheme and says why it refuses.
    target_url = forms.CharField(max_length=2000, required=False)
    target_title = forms.CharField(max_length=500, required=False)
    citation = forms.CharField(max_length=1000, required=False)
    accessed = forms.DateField(required=False)
    note = forms.CharField(max_length=1000, required=False)

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relation"].queryset = linking.relation_types(membership.project)
        self.fields["target_document"].queryset = _documents(membership)


class PassageLinkForm(AnnotationCreateForm):
    """A passage selected side by side (becoming an annotation) and the link to it."""

    relation = LinkForm.base_fields["relation"]
    note = LinkForm.base_fields["note"]

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relation"].queryset = linking.relation_types(membership.project)
        # The new annotation is the link's target: a bare highlight, shared.
        for name in ("body", "tags", "visibility"):
            del self.fields[name]


class LinkFilterForm(forms.Form):
    relation = forms.ModelChoiceField(
        queryset=RelationType.objects.none(), required=False, empty_label="Any"
    )
    document = forms.ModelChoiceField(
        queryset=Document.objects.none(), required=False, empty_label="Any"
    )
    author = forms.ChoiceField(required=False)

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        project = membership.project
        self.fields["relation"].queryset = RelationType.objects.filter(
            project=project
        ).order_by("name")
        self.fields["document"].queryset = _documents(membership)
        self.fields["author"].choices = [("", "Any")] + [
            (name, name)
            for name in Membership.objects.filter(project=project)
            .order_by("user__username")
            .values_list("user__username", flat=True)
        ]


class RelationTypeForm(forms.Form):
    name = forms.CharField(max_length=64)
    description = forms.CharField(required=False, max_length=1000)
    retired = forms.BooleanField(required=False)


class RelationTypeEditForm(VersionedForm, RelationTypeForm):
    versioned_fields = ("name", "description", "retired")


def _documents(membership: Membership):
    return Document.objects.filter(project_id=membership.project_id).only("pk", "title")


def _annotation(membership: Membership, pk: int) -> Annotation:
    """An annotation of the project this member may see, or 404."""
    annotation = get_object_or_404(
        Annotation.objects.shown_to_member(membership)
        .select_related("author", "document")
        .defer(*(f"document__{name}" for name in linking.HEAVY_DOCUMENT_FIELDS)),
        pk=pk,
    )
    annotation.project = annotation.document.project = membership.project
    return annotation


def _errors(error: ValidationError | forms.Form) -> list[str]:
    if isinstance(error, forms.Form):
        return [text for texts in error.errors.values() for text in texts]
    return error.messages


def _results_context(
    request: HtmxHttpRequest,
    membership: Membership,
    annotation: Annotation,
    relations: list[RelationType],
) -> dict:
    """A page of the picker's search results, each with its own link form."""
    query = request.GET.get("q", "")[:200]
    page = parse_page(request.GET.get("page"))
    results, more = linking.search_annotations(
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
        "first_number": (page - 1) * linking.SEARCH_LIMIT + 1,
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
    return _picker_response(request, membership, _annotation(membership, pk))


@require_safe
@login_required
def link_search_hx(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The picker's results for what has been typed so far."""
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = _annotation(membership, pk)
    relations = list(linking.relation_types(membership.project))
    context = _results_context(request, membership, annotation, relations)
    # "More results" asks for the next page's items, to append to the list.
    more = request.htmx and context["page"] > 1
    template = "_picker_items.html" if more else "_picker_results.html"
    return render(request, f"annotations/links/{template}", context)


@require_POST
@login_required
def link_create(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = _annotation(membership, pk)
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
                linking.create_link(
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
                errors = _errors(error)
    else:
        errors = _errors(form)
    if errors:
        return _picker_response(request, membership, annotation, form, errors)
    if not request.htmx:
        return redirect(annotation)
    return thread_response(request, membership, annotation)


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
    text = rendered_text(membership, document, approved_only=False)
    return {
        "project": membership.project,
        "membership": membership,
        "annotation": annotation,
        "before": source.text[max(0, start - CONTEXT_CHARS) : start],
        "after": source.text[end : end + CONTEXT_CHARS],
        "document": document,
        "documents": list(_documents(membership)),
        "body": mark_safe(BODY_SLOT),  # noqa: S308 (a constant)
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
    others = _documents(membership).exclude(pk=annotation.document_id)
    return others.values_list("pk", flat=True).first() or annotation.document_id


@require_safe
@login_required
def link_compare(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The passage beside another document, where a selection becomes the link's
    other end."""
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = _annotation(membership, pk)
    chosen = _compared_document(membership, annotation, request.GET.get("document"))
    document = member_document(membership, chosen)
    form = PassageLinkForm(membership=membership)
    context = _compare_context(membership, annotation, document, form)
    response = render(request, "annotations/links/link_compare.html", context)
    return with_body(response, context["text"].body)


@require_POST
@login_required
def link_passage(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Annotate the passage selected in the other document and link to it, in one
    step: both or neither."""
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = _annotation(membership, pk)
    chosen = _compared_document(membership, annotation, request.POST.get("document"))
    document = member_document(membership, chosen)
    form = PassageLinkForm(request.POST, membership=membership)
    errors = []
    if form.is_valid():
        data = form.cleaned_data
        try:
            start, end = selection_range(document, data)
            with transaction.atomic():
                target = services.create_annotation(
                    document=document,
                    author=request.user,
                    start=start,
                    end=end,
                    exact=data["exact"],
                    visibility=Visibility.PROJECT,
                )
                linking.create_link(
                    source=annotation,
                    author=request.user,
                    relation=data["relation"],
                    target_annotation=target,
                    note=data["note"],
                )
        except ValueError as error:
            errors = [f"The selection does not fall on the text: {error}."]
        except ValidationError as error:
            errors = _errors(error)
    else:
        errors = _errors(form)
    if errors:
        context = _compare_context(membership, annotation, document, form, errors)
        response = render(
            request, "annotations/links/link_compare.html", context, status=400
        )
        return with_body(response, context["text"].body)
    messages.success(request, f"Linked to “{target.exact[:60]}” in {document.title}.")
    return redirect(annotation)


@require_POST
@login_required
def link_delete(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Delete a link; answer with the thread it was deleted from."""
    membership = membership_for(request, slug, Action.ANNOTATE)
    link = get_object_or_404(
        linking.live_links_for(membership, with_trashed_ends=True), pk=pk
    )
    if not may_change(membership, link):
        raise PermissionDenied("Only its author or a curator may delete this link.")
    # Everything the answer needs is read before the write.
    thread = parse_id(request.POST.get("thread", ""))
    shown = {link.source_id, link.target_annotation_id} - {None}
    annotation = _annotation(membership, thread if thread in shown else link.source_id)
    linking.delete_link(link=link, by=request.user)
    if not request.htmx:
        return redirect(annotation)
    return thread_response(request, membership, annotation)


def _list_context(request: HtmxHttpRequest, membership: Membership) -> dict:
    filters = LinkFilterForm(request.GET or None, membership=membership)
    links = linking.live_links_for(membership)
    if filters.is_valid():
        links = linking.filter_links(
            links,
            relation=filters.cleaned_data["relation"],
            document=filters.cleaned_data["document"],
            author=filters.cleaned_data["author"],
        )
    page = Paginator(linking.links_table(links), linking.LINK_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "project": membership.project,
        "membership": membership,
        "filters": filters,
        "page": page.get_page(request.GET.get("page")),
        "query": query.urlencode(),
        "graph": linking.graph_layout(membership.project, linking.link_counts(links)),
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


def _types_response(
    request: HtmxHttpRequest,
    membership: Membership,
    errors: dict[int | str, list[str]] | None = None,
    status: int = 200,
    drafts: dict[int, dict] | None = None,
) -> HttpResponse:
    """The relation types, each in its own form with the version and values it
    shows; `drafts` puts an editor's refused values back into their rows."""
    linking.relation_types(membership.project)  # the defaults, the first time
    template = (
        "annotations/links/_relation_types.html"
        if request.htmx
        else "annotations/links/relation_types.html"
    )
    relations = list(
        RelationType.objects.filter(project=membership.project).order_by(
            "retired", "name"
        )
    )
    for relation in relations:
        relation.loaded = {
            "name": relation.name,
            "description": relation.description,
            "retired": "true" if relation.retired else "false",
        }
        for name, value in (drafts or {}).get(relation.pk, {}).items():
            setattr(relation, name, value)
    context = {
        "project": membership.project,
        "membership": membership,
        "relations": relations,
        "errors": errors or {},
        "new_name": request.POST.get("name", "") if status != 200 else "",
    }
    return render(request, template, context, status=status)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def relation_types(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The project's relations: owners and curators add, rename and retire them."""
    membership = membership_for(request, slug, Action.MODERATE)
    return _types_response(request, membership)


def _types_saved(request: HtmxHttpRequest, membership, text: str) -> HttpResponse:
    messages.success(request, text)
    if not request.htmx:
        return redirect("links:relation_types", slug=membership.project.slug)
    return _types_response(request, membership)


@require_POST
@login_required
def relation_type_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    membership = membership_for(request, slug, Action.MODERATE)
    form = RelationTypeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_errors(form))
        relation = linking.create_relation_type(
            project=membership.project,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
        )
    except ValidationError as error:
        return _types_response(request, membership, {"new": error.messages}, 400)
    return _types_saved(request, membership, f"Relation “{relation.name}” added.")


@require_POST
@login_required
def relation_type_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.MODERATE)
    relation = get_object_or_404(
        RelationType.objects.filter(project=membership.project), pk=pk
    )
    relation.project = membership.project
    form = RelationTypeEditForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_errors(form))
        relation = linking.update_relation_type(
            relation=relation,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            retired=form.cleaned_data["retired"],
            version=form.cleaned_data["version"],
            editor=request.user,
        )
    except EditConflict as conflict:
        current = conflict.current
        values, changes = merge(
            form,
            {name: getattr(current, name) for name in form.versioned_fields},
        )
        return _types_response(
            request,
            membership,
            {pk: [describe(current, changes)]},
            409,
            drafts={pk: values},
        )
    except ValidationError as error:
        return _types_response(request, membership, {pk: error.messages}, 400)
    return _types_saved(request, membership, f"Relation “{relation.name}” saved.")
