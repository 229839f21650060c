"""The project's search: one query over the texts, titles, notes, replies and
tags the member may see."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from annotations import search
from annotations.search_text import QueryError
from corpus.access import HtmxHttpRequest, membership_for
from corpus.params import parse_page


@require_safe
@login_required
@vary_on_headers("HX-Request")
def project_search(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The Search page (a GET form: a search is a link); htmx swaps the
    results in as the member types."""
    membership = membership_for(request, slug)
    text = request.GET.get("q", "")[:1000]
    results, error, status = None, "", 200
    if text.strip():
        try:
            results = search.search(
                membership, text, page=parse_page(request.GET.get("page"))
            )
        except QueryError as refused:
            error, status = str(refused), 400
    context = {
        "project": membership.project,
        "membership": membership,
        "q": text,
        "results": results,
        "error": error,
    }
    template = (
        "annotations/search/_results.html"
        if request.htmx
        else "annotations/search/page.html"
    )
    return render(request, template, context, status=status)
