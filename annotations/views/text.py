"""Correcting a document's text: the "Edit text" page (a block at a time, or a
corrected file for the whole), and the orphans a revision leaves (reattached
to a passage, or resolved). Every change is a text revision that carries the
annotations across (services.text)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations import permissions, reading
from annotations.forms import (
    BlockEditForm,
    NewVersionForm,
    OrphanResolveForm,
    ReattachForm,
    form_errors,
)
from annotations.models import Anchoring, Annotation
from annotations.services import text as text_service
from corpus import importers, text_edits
from corpus.access import HtmxHttpRequest, membership_for
from corpus.models import Document, Membership, RevisionKind, TextRevision
from corpus.roles import Action


def _text_url(document: Document, block: int | None = None) -> str:
    url = reverse(
        "annotations:document_text",
        kwargs={"slug": document.project.slug, "pk": document.pk},
    )
    return url if block is None else f"{url}?block={block}#block-{block}"


def _block_index(value) -> int | None:
    """A block's index in `value` (0 is the first), or None if it is not one."""
    value = str(value or "").strip()
    return (
        int(value)
        if 0 < len(value) <= 7 and value.isascii() and value.isdigit()
        else None
    )


def _page(
    request,
    membership: Membership,
    document: Document,
    *,
    form: BlockEditForm | None = None,
    open_block: int | None = None,
    upload: NewVersionForm | None = None,
    status: int = 200,
    stale: bool = False,
) -> HttpResponse:
    if form is not None and open_block is None:
        open_block = _block_index(form.data.get("block"))
    if open_block is not None and open_block >= len(document.blocks):
        open_block = None
    if form is None and open_block is not None:
        form = _block_form(document, open_block)
    context = {
        "project": membership.project,
        "membership": membership,
        "document": document,
        "form": form,
        "open_block": open_block,
    }
    if request.htmx and request.method == "GET" and form is not None:
        # One block's form, opened in place: on this page, or on the reading
        # page (`from=reading`), where a save goes back to the reading page.
        context["from_reading"] = request.GET.get("from") == "reading"
        return render(request, "annotations/text/_block_form.html", context)
    context.update(
        blocks=[
            {
                **block,
                "index": index,
                "text": document.text[block["start"] : block["end"]],
            }
            for index, block in enumerate(document.blocks)
        ],
        upload=upload or NewVersionForm(initial={"revision": document.text_revision}),
        stale=stale,
        orphans=reading.orphans(membership, document, limit=200)[:200],
        max_upload=settings.APPARATUS_MAX_UPLOAD_BYTES,
    )
    return render(request, "annotations/text/page.html", context, status=status)


def _block_form(document: Document, index: int) -> BlockEditForm:
    block = document.blocks[index]
    return BlockEditForm(
        initial={
            "revision": document.text_revision,
            "block": index,
            "operation": "edit",
            "content": document.text[block["start"] : block["end"]],
            "kind": block["kind"],
            "level": block.get("level") or None,
        }
    )


def _edited(document: Document, data: dict) -> text_edits.Edited:
    text, blocks, index = document.text, document.blocks, data["block"]
    operation = data["operation"]
    if operation == "edit":
        return text_edits.edit_block(
            text,
            blocks,
            index,
            data["content"],
            kind=data.get("kind") or None,
            level=data.get("level"),
        )
    if operation == "merge":
        return text_edits.merge_with_next(text, blocks, index)
    if operation == "delete":
        return text_edits.delete_block(text, blocks, index)
    return text_edits.insert_block(
        text,
        blocks,
        index + 1,
        data["content"],
        kind=data.get("kind") or "paragraph",
        level=data.get("level"),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@vary_on_headers("HX-Request")
def document_text(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The "Edit text" page: each block with its actions; `?block=N` opens
    block N's form (in place, through htmx). A POST changes one block."""
    membership = membership_for(request, slug, Action.EDIT_TEXT)
    document = reading.member_document(membership, pk)
    if request.method != "POST":
        block = _block_index(request.GET.get("block"))
        if block is None and (at := _block_index(request.GET.get("at"))) is not None:
            # The reading page names a block by where it starts.
            block = next(
                (n for n, b in enumerate(document.blocks) if b["start"] == at), None
            )
        if request.htmx and (block is None or block >= len(document.blocks)):
            raise Http404("No such block: reload the page.")
        return _page(request, membership, document, open_block=block)
    form = BlockEditForm(request.POST)
    if not form.is_valid():
        return _page(request, membership, document, form=form, status=400)
    data = form.cleaned_data
    if data["revision"] != document.text_revision:
        return _stale(request, membership, document, data.get("block"))
    try:
        edited = _edited(document, data)
        revision = text_service.revise_text(
            document=document,
            text=edited.text,
            blocks=edited.blocks,
            editor=request.user,
            reason=data["reason"],
            base_revision=data["revision"],
        )
    except text_service.StaleText:
        return _stale(request, membership, document, data.get("block"))
    except (text_edits.EditRefused, ValidationError) as error:
        messages_ = (
            [str(error)]
            if isinstance(error, text_edits.EditRefused)
            else (form_errors(error))
        )
        for message in messages_:
            form.add_error(None, message)
        return _page(request, membership, document, form=form, status=400)
    _announce(request, revision)
    index = min(data["block"], len(document.blocks) - 1)
    if request.POST.get("from") == "reading":
        start = document.blocks[index]["start"]
        return redirect(f"{document.get_absolute_url()}#b{start}")
    return redirect(_text_url(document, index))


def _stale(request, membership: Membership, document: Document, block) -> HttpResponse:
    """409: someone revised the text since the editor opened it; the page
    again with the text as it is now."""
    current = reading.member_document(membership, document.pk)
    return _page(
        request,
        membership,
        current,
        open_block=block if block is not None and block < len(current.blocks) else None,
        status=409,
        stale=True,
    )


def _announce(request, revision: TextRevision) -> None:
    carried = revision.carried
    parts = [f"Revision {revision.number} saved."]
    if carried.get("edited") or carried.get("found"):
        parts.append(
            "Shared annotations carried with their corrected passage: "
            f"{carried.get('edited', 0) + carried.get('found', 0)} (see their "
            "history)."
        )
    if carried.get("orphan"):
        parts.append(
            f"Shared annotations that lost their passage: {carried['orphan']}; "
            "they are listed as orphans below, to reattach or resolve."
        )
    messages.success(request, " ".join(parts))


@require_POST
@login_required
def document_new_version(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """A corrected file for the whole text, read by the importers: one revision."""
    membership = membership_for(request, slug, Action.EDIT_TEXT)
    document = reading.member_document(membership, pk)
    upload = NewVersionForm(request.POST, request.FILES)
    if not upload.is_valid():
        return _page(request, membership, document, upload=upload, status=400)
    data = upload.cleaned_data
    if data["revision"] != document.text_revision:
        return _stale(request, membership, document, None)
    file = data["file"]
    try:
        if file.size > settings.APPARATUS_MAX_UPLOAD_BYTES:
            raise importers.ImportRefused(
                f"The file is larger than "
                f"{settings.APPARATUS_MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
            )
        imported = importers.import_bytes(
            file.read(),
            filename=file.name,
            format=document.format,
            max_bytes=settings.APPARATUS_MAX_UPLOAD_BYTES,
        )
        revision = text_service.revise_text(
            document=document,
            text=imported.text,
            blocks=[block.as_dict() for block in imported.blocks],
            links=[link.as_dict() for link in imported.links],
            editor=request.user,
            reason=data["reason"],
            base_revision=data["revision"],
            kind=RevisionKind.UPLOAD,
            filename=file.name,
        )
    except text_service.StaleText:
        return _stale(request, membership, document, None)
    except importers.ImportRefused as error:
        upload.add_error("file", str(error))
        return _page(request, membership, document, upload=upload, status=400)
    except ValidationError as error:
        for message in form_errors(error):
            upload.add_error(None, message)
        return _page(request, membership, document, upload=upload, status=400)
    _announce(request, revision)
    return redirect(_text_url(document))


def _orphan(membership: Membership, pk: int) -> Annotation:
    annotation = reading.member_annotation(membership, pk)
    if annotation.anchoring != Anchoring.ORPHAN:
        raise Http404("No such orphaned annotation.")
    return annotation


@require_POST
@login_required
def orphan_resolve(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """A curator settles an orphan without a passage, saying why: it leaves the
    Orphans panel and stays, with its thread, in the record."""
    membership = membership_for(request, slug, Action.EDIT_TEXT)
    annotation = _orphan(membership, pk)
    form = OrphanResolveForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        text_service.resolve_orphan(
            annotation=annotation,
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, "The orphan is resolved; its thread is kept.")
    except ValidationError as error:  # refused, or reattached meanwhile
        for message in form_errors(error):
            messages.error(request, message)
    return redirect(_text_url(annotation.document))


@require_POST
@login_required
def orphan_reattach(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """An orphan put on a passage of the current text (the reader selected it):
    by its author, or by those who may edit others' annotations."""
    membership = membership_for(request, slug, Action.ANNOTATE)
    annotation = _orphan(membership, pk)
    if not permissions.may_change(membership, annotation):
        raise PermissionDenied("Only its author or a curator can reattach it.")
    form = ReattachForm(request.POST)
    document = reading.member_document(membership, annotation.document_id)
    try:
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        data = form.cleaned_data
        if data["revision"] != document.text_revision:
            raise text_service.StaleText(document)
        try:
            start, end = form.selection_range(document)
        except ValueError:
            raise ValidationError("Select a passage of the text.") from None
        text_service.reattach(
            annotation=annotation,
            actor=request.user,
            start=start,
            end=end,
            exact=data["exact"],
            revision=data["revision"],
        )
    except ValidationError as error:
        return _problem(request, form_errors(error), 400)
    except text_service.StaleText:
        return _problem(
            request,
            [
                "The text was revised since you opened the page: reload it and "
                "select the passage again."
            ],
            409,
        )
    url = annotation.document.get_absolute_url() + f"?thread={annotation.pk}"
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _problem(request, problems: list[str], status: int) -> HttpResponse:
    return render(
        request,
        "annotations/text/_problem.html",
        {"problems": problems},
        status=status,
    )
