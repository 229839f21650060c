"""Annotating in the reading view: create, thread, edit, delete, reply, poll."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget, trigger_client_event

from annotations import curation, reading, services
from annotations.forms import (
    AnnotationCreateForm,
    AnnotationEditForm,
    MarginFilterForm,
    PreviewForm,
    ReplyEditForm,
    ReplyForm,
    StatusForm,
)
from annotations.markdown import render_markdown
from annotations.models import (
    Annotation,
    Reply,
    Status,
    Tag,
)
from annotations.offsets import resolve_selection
from annotations.permissions import may_change, shown_to_member_filter
from corpus import bodycache
from corpus.access import HtmxHttpRequest, membership_for
from corpus.conflicts import conflict_response
from corpus.models import Document, Membership
from corpus.params import carried_query, parse_id, parse_ids
from corpus.roles import Action, can


def member_document(membership: Membership, pk: int) -> Document:
    document = get_object_or_404(
        Document.objects.filter(project=membership.project).defer(
            "original", *bodycache.HEAVY_FIELDS
        ),
        pk=pk,
    )
    document.project = membership.project
    bodycache.fill_body(document)
    return document


def _annotation(
    request: HtmxHttpRequest, membership: Membership, pk: int
) -> Annotation:
    annotation = get_object_or_404(
        Annotation.objects.visible_to(request.user).select_related(
            "author", "document"
        ),
        project=membership.project,
        pk=pk,
    )
    annotation.project = membership.project
    return annotation


def _changed_regions(
    request: HtmxHttpRequest, membership: Membership, document: Document, ranges
) -> dict:
    """Out-of-band fragments for the blocks an annotation change touched."""
    indices = reading.blocks_touching(document, ranges)
    filters = MarginFilterForm(request.POST or request.GET)
    highlights = reading.highlights_for(
        membership,
        document,
        within=reading.block_ranges(document, indices),
        approved_only=filters.is_valid() and filters.cleaned_data["approved"],
    )
    return {
        "oob_blocks": reading.render_some_blocks(
            document, highlights, indices, oob=True
        ),
        "document": document,
        "project": membership.project,
        "membership": membership,
    }


def _margin_context(
    request: HtmxHttpRequest, membership: Membership, document: Document
) -> dict:
    """The margin list as the reader has it (filters, page) and the total count."""
    data = request.POST or request.GET
    return {
        "margin": reading.margin_page(
            membership, document, MarginFilterForm(data), data.get("page")
        ),
        "annotation_count": reading.visible_count(membership, document),
        "filter_query": _filter_query(request),
    }


def _announce_change(response: HttpResponse) -> HttpResponse:
    """The margin list refreshes itself on this event (its own, cheap request)."""
    return trigger_client_event(response, "annotations-changed")


def thread_response(
    request: HtmxHttpRequest,
    membership: Membership,
    annotation: Annotation,
    extra: dict | None = None,
    status: int = 200,
    tags: list[Tag] | None = None,
) -> HttpResponse:
    """The annotation's thread, as the reading view's panel (#thread) shows it."""
    context = {
        "project": membership.project,
        "membership": membership,
        "document": annotation.document,
        "reply_form": ReplyForm(),
        **reading.thread_context(membership, annotation, tags),
        **(extra or {}),
    }
    return render(request, "annotations/_thread.html", context, status=status)


@require_safe
@login_required
def annotation_new_hx(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The note form for a selection, shown in the margin."""
    membership = membership_for(request, slug, Action.ANNOTATE)
    document = member_document(membership, pk)
    form = AnnotationCreateForm(initial=request.GET.dict())
    return render(
        request,
        "annotations/_annotation_form.html",
        {
            "form": form,
            "document": document,
            "project": membership.project,
            "exact": request.GET.get("exact", ""),
        },
    )


def selection_range(document: Document, data: dict) -> tuple[int, int]:
    """The code-point range of a browser selection (sb, so, eb, eo) in the
    document; ValueError if it does not fall on the document's text."""
    return resolve_selection(
        document.text,
        [(block["start"], block["end"]) for block in document.blocks],
        data["sb"],
        data["so"],
        data["eb"],
        data["eo"],
    )


@require_POST
@login_required
def annotation_create(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.ANNOTATE)
    document = member_document(membership, pk)
    form = AnnotationCreateForm(request.POST)
    annotation = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            start, end = selection_range(document, data)
            annotation = services.create_annotation(
                document=document,
                author=request.user,
                start=start,
                end=end,
                exact=data["exact"],
                body=data["body"],
                tags=data["tags"],
                visibility=data["visibility"],
            )
        except (ValueError, ValidationError) as error:
            texts = (
                error.messages if isinstance(error, ValidationError) else [str(error)]
            )
            form.add_error(None, " ".join(texts))
    if annotation is None:
        return render(
            request,
            "annotations/_annotation_form.html",
            {
                "form": form,
                "document": document,
                "project": membership.project,
                "exact": request.POST.get("exact", ""),
            },
            status=400,
        )
    if not request.htmx:
        return redirect(annotation)
    annotation.document = document
    return _announce_change(
        thread_response(
            request,
            membership,
            annotation,
            _changed_regions(request, membership, document, [(start, end)]),
            tags=annotation.tag_list,
        )
    )


@require_safe
@login_required
@vary_on_headers("HX-Request")
def annotation_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """An annotation's own URL: the document scrolled to it with its thread open.

    Gone (deleted, or on a document in the trash), it says so with who and when
    (410), to the members who could see it before; 404 to everyone else.
    """
    membership = membership_for(request, slug)
    try:
        annotation = _annotation(request, membership, pk)
    except Http404:
        gone = _gone_annotation(membership, pk)
        if gone is None:
            raise
        return _gone_response(request, membership, gone)
    if request.htmx:
        here = parse_ids(request.GET.get("here", "").split(","), limit=50)
        also = list(
            Annotation.objects.visible_to(request.user)
            .filter(document_id=annotation.document_id, pk__in=here)
            .exclude(pk=annotation.pk)
            .select_related("author")
            .in_text_order()
        )
        return thread_response(request, membership, annotation, {"also": also})
    url = reverse(
        "corpus:document_detail", kwargs={"slug": slug, "pk": annotation.document_id}
    )
    return redirect(f"{url}?thread={annotation.pk}#s{annotation.start}")


def _gone_annotation(membership: Membership, pk: int) -> Annotation | None:
    """The annotation, deleted or on a document in the trash, if the member could
    see it before it went (by the one visibility rule, applied to the row as it
    was); None otherwise, so that a URL tells nobody else it ever existed."""
    heavy = ("original", *bodycache.HEAVY_FIELDS)
    return (
        Annotation.objects.filter(
            shown_to_member_filter(
                membership, include_deleted=True, include_trash=True
            ),
            Q(deleted_at__isnull=False) | Q(in_trash=True),
            pk=pk,
        )
        .select_related("deleted_by", "document__trashed_by")
        .defer(*(f"document__{name}" for name in heavy))
        .first()
    )


def _gone_response(
    request: HtmxHttpRequest, membership: Membership, annotation: Annotation
) -> HttpResponse:
    """410 with the project's page: deleted by whom and when, or in the trash,
    and the way back. In the reading view's thread panel (htmx), a deleted
    annotation says the same in place of its thread; one on a document in the
    trash stays 404 there, as the document's page is gone too."""
    annotation.project = annotation.document.project = membership.project
    context = {
        "project": membership.project,
        "membership": membership,
        "annotation": annotation,
        "document": annotation.document,
        "trashed": annotation.document.trashed_at is not None,
    }
    if not request.htmx:
        return render(
            request, "annotations/deleted_annotation.html", context, status=410
        )
    if context["trashed"]:
        raise Http404("This annotation's document is in the trash.")
    return render(request, "annotations/_annotation_gone.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def annotation_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = _annotation(request, membership, pk)
    if not may_change(membership, annotation):
        raise PermissionDenied("Only its author or a curator may edit this annotation.")
    context = {"annotation": annotation, "project": membership.project}
    template = "annotations/_annotation_edit.html"
    # Its own ids: the thread around it has a reply form with the same fields.
    auto_id = f"edit-{annotation.pk}-%s"
    if request.method != "POST":
        form = AnnotationEditForm(
            initial={**_note_values(annotation), "version": annotation.version},
            auto_id=auto_id,
        )
        return render(request, template, {**context, "form": form})
    form = AnnotationEditForm(request.POST, auto_id=auto_id)
    if not form.is_valid():
        return render(request, template, {**context, "form": form}, status=400)
    data = form.cleaned_data
    try:
        annotation = services.update_annotation(
            annotation=annotation,
            editor=request.user,
            version=data["version"],
            body=data["body"],
            tags=data["tags"],
            visibility=data["visibility"],
        )
    except services.EditConflict as conflict:
        return conflict_response(
            request,
            template,
            context,
            form,
            conflict,
            _note_values(conflict.current),
            auto_id=auto_id,
        )
    except ValidationError as error:
        form.add_error(None, error.messages)
        return render(request, template, {**context, "form": form}, status=400)
    if not request.htmx:
        return redirect(annotation)
    document = member_document(membership, annotation.document_id)
    annotation.document = document
    # The form sits in the note's own area (a refusal shows there, the thread
    # around it intact); the saved note redraws the whole thread.
    response = thread_response(
        request,
        membership,
        annotation,
        _changed_regions(
            request, membership, document, [(annotation.start, annotation.end)]
        ),
        tags=annotation.tag_list,
    )
    return _announce_change(retarget(response, "#thread"))


def _note_values(annotation: Annotation) -> dict:
    """The fields of an annotation its edit form changes, in the form's terms."""
    return {
        "body": annotation.body,
        "tags": [tag.name for tag in annotation.tags.all()],
        "visibility": annotation.visibility,
    }


@require_POST
@login_required
def annotation_delete(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = _annotation(request, membership, pk)
    if not may_change(membership, annotation):
        raise PermissionDenied(
            "Only its author or a curator may delete this annotation."
        )
    services.delete_annotation(annotation=annotation, by=request.user)
    document = member_document(membership, annotation.document_id)
    if not request.htmx:
        return redirect(document)
    return _announce_change(
        render(
            request,
            "annotations/_deleted.html",
            {
                "annotation": annotation,
                **_changed_regions(
                    request, membership, document, [(annotation.start, annotation.end)]
                ),
            },
        )
    )


@require_POST
@login_required
def annotation_status(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """A curator approves, rejects or sends back an annotation, with a reason."""
    membership = membership_for(request, slug, Action.MODERATE)
    annotation = _annotation(request, membership, pk)
    form = StatusForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            annotation = services.set_status(
                annotation=annotation,
                by=request.user,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            for field, texts in error.message_dict.items():
                form.add_error(field if field in form.fields else None, texts)
    if form.errors:
        status = 400
    elif not request.htmx:
        return redirect(annotation)
    annotation = _annotation(request, membership, pk)
    response = thread_response(
        request, membership, annotation, {"status_form": form}, status=status
    )
    return _announce_change(response) if status == 200 else response


@require_POST
@login_required
def reply_create(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = _annotation(request, membership, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        services.create_reply(
            annotation=annotation, author=request.user, body=form.cleaned_data["body"]
        )
        if not request.htmx:
            return redirect(annotation)
        form = ReplyForm()
    status = 200 if not form.errors else 400
    return thread_response(
        request, membership, annotation, {"reply_form": form}, status=status
    )


def _reply(request: HtmxHttpRequest, membership: Membership, pk: int) -> Reply:
    reply = get_object_or_404(
        Reply.objects.visible_to(request.user).select_related("author", "annotation"),
        annotation__project=membership.project,
        pk=pk,
    )
    if not may_change(membership, reply):
        raise PermissionDenied("Only its author or a curator may change this reply.")
    return reply


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def reply_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.ANNOTATE)
    reply = _reply(request, membership, pk)
    context = {"reply": reply, "project": membership.project}
    template = "annotations/_reply_edit.html"
    auto_id = f"reply-{reply.pk}-%s"  # not the thread's reply form's ids
    if request.method != "POST":
        form = ReplyEditForm(
            initial={"body": reply.body, "version": reply.version}, auto_id=auto_id
        )
        return render(request, template, {**context, "form": form})
    form = ReplyEditForm(request.POST, auto_id=auto_id)
    if not form.is_valid():
        return render(request, template, {**context, "form": form}, status=400)
    try:
        reply = services.update_reply(
            reply=reply,
            version=form.cleaned_data["version"],
            body=form.cleaned_data["body"],
            editor=request.user,
        )
    except services.EditConflict as conflict:
        return conflict_response(
            request,
            template,
            context,
            form,
            conflict,
            {"body": conflict.current.body},
            auto_id=auto_id,
        )
    except ValidationError as error:
        form.add_error(None, error.messages)
        return render(request, template, {**context, "form": form}, status=400)
    if not request.htmx:
        return redirect(reply.annotation)
    reply.may_change = True
    return render(
        request,
        "annotations/_reply.html",
        {"reply": reply, "project": membership.project},
    )


@require_POST
@login_required
def reply_delete(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.ANNOTATE)
    reply = _reply(request, membership, pk)
    services.delete_reply(reply=reply, by=request.user)
    if not request.htmx:
        return redirect(reply.annotation)
    return HttpResponse('<li class="reply deleted" role="status">Reply deleted.</li>')


@require_safe
@login_required
def annotation_list_hx(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The margin's list of annotations, filtered and paginated."""
    membership = membership_for(request, slug)
    document = member_document(membership, pk)
    return render(
        request,
        "annotations/_margin_list.html",
        {
            **_margin_context(request, membership, document),
            "document": document,
            "project": membership.project,
            "with_count": True,
        },
    )


def _filter_query(request: HtmxHttpRequest) -> str:
    query = request.GET.copy()
    for key in ("page", "since", "thread"):
        query.pop(key, None)
    return query.urlencode()


@require_safe
@login_required
def annotation_changes_hx(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Polling: 204 when nothing this member may see changed since `since`, else
    the changed regions.

    `since` is the reader's token (reading.ReaderToken): changes hidden from
    the member (others' private annotations, unapproved ones under
    pre-moderation) move neither of its numbers, so they never turn a 204
    into a 200.
    """
    # The common answer costs one query beyond the session: membership, role,
    # the document's revisions and the reader's own latest change together (no
    # row: not a member, or no such document).
    own_latest = (
        Annotation.objects.filter(document_id=OuterRef("pk"), author_id=request.user.pk)
        .order_by("-own_revision")
        .values("own_revision")[:1]
    )
    found = (
        Document.objects.filter(
            pk=pk,
            project__slug=slug,
            project__trashed_at__isnull=True,
            project__memberships__user=request.user,
        )
        .annotate(own_latest=Subquery(own_latest))
        .order_by()
        .values_list(
            "shared_revision",
            "public_revision",
            "project__premoderation",
            "project__memberships__role",
            "own_latest",
        )[:1]
    )
    if not found:
        raise Http404("No such document in your projects.")
    shared, public, premoderation, role, own_latest = found[0]
    seen = shared if not premoderation or can(role, Action.MODERATE) else public
    token = reading.ReaderToken(seen, own_latest or 0)
    since = reading.ReaderToken.parse(request.GET.get("since", ""))
    if since == token:
        return HttpResponse(status=204)
    membership = membership_for(request, slug)
    document = member_document(membership, pk)
    changed = reading.changed_since(membership, document, since)
    context = _changed_regions(
        request, membership, document, [(start, end) for _pk, start, end in changed]
    )
    thread = None
    thread_id = parse_id(request.GET.get("thread", ""))
    if thread_id is not None and any(pk == thread_id for pk, _s, _e in changed):
        thread = (
            Annotation.objects.shown_to_member(membership)
            .filter(document=document, pk=thread_id)
            .select_related("author")
            .first()
        )
    if thread is not None:
        context.update(reading.thread_context(membership, thread))
    context.update(
        _margin_context(request, membership, document),
        revision=token,
        thread_changed=thread is not None,
    )
    return render(request, "annotations/_changes.html", context)


@require_POST
@login_required
def markdown_preview_hx(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    membership_for(request, slug, Action.ANNOTATE)
    form = PreviewForm(request.POST)
    body = form.cleaned_data["body"] if form.is_valid() else ""
    return render(
        request,
        "annotations/_preview.html",
        {"html": render_markdown(body), "empty": not body.strip()},
    )


def _queue_context(request, membership, decision_form=None) -> dict:
    """The queue as filtered, and a refused decision's errors and values: next
    to its row when it was one row's and the row is on the page, above the
    table otherwise."""
    # The page number is not a filter: "?page=2" of the default queue is still
    # the default queue (submitted annotations).
    query = request.GET.copy()
    query.pop("page", None)
    filters = curation.QueueFilterForm(query or None, membership=membership)
    paginator = Paginator(curation.queue(membership, filters), curation.QUEUE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = curation.prepare_rows(page.object_list)
    bulk_form = decision_form
    if decision_form is not None and decision_form.row is not None:
        for row in page.object_list:
            if row.pk == decision_form.row:
                row.decision_form, bulk_form = decision_form, None
    return {
        "project": membership.project,
        "membership": membership,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "decide_url": _queue_url(membership.project.slug, request, "decide"),
        "bulk_form": bulk_form,
        "selected": set(parse_ids(request.POST.getlist("ids"))),
    }


@require_safe
@login_required
@vary_on_headers("HX-Request")
def curation_queue(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Annotations to review, filtered, with decisions inline and in bulk."""
    membership = membership_for(request, slug, Action.MODERATE)
    template = (
        "annotations/_queue_table.html"
        if request.htmx
        else "annotations/curation_queue.html"
    )
    return render(request, template, _queue_context(request, membership))


@require_POST
@login_required
def curation_decide(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """One decision, with one reason, for the selected annotations or for one
    row (from the row's own form, with the row's own reason).

    Refused (no reason to reject, nothing selected...), nothing changes and the
    errors show where the decision was asked: in the row, or above the table.
    """
    membership = membership_for(request, slug, Action.MODERATE)
    asked = parse_ids(request.POST.getlist("ids"))
    decided_one = parse_id(request.POST.get("decide", "").partition(" ")[0])
    visible = Annotation.objects.shown_to_member(membership).filter(
        pk__in=asked + ([decided_one] if decided_one else [])
    )
    form = curation.DecisionForm(
        request.POST, visible_ids=list(visible.values_list("pk", flat=True))
    )
    decided = []
    if form.is_valid():
        try:
            decided = curation.decide_all(
                membership=membership,
                by=request.user,
                ids=form.cleaned_data["ids"],
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
    if form.errors:
        return _decision_refused(request, membership, form)
    label = Status(form.cleaned_data["status"]).label.lower()
    if request.htmx and form.row is not None:
        row = curation.queue_row(membership, form.row)
        if row is not None:
            return _queue_row_response(request, membership, row, decided=label)
    messages.success(request, f"{len(decided)} annotation(s) marked “{label}”.")
    if not request.htmx:
        return redirect(_queue_url(slug, request))
    return render(
        request, "annotations/_queue_table.html", _queue_context(request, membership)
    )


def _decision_refused(request, membership, form) -> HttpResponse:
    """400: the row with its errors (htmx, one row's decision), or the queue
    with them in place (a whole page without JavaScript)."""
    row = curation.queue_row(membership, form.row) if form.row else None
    if request.htmx and row is not None:
        return _queue_row_response(request, membership, row, form=form, status=400)
    context = _queue_context(request, membership, decision_form=form)
    if not request.htmx:
        return render(request, "annotations/curation_queue.html", context, status=400)
    response = render(request, "annotations/_queue_table.html", context, status=400)
    # A row's form targets its row; this answer is the whole queue.
    return reswap(retarget(response, "#queue"), "outerHTML")


def _queue_row_response(
    request, membership, row, *, decided="", form=None, status=200
) -> HttpResponse:
    """One row of the queue: just decided on, or with its refused decision."""
    row.decision_form = form
    context = {
        "project": membership.project,
        "a": curation.prepare_rows([row])[0],
        "decided": decided,
        "decide_url": _queue_url(membership.project.slug, request, "decide"),
        "selected": set(),
    }
    return render(request, "annotations/_queue_row.html", context, status=status)


def _queue_url(slug: str, request, view: str = "queue") -> str:
    """The queue (or the decision view) as the curator had it filtered."""
    name = "curation_queue" if view == "queue" else "curation_decide"
    url = reverse(f"annotations:{name}", kwargs={"slug": slug})
    query = carried_query(request.GET, [*curation.QueueFilterForm.base_fields, "page"])
    return f"{url}?{query}" if query else url
