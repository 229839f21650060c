"""The Relation types screen: owners and curators add, rename, describe and
retire the kinds of link a project offers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from annotations import services
from annotations.forms import RelationTypeEditForm, RelationTypeForm, form_errors
from annotations.models import RelationType
from corpus.access import HtmxHttpRequest, membership_for
from corpus.conflicts import EditConflict, describe, merge
from corpus.models import Membership
from corpus.roles import Action


def _types_response(
    request: HtmxHttpRequest,
    membership: Membership,
    errors: dict[int | str, list[str]] | None = None,
    status: int = 200,
    drafts: dict[int, dict] | None = None,
) -> HttpResponse:
    """The relation types, each in its own form with the version and values it
    shows; `drafts` puts an editor's refused values back into their rows."""
    template = (
        "annotations/relations/_relation_types.html"
        if request.htmx
        else "annotations/relations/relation_types.html"
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
        return redirect("annotations:relation_types", slug=membership.project.slug)
    return _types_response(request, membership)


@require_POST
@login_required
def relation_type_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    membership = membership_for(request, slug, Action.MODERATE)
    form = RelationTypeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        relation = services.create_relation_type(
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
            raise ValidationError(form_errors(form))
        relation = services.update_relation_type(
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
