"""The trash: a document or a project is moved there (everything on it hidden,
nothing deleted), restored from there as it was, or purged for good by an owner.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from annotations import services
from annotations.forms import ConfirmNameForm
from annotations.permissions import shown_to_member_filter
from corpus.access import HtmxHttpRequest, membership_for
from corpus.models import Document, Membership, Project, ProjectEvent
from corpus.roles import Action, Role


def _document(membership: Membership, pk: int, *, in_trash: bool) -> Document:
    document = get_object_or_404(
        Document.all_objects.filter(
            project=membership.project, trashed_at__isnull=not in_trash
        )
        .select_related("trashed_by")
        .defer(*Document.HEAVY_FIELDS),
        pk=pk,
    )
    document.project = membership.project
    return document


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def document_trash(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Move a document to the trash, after saying what it hides."""
    membership = membership_for(request, slug, Action.DELETE_DOCUMENT)
    document = _document(membership, pk, in_trash=False)
    if request.method == "POST":
        services.trash_document(document=document, by=request.user)
        messages.success(
            request,
            f"“{document.title}” is in the trash with its annotations. "
            "An owner can restore it from the project's Trash.",
        )
        return redirect("annotations:project_trash", slug=slug)
    return render(
        request,
        "annotations/trash/document_trash.html",
        {
            "project": membership.project,
            "membership": membership,
            "document": document,
            "summary": services.trash_summary(document, membership),
        },
    )


@require_safe
@login_required
def project_trash(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The project's documents in the trash, with what each holds."""
    membership = membership_for(request, slug, Action.DELETE_DOCUMENT, archived_ok=True)
    documents = (
        Document.all_objects.in_trash()
        .filter(project=membership.project)
        .select_related("trashed_by")
        .defer(*Document.HEAVY_FIELDS)
        .annotate(
            # As the member sees them (an owner: shared ones and their own).
            annotation_count=Count(
                "annotations",
                filter=shown_to_member_filter(
                    membership, "annotations__", include_trash=True
                ),
            )
        )
        .order_by("-trashed_at", "-pk")
    )
    events = (
        ProjectEvent.objects.filter(project=membership.project)
        .select_related("actor")
        .order_by("-at", "-pk")[:20]
    )
    return render(
        request,
        "annotations/trash/project_trash.html",
        {
            "project": membership.project,
            "membership": membership,
            "documents": documents,
            "events": events,
        },
    )


@require_POST
@login_required
def document_restore(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.DELETE_DOCUMENT)
    document = _document(membership, pk, in_trash=True)
    services.restore_document(document=document, by=request.user)
    messages.success(request, f"“{document.title}” is back, with its annotations.")
    return redirect(document)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def document_purge(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Delete a document in the trash for good (owners; recorded)."""
    membership = membership_for(request, slug, Action.DELETE_DOCUMENT)
    document = _document(membership, pk, in_trash=True)
    form = ConfirmNameForm(
        request.POST if request.method == "POST" else None, expected=document.title
    )
    if request.method == "POST" and form.is_valid():
        services.purge_document(document=document, by=request.user)
        messages.success(request, f"“{document.title}” was purged for good.")
        return redirect("annotations:project_trash", slug=slug)
    return render(
        request,
        "annotations/trash/document_purge.html",
        {
            "project": membership.project,
            "membership": membership,
            "document": document,
            "summary": services.trash_summary(document, membership),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def project_delete(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Move the whole project to the trash (owners), after saying what it hides."""
    membership = membership_for(request, slug, Action.EDIT_PROJECT, archived_ok=True)
    project = membership.project
    if request.method == "POST":
        services.trash_project(project=project, by=request.user)
        messages.success(
            request,
            f"“{project.name}” is in the trash. Its owners can restore it from "
            "“Projects in the trash”.",
        )
        return redirect("annotations:trashed_projects")
    counts = {
        "documents": Document.objects.filter(project=project).count(),
        "members": project.memberships.count(),
    }
    return render(
        request,
        "annotations/trash/project_delete.html",
        {"project": project, "membership": membership, "counts": counts},
    )


def _owned_in_trash(request: HtmxHttpRequest, pk: int | None = None):
    """Projects in the trash this user owns (404 for any other)."""
    projects = Project.objects.filter(
        trashed_at__isnull=False,
        memberships__user=request.user,
        memberships__role=Role.OWNER,
    ).select_related("trashed_by")
    if pk is None:
        return projects.order_by("-trashed_at", "-pk")
    return get_object_or_404(projects, pk=pk)


@require_safe
@login_required
def trashed_projects(request: HtmxHttpRequest) -> HttpResponse:
    return render(
        request,
        "annotations/trash/trashed_projects.html",
        {"projects": _owned_in_trash(request)},
    )


@require_POST
@login_required
def project_restore(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    project = _owned_in_trash(request, pk)
    services.restore_project(project=project, by=request.user)
    messages.success(request, f"“{project.name}” is back, as it was.")
    return redirect(project)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def project_purge(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Delete a project in the trash for good, with everything in it (owners)."""
    project = _owned_in_trash(request, pk)
    form = ConfirmNameForm(
        request.POST if request.method == "POST" else None, expected=project.name
    )
    if request.method == "POST" and form.is_valid():
        services.purge_project(project=project, by=request.user)
        messages.success(request, f"“{project.name}” was purged for good.")
        return redirect("annotations:trashed_projects")
    return render(
        request,
        "annotations/trash/project_purge.html",
        {"trashed": project, "form": form},
        status=400 if form.errors else 200,
    )
