"""Checks every request passes before a view sees it."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import render

NUL = "\x00"


def _has_nul(request) -> bool:
    sources = [request.GET, request.POST] if request.method == "POST" else [request.GET]
    for data in sources:
        for key, values in data.lists():
            if NUL in key or any(NUL in value for value in values):
                return True
    if request.method == "POST":
        return any(NUL in upload.name for upload in request.FILES.values())
    return False


class RejectNulMiddleware:
    """Refuse a NUL character in any query or form value, with a clear 400.

    No field of the app accepts one, and PostgreSQL cannot store one: refused
    here, it can reach neither a form, a filter nor the database.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            return render(
                request,
                "400.html",
                {
                    "message": "The request contained a NUL character (code 0), "
                    "which no field accepts. Remove it and try again."
                },
                status=400,
            )
        return self.get_response(request)


class AtomicWritesMiddleware:
    """Run every view that may write (any method but GET, HEAD, OPTIONS) in one
    transaction: if it fails after a write (an error while building its answer),
    the write is undone with it. Never half a change (DESIGN invariant 3).

    Reads stay outside a transaction, so that on SQLite they never take the
    write lock. Last in MIDDLEWARE: the other middleware's checks run first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        with transaction.atomic():
            return view_func(request, *view_args, **view_kwargs)
