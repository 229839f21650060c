"""The project's search: one query over the texts, titles, notes, replies and
tags the member may see, with its facets."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from annotations import search
from annotations.forms import SearchForm
from annotations.search_text import QueryError
from corpus.access import HtmxHttpRequest, membership_for
from corpus.params import parse_page


@require_safe
@login_required
@vary_on_headers("HX-Request")
def project_search(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The Search page (a GET form: a search is a link); htmx swaps the
    results in as the member types or picks a facet."""
    membership = membership_for(request, slug)
    form = SearchForm(request.GET)
    results, error, status = None, "", 200
    if not form.is_valid():
        error, status = (
            " ".join(
                f"{form.fields[name].label or name.capitalize()}: {' '.join(messages)}"
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
        "q": request.GET.get("q", "")[:500],
        "results": results,
        "facets": _facet_links(request, results) if results else [],
        "error": error,
    }
    template = (
        "annotations/search/_results.html"
        if request.htmx
        else "annotations/search/page.html"
    )
    return render(request, template, context, status=status)


FACETS = (
    ("kind", "Found in"),
    ("document", "Document"),
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
        rows = [
            {
                **row,
                "query": _with(request, name, row["value"]),
                "chosen": str(row["value"]) == chosen,
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


def _with(request: HtmxHttpRequest, name: str, value) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    if value in (None, ""):
        query.pop(name, None)
    else:
        query[name] = str(value)
    return query.urlencode()
