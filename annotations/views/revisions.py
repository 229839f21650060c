"""The Revisions screen: a document's text history (who changed it, when, why,
and what became of the annotations), each revision's changes, the text as it
was at any revision, and bringing an earlier text back (itself a revision).

Every member who reads the document reads its history; curators and owners
restore (Action.EDIT_TEXT)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from annotations import permissions, reading, text_history
from annotations.forms import RevisionRestoreForm, form_errors
from annotations.services.text import StaleText, revise_text
from corpus.access import HtmxHttpRequest, membership_for
from corpus.models import Document, Membership, RevisionKind
from corpus.params import parse_page
from corpus.roles import Action


def _document(membership: Membership, pk: int, *, with_body: bool) -> Document:
    return reading.member_document(
        membership, pk, with_importer=True, with_body=with_body
    )


def _context(membership: Membership, document: Document, **extra) -> dict:
    return {
        "project": membership.project,
        "membership": membership,
        "document": document,
        "latest": document.text_revision,
        # Membership.can: nothing is changed in an archived project.
        "can_restore": membership.can(Action.EDIT_TEXT),
        # What became of the shared annotations is told to those who see them
        # all (under pre-moderation, the unapproved ones too).
        "sees_shared": permissions.sees_unapproved(membership),
        **extra,
    }


@require_safe
@login_required
@vary_on_headers("HX-Request")
def document_revisions(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The document's revisions, newest first, a page at a time."""
    membership = membership_for(request, slug)
    document = _document(membership, pk, with_body=False)
    page = Paginator(
        text_history.History(document), text_history.REVISIONS_PAGE_SIZE
    ).get_page(parse_page(request.GET.get("page")))
    context = _context(
        membership,
        document,
        page=page,
        entries=page.object_list,
        heading="Revisions of the text",
    )
    template = (
        "annotations/revisions/_revision_list.html"
        if request.htmx
        else "annotations/revisions/document_revisions.html"
    )
    return render(request, template, context)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def revision_diff(
    request: HtmxHttpRequest, slug: str, pk: int, number: int
) -> HttpResponse:
    """What revision `number` changed: its places, deletions and insertions
    marked; htmx asks for the places alone, to open them in the list."""
    membership = membership_for(request, slug)
    document = _document(membership, pk, with_body=True)
    changes = text_history.changes(document, number)
    page = Paginator(changes.places, text_history.HUNKS_PAGE_SIZE).get_page(
        parse_page(request.GET.get("page"))
    )
    context = _context(
        membership,
        document,
        changes=changes,
        entry=changes.entry,
        places=page,
        heading=f"What revision {number} changed",
        diff_target=f"#diff-{number}",
    )
    template = (
        "annotations/revisions/_diff.html"
        if request.htmx
        else "annotations/revisions/revision_diff.html"
    )
    return render(request, template, context)


def _text_page(
    request: HtmxHttpRequest,
    membership: Membership,
    document: Document,
    number: int,
    form: RevisionRestoreForm | None = None,
    status: int = 200,
    stale_from: int | None = None,
    **extra,
) -> HttpResponse:
    entry = text_history.entry(document, number)
    shown = text_history.text_as_at(document, number)
    if form is None:
        form = RevisionRestoreForm(initial={"base_revision": document.text_revision})
    context = _context(
        membership,
        document,
        entry=entry,
        shown=shown,
        body=mark_safe(shown.html),  # noqa: S308 (render_blocks escapes the text)
        form=form,
        heading=f"The text at revision {number}",
        stale_from=stale_from,
        **extra,
    )
    return render(
        request, "annotations/revisions/revision_detail.html", context, status=status
    )


@require_safe
@login_required
def revision_detail(
    request: HtmxHttpRequest, slug: str, pk: int, number: int
) -> HttpResponse:
    """The text as it was at revision `number`, read-only, with its blocks."""
    membership = membership_for(request, slug)
    document = _document(membership, pk, with_body=True)
    return _text_page(request, membership, document, number)


@require_POST
@login_required
def revision_restore(
    request: HtmxHttpRequest, slug: str, pk: int, number: int
) -> HttpResponse:
    """Bring back the text of revision `number` as a new revision; refused
    (409, the page as the text now is) when the text moved on since the page
    that asked was drawn."""
    membership = membership_for(request, slug, Action.EDIT_TEXT)
    document = _document(membership, pk, with_body=True)
    form = RevisionRestoreForm(request.POST)
    if not form.is_valid():
        return _text_page(request, membership, document, number, form, status=400)
    text, blocks, links = text_history.restorable(document, number)
    try:
        revision = revise_text(
            document=document,
            text=text,
            blocks=blocks,
            links=links,
            editor=request.user,
            reason=form.cleaned_data["reason"],
            base_revision=form.cleaned_data["base_revision"],
            kind=RevisionKind.RESTORE,
            restored_from=number,
        )
    except StaleText as stale:
        return _stale(request, membership, stale.current, number, form)
    except ValidationError as refused:
        errors = _refusal(refused, number)
        return _text_page(
            request, membership, document, number, form, status=400, errors=errors
        )
    messages.success(
        request,
        f"The text of revision {number} is back, as revision {revision.number}.",
    )
    listing = reverse("annotations:document_revisions", args=[slug, document.pk])
    # The whole page changes (a new revision, the text): htmx loads it anew.
    return HttpResponseClientRedirect(listing) if request.htmx else redirect(listing)


def _refusal(refused: ValidationError, number: int) -> list[str]:
    """What revise_text refused, said for a restore."""
    if getattr(refused, "code", None) == "unchanged":
        return [
            f"The current text is already the text of revision {number}: "
            "restoring it would change nothing."
        ]
    return form_errors(refused)


def _stale(
    request: HtmxHttpRequest,
    membership: Membership,
    current: Document,
    number: int,
    form: RevisionRestoreForm,
) -> HttpResponse:
    """409: the page as the text now is, the reason kept for a second try."""
    document = _document(membership, current.pk, with_body=True)
    data = request.POST.copy()
    data["base_revision"] = str(document.text_revision)
    return _text_page(
        request,
        membership,
        document,
        number,
        RevisionRestoreForm(data),
        status=409,
        stale_by=current.updated_by,
        stale_from=form.cleaned_data["base_revision"],
    )
