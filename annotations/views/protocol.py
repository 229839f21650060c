"""The W3C Web Annotation Protocol (https://www.w3.org/TR/annotation-protocol/):
an annotation container per project and per document, paged, and each note,
reply and link at its own IRI, for tools that speak the protocol.

The same rules as the web pages: non-members get 404, each member sees what
the reading view shows them. JSON-LD always (the one representation we have).
"""

from __future__ import annotations

import hashlib
import json

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from annotations import export, reading, w3c
from annotations.links import live_links_for
from annotations.models import Annotation, Reply
from annotations.views.export import iris_for
from corpus.access import HtmxHttpRequest, membership_for
from corpus.params import parse_id

PAGE_SIZE = 100
LDP = "http://www.w3.org/ns/ldp#"
LDP_CONTEXT = "http://www.w3.org/ns/ldp.jsonld"
CONSTRAINED_BY = (
    f'<http://www.w3.org/TR/annotation-protocol/>; rel="{LDP}constrainedBy"'
)
# What a client may ask for in Prefer's include (the Protocol, 4.2).
PREFER_MINIMAL = f"{LDP}PreferMinimalContainer"
PREFER_IRIS = "http://www.w3.org/ns/oa#PreferContainedIRIs"
PREFER_DESCRIPTIONS = "http://www.w3.org/ns/oa#PreferContainedDescriptions"
READ_METHODS = "GET, HEAD, OPTIONS"


def _unauthenticated() -> JsonResponse:
    response = JsonResponse(
        {"error": "Sign in, or send a personal API token."}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="apparatus"'
    return response


def _preference(request) -> str | None:
    """The container representation asked for in Prefer, if any."""
    asked = request.headers.get("Prefer", "")
    for uri in (PREFER_MINIMAL, PREFER_IRIS, PREFER_DESCRIPTIONS):
        if uri in asked:
            return uri
    return None


def _answer(request, document: dict, *, link: str, allow: str) -> HttpResponse:
    """JSON-LD with a strong ETag (of the bytes themselves: any change makes a
    new one), 304 when the client has it."""
    body = json.dumps(document, ensure_ascii=False).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=w3c.MEDIA_TYPE)
    response["ETag"] = etag
    response["Link"] = link
    response["Allow"] = allow
    response["Vary"] = "Accept, Prefer"
    return response


def _options(link: str, allow: str, accept_post: bool = False) -> HttpResponse:
    response = HttpResponse(status=200)
    response["Link"] = link
    response["Allow"] = allow
    if accept_post:
        response["Accept-Post"] = w3c.MEDIA_TYPE
    return response


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def container(
    request: HtmxHttpRequest, slug: str, pk: int | None = None
) -> HttpResponse:
    """The project's container (or a document's, with `pk`): the collection with
    its first page, or `?page=` a page, as the client prefers."""
    link = f'<{LDP}BasicContainer>; rel="type", {CONSTRAINED_BY}'
    if request.method == "OPTIONS":
        return _options(link, READ_METHODS, accept_post=True)
    if not request.user.is_authenticated:
        return _unauthenticated()
    membership = membership_for(request, slug)
    document = None if pk is None else reading.member_document(membership, pk)
    iris = iris_for(request, slug)
    notes = export.notes_for(membership, document)
    address = (
        iris.container if document is None else iris.document_container(document.pk)
    )
    preference = _preference(request)
    context = [*iris.context, LDP_CONTEXT]
    raw_page = request.GET.get("page")
    if raw_page is not None:
        after = parse_id(raw_page) if raw_page != "0" else 0
        if after is None:
            raise Http404("No such page.")
        shown = _page(membership, iris, notes, address, after, preference)
        answer = _answer(
            request,
            {"@context": context, **shown},
            link=f'<{LDP}Page>; rel="type"',
            allow=READ_METHODS,
        )
    else:
        first = _page(membership, iris, notes, address, 0, preference)
        collection = {
            "@context": context,
            "id": address,
            "type": ["BasicContainer", "AnnotationCollection"],
            "label": f"Annotations of {document or membership.project}",
            "total": first["partOf"]["total"],
        }
        latest = notes.order_by("-updated_at").values_list("updated_at", flat=True)
        if modified := latest.first():
            collection["modified"] = w3c.when(modified)
        collection["first"] = first["id"] if preference == PREFER_MINIMAL else first
        collection["last"] = _page_iri(address, _last_after(notes))
        answer = _answer(request, collection, link=link, allow=READ_METHODS)
        answer["Accept-Post"] = w3c.MEDIA_TYPE
    if preference is not None:
        answer["Preference-Applied"] = "return=representation"
    return answer


def _page_iri(address: str, after: int) -> str:
    return f"{address}?page={after}"


def _last_after(notes) -> int:
    """The cursor of the last page: the note just before it (0: the first)."""
    count = notes.count()
    pages_before = (count - 1) // PAGE_SIZE if count else 0
    if not pages_before:
        return 0
    return notes.order_by("pk").values_list("pk", flat=True)[
        pages_before * PAGE_SIZE - 1
    ]


def _page(membership, iris, notes, address: str, after: int, preference) -> dict:
    found = export.page(membership, iris, notes, after, PAGE_SIZE)
    items = found.items
    if preference == PREFER_IRIS:
        items = [item["id"] for item in items]
    shown = {
        "id": _page_iri(address, after),
        "type": "AnnotationPage",
        "partOf": {"id": address, "total": found.total},
        "startIndex": found.start_index,
        "items": items,
    }
    if found.next_after is not None:
        shown["next"] = _page_iri(address, found.next_after)
    if found.previous_after is not None:
        shown["prev"] = _page_iri(address, found.previous_after)
    return shown


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def annotation(
    request: HtmxHttpRequest, slug: str, pk: int, kind: str = "note"
) -> HttpResponse:
    """A note, a reply or a link at its own IRI."""
    link = f'<{LDP}Resource>; rel="type"'
    if request.method == "OPTIONS":
        return _options(link, READ_METHODS)
    if not request.user.is_authenticated:
        return _unauthenticated()
    membership = membership_for(request, slug)
    iris = iris_for(request, slug)
    notes = Annotation.objects.shown_to_member(membership)
    if kind == "reply":
        row = get_object_or_404(
            Reply.objects.filter(annotation__in=notes.values("pk"))
            .filter(deleted_at__isnull=True)
            .select_related("author"),
            pk=pk,
        )
        item = w3c.reply(iris, row)
    elif kind == "link":
        row = get_object_or_404(
            live_links_for(membership).select_related("author", "relation"), pk=pk
        )
        item = w3c.link(iris, row)
    else:
        note = get_object_or_404(notes.select_related("author"), pk=pk)
        events = list(note.events.order_by("at", "pk"))
        tags = sorted(note.tags.values_list("name", flat=True))
        item = w3c.note(iris, note, tags, events)
    return _answer(
        request, {"@context": iris.context, **item}, link=link, allow=READ_METHODS
    )
