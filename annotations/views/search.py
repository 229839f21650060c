"""The project's search: one query over the texts, titles, notes, replies and
tags the member may see, with its facets."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from annotations import csv_tables, search, services
from annotations.forms import MAX_HITS, AnnotateHitsForm, SearchForm
from annotations.search_text import QueryError
from annotations.services import exports
from corpus.access import HtmxHttpRequest, membership_for
from corpus.params import parse_page
from corpus.roles import Action


@require_safe
@login_required
@vary_on_headers("HX-Request", "HX-History-Restore-Request")
def project_search(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The Search page (a GET form: a search is a link); htmx swaps the
    results in as the member types or picks a facet."""
    membership = membership_for(request, slug)
    form = SearchForm(request.GET)
    results, error, status = None, "", 200
    if not form.is_valid():
        error, status = (
            " ".join(
                # The query's own messages, and the form's, say what they are
                # about.
                " ".join(messages)
                if name in {"q", NON_FIELD_ERRORS}
                else f"{form.fields[name].label or name.capitalize()}: "
                f"{' '.join(messages)}"
                for name, messages in form.errors.items()
            ),
            400,
        )
    elif form.cleaned_data["q"].strip():
        data = {**form.cleaned_data, "page": parse_page(request.GET.get("page"))}
        try:
            results = search.search(membership, data)
        except QueryError as refused:
            error, status = str(refused), 400
    context = {
        "project": membership.project,
        "membership": membership,
        "form": form,
        "q": request.GET.get("q", ""),
        "results": results,
        "facets": _facet_links(request, results) if results else [],
        "error": error,
    }
    # htmx asks for a page it no longer keeps (Back) as for results: it
    # wants the page, form and all.
    template = (
        "annotations/search/_results.html"
        if request.htmx and not request.htmx.history_restore_request
        else "annotations/search/page.html"
    )
    return render(request, template, context, status=status)


@require_safe
@login_required
def search_hits_csv(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Every hit of a search (its query and facets in the URL) as one CSV
    file: each line of the texts, then each note and reply found, then each
    title and tag."""
    membership = membership_for(request, slug)
    form = SearchForm(request.GET)
    if not form.is_valid() or not form.cleaned_data["q"].strip():
        return HttpResponseBadRequest(
            "Give a search (q) to export its hits.", content_type="text/plain"
        )
    try:
        rows = list(search.hit_rows(membership, form.cleaned_data))
    except QueryError as refused:
        return HttpResponseBadRequest(str(refused), content_type="text/plain")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(search.HIT_COLUMNS)
    for row in rows:
        writer.writerow([csv_tables.cell(value) for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = exports.download_name(membership.project, "-search.csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@login_required
def search_annotate(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Annotate a search's hits, the chosen ones or all: a preview first (how
    many will be made, how many already carry the tag), then, confirmed, one
    annotation per hit, all or none."""
    membership = membership_for(request, slug, Action.ANNOTATE)
    form = AnnotateHitsForm(request.POST)
    searched = SearchForm(request.POST)
    back = reverse("annotations:project_search", args=[slug])
    back += "?" + _with(request, "page", None, source=request.POST)
    if not form.is_valid() or not searched.is_valid():
        errors = [
            *form.non_field_errors(),
            *form.errors.get("tag", []),
            *form.errors.get("hit", []),
        ]
        return _refused(request, membership, back, errors or ["Choose hits and a tag."])
    data = form.cleaned_data
    try:
        if data["all"]:
            passages = search.passages(
                membership, searched.cleaned_data, at_most=MAX_HITS + 1
            )
        else:
            passages = data["hit"]
            revised = services.revised_since(membership.project_id, form.revisions)
            if revised is not None:
                raise QueryError(revised)
            if search.not_hits(membership, searched.cleaned_data, passages):
                raise QueryError(
                    "A chosen hit is not one of the search's: search again."
                )
    except QueryError as refused:
        return _refused(request, membership, back, [str(refused)])
    if len(passages) > MAX_HITS:
        return _refused(
            request,
            membership,
            back,
            [f"At most {MAX_HITS:,} hits are annotated at once: narrow the search."],
        )
    if not data["confirm"]:
        new, skipped, shown = search.annotate_preview(
            membership, passages, data["add_tag"]
        )
        return render(
            request,
            "annotations/search/annotate.html",
            {
                "project": membership.project,
                "membership": membership,
                "form": form,
                "passages": passages,
                "new": new,
                "skipped": skipped,
                "shown": shown,
                "unshown": new - len(shown),
                "search": request.POST,
                "back": back,
            },
        )
    try:
        made, skipped = services.annotate_passages(
            project=membership.project,
            author=request.user,
            passages=passages,
            tag=data["add_tag"],
            body=data["body"],
            reason=f"Made on every hit of the search “{searched.cleaned_data['q']}”.",
            # The chosen hits count in the texts as the search found them
            # (all of them are found again now).
            revisions=None if data["all"] else form.revisions,
        )
    except ValidationError as error:
        return _refused(request, membership, back, error.messages)
    messages.success(
        request,
        f"{len(made)} annotation{pluralize(len(made))} made with the tag "
        f"“{data['add_tag']}”"
        + (
            f"; {skipped} passage{pluralize(skipped)} already had it."
            if skipped
            else "."
        ),
    )
    return redirect(back)


def _refused(request, membership, back: str, errors: list[str]) -> HttpResponse:
    return render(
        request,
        "annotations/search/annotate.html",
        {
            "project": membership.project,
            "membership": membership,
            "errors": errors,
            "back": back,
        },
        status=400,
    )


FACETS = (
    ("kind", "Found in"),
    ("document", "Document"),
    ("year", "Published"),
    ("tag", "Tag"),
    ("author", "Author"),
    ("status", "Status"),
)


def _facet_links(request: HtmxHttpRequest, results) -> list[dict]:
    """Each facet with its values' links: this search with that value chosen
    (from the first page), and one to choose any value again."""
    listed = []
    for name, title in FACETS:
        chosen = request.GET.get(name, "")
        if name == "year":  # chosen when the dates are its first and last days
            since, until = request.GET.get("since", ""), request.GET.get("until", "")
            chosen = (
                since[:4]
                if since.endswith("-01-01") and until == (f"{since[:4]}-12-31")
                else ""
            )
        rows = [
            {
                **row,
                "query": _with(request, name, row["value"]),
                "chosen": str(row["value"]) == chosen,
                # A tag's tags above it, each to be chosen too (with the
                # tags under it).
                "above": [
                    {"name": above, "query": _with(request, name, above)}
                    for above in row.get("above", ())
                ],
            }
            for row in results.facets[name]
        ]
        listed.append(
            {
                "name": name,
                "title": title,
                "rows": rows,
                "clear": _with(request, name, None) if chosen else "",
            }
        )
    return listed


def _with(request: HtmxHttpRequest, name: str, value, source=None) -> str:
    """The search's query (`source`: the GET, or a POST that carries it) with
    `name` set to `value` (or taken out), from its first page. A year sets
    the dates from its first day to its last."""
    query = (request.GET if source is None else source).copy()
    for field in ("hit", "all", "add_tag", "body", "confirm", "csrfmiddlewaretoken"):
        if source is not None:
            query.pop(field, None)
    query.pop("page", None)
    given = {"since": f"{value}-01-01", "until": f"{value}-12-31"}
    for field, set_to in (given if name == "year" else {name: value}).items():
        if value in (None, ""):
            query.pop(field, None)
        else:
            query[field] = str(set_to)
    return query.urlencode()
