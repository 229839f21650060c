"""The W3C Web Annotation Protocol (https://www.w3.org/TR/annotation-protocol/):
an annotation container per project and per document, paged, and each note,
reply and link at its own IRI, for tools that speak the protocol.

The same rules as the web pages: non-members get 404, each member sees what
the reading view shows them. JSON-LD always (the one representation we have).
"""

from __future__ import annotations

import hashlib
import json
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Max
from django.http import Http404, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.shortcuts import get_object_or_404
from django.utils.http import parse_etags
from django.views.decorators.http import require_http_methods

from annotations import export, reading, services, w3c, w3c_in
from annotations.links import live_links_for
from annotations.models import Anchoring, Annotation, Reply, Visibility
from annotations.permissions import may_change
from corpus.access import HtmxHttpRequest, api_view, membership_for
from corpus.conflicts import EditConflict
from corpus.params import parse_id
from corpus.roles import Action

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
CONTAINER_METHODS = "GET, HEAD, OPTIONS, POST"
NOTE_METHODS = "GET, HEAD, OPTIONS, PUT, DELETE"
# A link is deleted, not replaced: another target is another link.
LINK_METHODS = "GET, HEAD, OPTIONS, DELETE"
METHODS = {"note": NOTE_METHODS, "reply": NOTE_METHODS, "link": LINK_METHODS}
MAX_BODY = 1024 * 1024


def _error(message: str, status: int = 400, **details) -> JsonResponse:
    return JsonResponse({"error": message, **details}, status=status)


def _json(request):
    """The request's JSON, or a Refused."""
    try:
        body = request.body
    except RawPostDataException:
        # A form's body, already parsed (and its stream read) by the checks
        # every form post goes through.
        raise w3c_in.Refused(
            "Send the annotation as JSON (application/ld+json), not a form.",
            status=415,
        ) from None
    if len(body) > MAX_BODY:
        raise w3c_in.Refused("An annotation is at most 1 MB of JSON.", status=413)
    return w3c_in.parsed(body)


def _opaque(tags: list[str]) -> set[str]:
    """ETags without their weakness mark: the compression middleware marks a
    gzipped answer's ETag weak (W/), and the client sends back what it got."""
    return {tag.removeprefix("W/") for tag in tags}


def _matches(header: str, etag: str) -> bool:
    return header.strip() == "*" or etag in _opaque(parse_etags(header))


def _preference(request) -> str | None:
    """The container representation asked for in Prefer's include, if any
    (what a client asks to omit is left as we have it)."""
    included = re.findall(r'include="([^"]*)"', request.headers.get("Prefer", ""))
    asked = {uri for value in included for uri in value.split()}
    for uri in (PREFER_MINIMAL, PREFER_IRIS, PREFER_DESCRIPTIONS):
        if uri in asked:
            return uri
    return None


def _encoded(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def _etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def _answer(
    request, document: dict, *, link: str, allow: str, status: int = 200
) -> HttpResponse:
    """JSON-LD with a strong ETag (of the bytes themselves: any change makes a
    new one), 304 when the client has it."""
    body = _encoded(document)
    etag = _etag(body)
    if request.method in {"GET", "HEAD"} and _matches(
        request.headers.get("If-None-Match", ""), etag
    ):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=w3c.MEDIA_TYPE, status=status)
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


@require_http_methods(["GET", "HEAD", "OPTIONS", "POST"])
@api_view
def container(
    request: HtmxHttpRequest, slug: str, pk: int | None = None
) -> HttpResponse:
    """The project's container (or a document's, with `pk`): the collection with
    its first page, or `?page=` a page, as the client prefers; POST makes an
    annotation in it."""
    link = f'<{LDP}BasicContainer>; rel="type", {CONSTRAINED_BY}'
    if request.method == "OPTIONS":
        return _options(link, CONTAINER_METHODS, accept_post=True)
    if request.method == "POST":
        return _created(request, slug, pk)
    membership = membership_for(request, slug)
    document = (
        None if pk is None else reading.member_document(membership, pk, with_body=False)
    )
    iris = w3c.Iris.of_request(request, slug)
    scope = export.Scope(membership, document, orphans=True)
    tally = export.Tally(scope)
    notes = scope.notes
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
        shown = _page(scope, tally, iris, address, after, preference)
        answer = _answer(
            request,
            {"@context": context, **shown},
            link=f'<{LDP}Page>; rel="type"',
            allow=READ_METHODS,
        )
    else:
        first = _page(scope, tally, iris, address, 0, preference)
        collection = {
            "@context": context,
            "id": address,
            "type": ["BasicContainer", "AnnotationCollection"],
            "label": f"Annotations of {document or membership.project}",
            "total": first["partOf"]["total"],
        }
        modified = tally.remember(
            "modified", lambda: notes.aggregate(latest=Max("updated_at"))["latest"]
        )
        if modified:
            collection["modified"] = w3c.when(modified)
        collection["first"] = first["id"] if preference == PREFER_MINIMAL else first
        collection["last"] = _page_iri(
            address, tally.remember("last", lambda: _last_after(notes))
        )
        answer = _answer(request, collection, link=link, allow=CONTAINER_METHODS)
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


def _page(scope, tally, iris, address: str, after: int, preference) -> dict:
    found = export.page(scope, iris, after, PAGE_SIZE, tally)
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


@require_http_methods(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
@api_view
def annotation(
    request: HtmxHttpRequest, slug: str, pk: int, kind: str = "note"
) -> HttpResponse:
    """A note, a reply or a link at its own IRI; a note or a reply is replaced
    by PUT, any of them deleted by DELETE, each with the ETag it was read with
    (If-Match)."""
    link = f'<{LDP}Resource>; rel="type"'
    allow = METHODS[kind]
    if request.method == "OPTIONS":
        return _options(link, allow)
    if request.method not in allow:
        refused = _error("A link is not replaced: delete it and make another.", 405)
        refused["Allow"] = allow
        return refused
    membership = membership_for(
        request,
        slug,
        Action.READ if request.method in {"GET", "HEAD"} else Action.ANNOTATE,
    )
    iris = w3c.Iris.of_request(request, slug)
    notes = Annotation.objects.shown_to_member(membership, orphans=True)
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
        row = get_object_or_404(
            notes.select_related("author").annotate(
                text_revision=F("document__text_revision")
            ),
            pk=pk,
        )
        item = _note_item(iris, row)
    if request.method in {"PUT", "DELETE"}:
        return _change(request, membership, iris, kind, row, item, link)
    return _answer(request, {"@context": iris.context, **item}, link=link, allow=allow)


def _note_item(iris: w3c.Iris, note: Annotation) -> dict:
    """The note as the protocol gives it; `note.text_revision` (the revision
    its offsets count in) set by the caller, read with the note."""
    events = list(note.events.order_by("at", "pk"))
    tags = sorted(note.tags.values_list("name", flat=True))
    return w3c.note(iris, note, tags, events)


def _change(request, membership, iris, kind, row, item, link) -> HttpResponse:
    """PUT or DELETE on a note, a reply or a link, if the client read its
    latest state."""
    if not may_change(membership, row):
        raise PermissionDenied(f"Only its author or a curator may change this {kind}.")
    asked = request.headers.get("If-Match")
    if not asked:
        return _error(f"Send If-Match with the ETag you read the {kind} with.", 428)
    current = _etag(_encoded({"@context": iris.context, **item}))
    if not _matches(asked, current):
        return _error(
            f"The {kind} changed since you read it: read it again.", 412, etag=current
        )
    try:
        if request.method == "DELETE":
            _delete(request, kind, row)
            return HttpResponse(status=204)
        if kind == "note":
            _replace_note(request, membership, iris, row, item)
            changed = (
                Annotation.objects.select_related("author")
                .annotate(text_revision=F("document__text_revision"))
                .get(pk=row.pk)
            )
            item = _note_item(iris, changed)
        else:
            _replace_reply(request, iris, row)
            item = w3c.reply(
                iris, Reply.objects.select_related("author").get(pk=row.pk)
            )
    except w3c_in.Refused as refused:
        return _error(refused.message, refused.status, **refused.details)
    except EditConflict:
        return _error(f"The {kind} changed since you read it: read it again.", 412)
    except ValidationError as error:
        return _error(" ".join(error.messages))
    return _answer(
        request, {"@context": iris.context, **item}, link=link, allow=METHODS[kind]
    )


def _delete(request, kind: str, row) -> None:
    if kind == "note":
        services.delete_annotation(annotation=row, by=request.user, version=row.version)
    elif kind == "reply":
        services.delete_reply(reply=row, by=request.user)
    else:
        services.delete_link(link=row, by=request.user)


def _replace_note(request, membership, iris, note, item) -> None:
    data = w3c_in.annotation(_json(request))
    wanted = w3c_in.wanted(data)
    target = w3c_in.target(data, iris)
    if note.anchoring != Anchoring.ANCHORED:
        # An orphan stands on no text: its target is its document and its
        # last quote, as its GET gives them.
        quotes = [
            selector.get("exact")
            for selector in target.selectors
            if isinstance(selector, dict)
            and selector.get("type") == "TextQuoteSelector"
        ]
        if target.document_id != note.document_id or quotes != [note.exact]:
            raise w3c_in.Refused(
                "An annotation keeps its passage: make a new one for another.",
                expected=item["target"],
            )
        start, end = note.start, note.end
    else:
        document = reading.member_document(membership, note.document_id)
        target.check_revision(document.text_revision)
        start, end = w3c_in.passage(document.text, target.selectors)
    if (target.document_id, start, end) != (note.document_id, note.start, note.end):
        raise w3c_in.Refused(
            "An annotation keeps its passage: make a new one for another.",
            expected=item["target"],
        )
    services.update_annotation(
        annotation=note,
        editor=request.user,
        version=note.version,
        body=wanted.body,
        tags=wanted.tags,
        # Not said: as it was (a client unaware of it never shares a note).
        visibility=wanted.visibility or note.visibility,
    )


def _replace_reply(request, iris, reply) -> None:
    data = w3c_in.annotation(_json(request))
    wanted = w3c_in.wanted(data)
    if _replied_to(data, iris) != reply.annotation_id:
        raise w3c_in.Refused(
            "A reply stays with its annotation: make a new one for another.",
            expected=iris.annotation(reply.annotation_id),
        )
    _check_reply_body(wanted)
    services.update_reply(
        reply=reply, version=reply.version, body=wanted.body, editor=request.user
    )


def _replied_to(data: dict, iris) -> int | None:
    """The local id of the note a replying annotation targets."""
    target = data.get("target")
    target = target[0] if isinstance(target, list) and len(target) == 1 else target
    if isinstance(target, dict):
        target = target.get("id")
    return w3c_in.local_id(target, iris, "annotation")


def _check_reply_body(wanted) -> None:
    if not wanted.body.strip() or wanted.tags or wanted.visibility:
        raise w3c_in.Refused(
            "A reply is one TextualBody of text: no tags, no visibility of its own."
        )


def _created(request, slug: str, pk: int | None) -> HttpResponse:
    """POST to a container: a note on a passage, or a reply to a note."""
    membership = membership_for(request, slug, Action.ANNOTATE)
    document = (
        None if pk is None else reading.member_document(membership, pk, with_body=False)
    )
    iris = w3c.Iris.of_request(request, slug)
    try:
        data = w3c_in.annotation(_json(request))
        wanted = w3c_in.wanted(data)
        if data.get("motivation") == "replying":
            made = _reply(request, membership, iris, data, wanted, document)
        else:
            made = _note(request, membership, iris, data, wanted, document)
    except w3c_in.Refused as refused:
        return _error(refused.message, refused.status, **refused.details)
    except ValidationError as error:
        return _error(" ".join(error.messages))
    response = _answer(
        request,
        {"@context": iris.context, **made},
        link=f'<{LDP}Resource>; rel="type"',
        allow=NOTE_METHODS,
        status=201,
    )
    response["Location"] = made["id"]
    return response


def _note(request, membership, iris, data, wanted, document) -> dict:
    target = w3c_in.target(data, iris)
    if document is not None and target.document_id != document.pk:
        raise w3c_in.Refused(
            "This container holds the annotations of another document.",
            expected=iris.document(document.pk),
        )
    try:
        document = reading.member_document(membership, target.document_id)
    except Http404:
        raise w3c_in.Refused(
            f"No such document in this project: {iris.document(target.document_id)}",
            status=404,
        ) from None
    target.check_revision(document.text_revision)
    start, end = w3c_in.passage(document.text, target.selectors)
    note = services.create_annotation(
        document=document,
        author=request.user,
        start=start,
        end=end,
        exact=document.text[start:end],
        body=wanted.body,
        tags=wanted.tags,
        visibility=wanted.visibility or Visibility.PROJECT,
        via=wanted.via,
        canonical=wanted.canonical,
    )
    note.author = request.user
    note.text_revision = document.text_revision
    return _note_item(iris, note)


def _reply(request, membership, iris, data, wanted, document) -> dict:
    pk = _replied_to(data, iris)
    note = Annotation.objects.shown_to_member(membership).filter(pk=pk).first()
    if note is None:
        raise w3c_in.Refused(f"No such annotation here: {data.get('target')}", 404)
    if document is not None and note.document_id != document.pk:
        raise w3c_in.Refused(
            "This container holds the annotations of another document.",
            expected=iris.document_container(note.document_id),
        )
    _check_reply_body(wanted)
    row = services.create_reply(annotation=note, author=request.user, body=wanted.body)
    row.author = request.user
    return w3c.reply(iris, row)
