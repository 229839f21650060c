"""The curation queue: curators and owners find the annotations to review and
decide on them, one row at a time or in bulk, with a reason the author sees."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from annotations import curation, services
from annotations.forms import DecisionForm, QueueFilterForm
from annotations.models import Annotation, Status
from corpus.access import HtmxHttpRequest, membership_for
from corpus.params import carried_query, parse_id, parse_ids
from corpus.roles import Action


def _queue_context(request, membership, decision_form=None) -> dict:
    """The queue as filtered, and a refused decision's errors and values: next
    to its row when it was one row's and the row is on the page, above the
    table otherwise."""
    # The page number is not a filter: "?page=2" of the default queue is still
    # the default queue (submitted annotations).
    filtered = any(key != "page" for key in request.GET)
    filters = QueueFilterForm(request.GET if filtered else None, membership=membership)
    paginator = Paginator(curation.queue(membership, filters), curation.QUEUE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    bulk_form = decision_form
    if decision_form is not None and decision_form.row is not None:
        for row in page.object_list:
            if row.pk == decision_form.row:
                row.decision_form, bulk_form = decision_form, None
    decide_url = _queue_url(membership.project.slug, request, "decide")
    page.object_list = curation.drawn_rows(
        membership.project,
        page.object_list,
        decide_url=decide_url,
        token=get_token(request),
        selected=set(parse_ids(request.POST.getlist("ids"))),
    )
    return {
        "project": membership.project,
        "membership": membership,
        "filters": filters,
        "page": page,
        "decide_url": decide_url,
        "bulk_form": bulk_form,
    }


@require_safe
@login_required
@vary_on_headers("HX-Request")
def curation_queue(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Annotations to review, filtered, with decisions inline and in bulk."""
    membership = membership_for(request, slug, Action.MODERATE)
    template = (
        "annotations/curation/_queue_table.html"
        if request.htmx
        else "annotations/curation/curation_queue.html"
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
    form = DecisionForm(
        request.POST, visible_ids=list(visible.values_list("pk", flat=True))
    )
    decided = []
    if form.is_valid():
        try:
            decided = services.decide_all(
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
        request,
        "annotations/curation/_queue_table.html",
        _queue_context(request, membership),
    )


def _decision_refused(request, membership, form) -> HttpResponse:
    """400: the row with its errors (htmx, one row's decision), or the queue
    with them in place (a whole page without JavaScript)."""
    row = curation.queue_row(membership, form.row) if form.row else None
    if request.htmx and row is not None:
        return _queue_row_response(request, membership, row, form=form, status=400)
    context = _queue_context(request, membership, decision_form=form)
    if not request.htmx:
        return render(
            request, "annotations/curation/curation_queue.html", context, status=400
        )
    response = render(
        request, "annotations/curation/_queue_table.html", context, status=400
    )
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
    return render(
        request, "annotations/curation/_queue_row.html", context, status=status
    )


def _queue_url(slug: str, request, view: str = "queue") -> str:
    """The queue (or the decision view) as the curator had it filtered."""
    name = "curation_queue" if view == "queue" else "curation_decide"
    url = reverse(f"annotations:{name}", kwargs={"slug": slug})
    query = carried_query(request.GET, [*QueueFilterForm.base_fields, "page"])
    return f"{url}?{query}" if query else url
