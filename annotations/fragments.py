"""Fragments that several screens answer with: an annotation's thread, as the
reading view's panel (#thread) shows it, after a note, a reply or a link was
made or changed (views/threads.py, views/replies.py, views/links.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.http import trigger_client_event

from annotations import reading
from annotations.models import Annotation, Tag
from corpus.models import Membership

THREAD = "annotations/threads/_thread.html"


def thread_response(
    request: HttpRequest,
    membership: Membership,
    annotation: Annotation,
    extra: dict | None = None,
    status: int = 200,
    tags: list[Tag] | None = None,
) -> HttpResponse:
    """The annotation's thread (`tags`, for a new annotation, spare a query)."""
    context = {
        "document": annotation.document,
        **reading.thread_context(membership, annotation, tags),
        **(extra or {}),
    }
    return render(request, THREAD, context, status=status)


def announce_change(response: HttpResponse) -> HttpResponse:
    """The margin list refreshes itself on this event (its own, cheap request)."""
    return trigger_client_event(response, "annotations-changed")
