"""Fragments that several screens answer with: an annotation's thread, as the
reading view's panel (#thread) shows it, after a note, a reply or a link was
made or changed (views/threads.py, views/replies.py, views/links.py); and what
a write on the reading page brings the page besides (with_reader_update)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from annotations import polling, reading
from annotations.models import Annotation, Tag
from annotations.services.revisions import Counted
from corpus.models import Document, Membership

THREAD = "annotations/threads/_thread.html"
READER_UPDATE = "annotations/reading/_reader_update.html"


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


def with_reader_update(
    request: HttpRequest,
    response: HttpResponse,
    membership: Membership,
    document: Document,
    touched: list[polling.Touched],
    counted: list[Counted],
    *,
    redraw: bool = True,
) -> HttpResponse:
    """The write's answer, followed by what the reader's page changes besides
    (reading.reader_update: redrawn blocks, margin news, counts, token) as
    out-of-band fragments: one request does the whole action, none follows.
    `counted`: what the write counted (services.revisions.counting)."""
    context = reading.reader_update(
        membership,
        document,
        polling.ReaderView.of_write(request),
        touched,
        counted=counted,
        redraw=redraw,
    )
    response.content += render_to_string(READER_UPDATE, context, request).encode()
    return response
