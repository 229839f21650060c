"""The Tags screen: curators find, rename, recolour, nest, retire and merge the
project's tags; the tag autocomplete of the note forms; the project's tag
colours as a stylesheet.

The screen stays light however large the vocabulary: a page of tags at a time,
found by name, each edited on its own page (no list of every tag in every row).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers

from annotations import services, styles
from annotations.forms import TagEditForm, TagFilterForm, TagMergeForm
from annotations.models import Tag
from corpus.access import HtmxHttpRequest, membership_for
from corpus.conflicts import EditConflict, versioned_edit
from corpus.models import Membership
from corpus.params import carried_query, parse_id, parse_page
from corpus.roles import Action

TAGS_PAGE_SIZE = 50
SUGGESTIONS = 20
A_YEAR = 365 * 24 * 3600


def _offered(membership: Membership):
    return Tag.objects.offered_to(membership)


def _tags_context(request: HtmxHttpRequest, membership: Membership, **extra) -> dict:
    filters = TagFilterForm(request.GET)
    tags = _offered(membership).select_related("parent").with_usage(membership)
    query = filters.cleaned_data["q"] if filters.is_valid() else ""
    if query:
        tags = tags.filter(name__icontains=query)
    page = Paginator(tags.order_by("name", "pk"), TAGS_PAGE_SIZE).get_page(
        parse_page(request.GET.get("page"))
    )
    return {
        "project": membership.project,
        "membership": membership,
        "filters": filters,
        "query": query,
        "page": page,
        "tags": page.object_list,
        "merge_form": None,
        "errors": [],
        **extra,
    }


def _tags_response(request: HtmxHttpRequest, context: dict, status: int = 200):
    template = (
        "annotations/tags/_tags_table.html"
        if request.htmx
        else "annotations/tags/tag_manage.html"
    )
    return render(request, template, context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@vary_on_headers("HX-Request")
def tag_manage(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The project's tags, a page at a time; merging, retiring and offering again."""
    membership = membership_for(request, slug, Action.MODERATE)
    if request.method != "POST":
        return _tags_response(request, _tags_context(request, membership))
    action = request.POST.get("action", "")
    errors, merge_form, status = [], None, 400
    try:
        if action == "merge":
            merge_form = _merge(request, membership)
        elif action in ("retire", "restore"):
            _retire(request, membership, retired=action == "retire")
        else:
            raise ValidationError("Choose merge, retire or offer again.")
    except EditConflict as conflict:
        errors, status = (
            [
                f"“{conflict.current.name}” was changed by {_who(conflict.current)} "
                "since you loaded this page: it is shown here as it is now. "
                "Nothing was saved."
            ],
            409,
        )
    except ValidationError as error:
        errors = error.messages
    if errors or (merge_form is not None and merge_form.errors):
        context = _tags_context(
            request, membership, errors=errors, merge_form=merge_form
        )
        return _tags_response(request, context, status=status)
    if not request.htmx:
        query = carried_query(request.GET, ["q", "page"])
        return redirect(f"{request.path}?{query}" if query else request.path)
    return _tags_response(request, _tags_context(request, membership))


def _who(row) -> str:
    return row.updated_by.get_username() if row.updated_by else "someone"


def _tag_named(membership: Membership, name: str) -> Tag:
    tag = (
        _offered(membership).filter(name__iexact=" ".join(name.split())).first()
        if name.strip()
        else None
    )
    if tag is None:
        raise ValidationError(f"There is no tag “{name}” in this project.")
    return tag


def _merge(request: HtmxHttpRequest, membership: Membership) -> TagMergeForm:
    asked = [pk for pk in request.POST.getlist("merge") if parse_id(pk)]
    choices = list(
        _offered(membership)
        .filter(pk__in=[int(pk) for pk in asked])
        .values_list("pk", "name")
    )
    form = TagMergeForm(request.POST, choices=choices)
    if not form.is_valid():
        return form
    into = _tag_named(membership, form.cleaned_data["into"])
    sources = list(Tag.objects.filter(pk__in=form.cleaned_data["merge"]))
    count = services.merge_tags(sources=sources, into=into, by=request.user)
    messages.success(
        request, f"Merged into “{into.name}”; {count} annotation(s) re-tagged."
    )
    return form


def _retire(request: HtmxHttpRequest, membership: Membership, retired: bool) -> None:
    tag = _offered(membership).filter(pk=parse_id(request.POST.get("tag"))).first()
    if tag is None:
        raise ValidationError("That tag is not in this project.")
    version = parse_id(request.POST.get("version"))
    if version is None:
        raise ValidationError("Reload the page and try again.")
    services.update_tag(tag=tag, version=version, editor=request.user, retired=retired)
    messages.success(
        request,
        f"“{tag.name}” is {'retired' if retired else 'offered again'}.",
    )


def _tag_values(tag: Tag) -> dict:
    return {
        "name": tag.name,
        "colour": tag.colour,
        "description": tag.description,
        "parent": tag.parent.name if tag.parent_id else "",
        "retired": tag.retired,
    }


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def tag_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """One tag: rename, recolour, describe, nest, retire. A save made to an older
    version is refused with what changed and who (409)."""
    membership = membership_for(request, slug, Action.MODERATE)
    tag = get_object_or_404(_offered(membership).select_related("parent"), pk=pk)
    form = TagEditForm(
        request.POST if request.method == "POST" else None,
        initial={**_tag_values(tag), "version": tag.version},
    )

    def save(data: dict) -> Tag:
        parent = _tag_named(membership, data["parent"]) if data["parent"] else None
        try:
            return services.update_tag(
                tag=tag,
                version=data["version"],
                editor=request.user,
                name=data["name"],
                colour=data["colour"],
                description=data["description"],
                parent=parent,
                retired=data["retired"],
            )
        except EditConflict:
            if not Tag.objects.filter(pk=tag.pk).exists():
                # Merged into another since the page was loaded.
                raise Http404("This tag was merged into another meanwhile.") from None
            raise

    def saved(saved_tag: Tag) -> HttpResponse:
        messages.success(request, f"Tag “{form.cleaned_data['name']}” saved.")
        return redirect("annotations:tag_manage", slug=slug)

    return versioned_edit(
        request,
        form,
        template="annotations/tags/tag_edit.html",
        context={"project": membership.project, "membership": membership, "tag": tag},
        save=save,
        values=_tag_values,
        saved=saved,
    )


@require_safe
@login_required
def tag_search_hx(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Tag suggestions for the autocomplete: the tags this member may be shown
    whose name holds what is typed after the last comma."""
    membership = membership_for(request, slug)
    # The note forms send "tags", the Tags screen "into" and "parent".
    raw = next(
        (
            request.GET[name]
            for name in ("tags", "q", "into", "parent")
            if name in request.GET
        ),
        "",
    )
    typed = raw.split(",")[-1].strip()[:64]
    tags = _offered(membership).filter(retired=False).select_related("parent")
    if typed:
        tags = tags.filter(name__icontains=typed)
    return render(
        request,
        "annotations/tags/_tag_options.html",
        {"tags": tags.order_by("name")[:SUGGESTIONS]},
    )


@require_safe
@login_required
def tag_colours(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The project's tag colours, one class per tag; members only (404 otherwise).

    Kept for a year when asked for by the current version, which changes with
    any colour; any other URL is checked again on every use.
    """
    membership = membership_for(request, slug)
    css, version = styles.stylesheet(membership.project_id)
    response = HttpResponse(
        f"/* Tag colours of {membership.project.slug} */\n{css}",
        content_type="text/css; charset=utf-8",
    )
    if request.GET.get("v") == version:
        response["Cache-Control"] = f"private, max-age={A_YEAR}, immutable"
    else:
        response["Cache-Control"] = "private, no-cache"
    return response
