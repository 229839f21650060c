from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from corpus import services
from corpus.access import HtmxHttpRequest, membership_for
from corpus.conflicts import versioned_edit
from corpus.forms import (
    DocumentFilterForm,
    MemberAddForm,
    ProjectForm,
    ProjectSettingsForm,
    RoleForm,
)
from corpus.members import members_context, members_response
from corpus.models import Document, Membership, Project
from corpus.roles import Action, Role

DOCUMENTS_PER_PAGE = 25


@require_safe
@login_required
def project_list(request: HtmxHttpRequest) -> HttpResponse:
    """The user's projects; archived ones apart, below; none in the trash."""
    show_archived = request.GET.get("archived") == "1"
    return render(
        request,
        "corpus/project_list.html",
        {**_projects_context(request, show_archived), "form": ProjectForm()},
    )


def _projects_context(request: HtmxHttpRequest, show_archived: bool) -> dict:
    mine = Membership.objects.filter(
        user=request.user, project__trashed_at__isnull=True
    ).select_related("project")
    memberships = (
        mine.filter(project__archived_at__isnull=not show_archived)
        .annotate(
            document_count=Count(
                "project__documents",
                filter=Q(project__documents__trashed_at__isnull=True),
            )
        )
        .order_by("project__name")
    )
    return {
        "memberships": memberships,
        "show_archived": show_archived,
        "archived_count": (
            0
            if show_archived
            else mine.filter(project__archived_at__isnull=False).count()
        ),
        "trashed_count": Membership.objects.filter(
            user=request.user, role=Role.OWNER, project__trashed_at__isnull=False
        ).count(),
    }


@require_POST
@login_required
def project_create(request: HtmxHttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "corpus/project_list.html",
            {**_projects_context(request, show_archived=False), "form": form},
            status=400,
        )
    project = services.create_project(owner=request.user, **form.cleaned_data)
    messages.success(request, f"Project “{project.name}” created. You are its owner.")
    return redirect(project)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def project_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    membership = membership_for(request, slug)
    project = membership.project
    filter_form = DocumentFilterForm(request.GET)
    documents = Document.objects.filter(project=project).listing()
    if filter_form.is_valid() and (q := filter_form.cleaned_data["q"]):
        documents = documents.filter(
            Q(title__icontains=q)
            | Q(keywords_text__icontains=q)
            | Q(publisher__icontains=q)
        )
    ordering = [
        F(field[1:]).desc(nulls_last=True)
        if field.startswith("-")
        else F(field).asc(nulls_last=True)
        for field in filter_form.ordering()
    ]
    page = Paginator(documents.order_by(*ordering), DOCUMENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "project": project,
        "membership": membership,
        "filter_form": filter_form,
        "page": page,
        "can_import": membership.can(Action.IMPORT),
    }
    template = (
        "corpus/_document_list.html" if request.htmx else "corpus/project_detail.html"
    )
    return render(request, template, context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def project_settings(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Owners rename the project, describe it, set pre-moderation; archive it or
    move it to the trash. A save made to an older version is refused (409)."""
    membership = membership_for(request, slug, Action.EDIT_PROJECT, archived_ok=True)
    project = membership.project
    form = ProjectSettingsForm(
        request.POST if request.method == "POST" else None,
        instance=project,
        initial={"version": project.version},
    )

    def save(data: dict) -> Project:
        if project.is_archived:
            raise PermissionDenied("Take the project out of the archive to change it.")
        fields = {name: data[name] for name in form.versioned_fields}
        return services.update_project(
            project=project, version=data["version"], editor=request.user, **fields
        )

    def saved(project: Project) -> HttpResponse:
        messages.success(request, "Project settings saved.")
        return redirect("corpus:project_settings", slug=project.slug)

    return versioned_edit(
        request,
        form,
        template="corpus/project_settings.html",
        context=members_context(membership),
        save=save,
        values=lambda current: {
            name: getattr(current, name) for name in form.versioned_fields
        },
        saved=saved,
    )


@require_POST
@login_required
def project_archive(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Archive the project (read-only, off the list) or take it out of the archive."""
    membership = membership_for(request, slug, Action.EDIT_PROJECT, archived_ok=True)
    archive = request.POST.get("archive") == "1"
    project = services.set_archived(
        project=membership.project, archived=archive, by=request.user
    )
    if archive:
        messages.success(
            request,
            f"“{project.name}” is archived: members can read it but not change it.",
        )
    else:
        messages.success(request, f"“{project.name}” is open for changes again.")
    return redirect("corpus:project_settings", slug=slug)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def project_members(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return members_response(request, membership_for(request, slug))


@require_POST
@login_required
def member_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    membership = membership_for(request, slug, Action.MANAGE_MEMBERS)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            services.add_member(
                project=membership.project,
                user=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            # A message about the person goes under their name; any other
            # (several fields at once) above the form.
            form.add_error(None if hasattr(error, "error_dict") else "username", error)
    if form.errors:
        return members_response(request, membership, add_form=form, status=400)
    messages.success(request, f"{form.cleaned_data['username']} added.")
    if request.htmx:
        return members_response(request, membership)
    return redirect("corpus:project_members", slug=slug)


@require_POST
@login_required
def member_role(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.MANAGE_MEMBERS)
    target = get_object_or_404(membership.project.memberships, pk=pk)
    form = RoleForm(request.POST)
    status = 200
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        status = 400
    else:
        try:
            services.change_role(
                membership=target, role=form.cleaned_data["role"], by=request.user
            )
            messages.success(
                request,
                f"{target.user} is now {Role(form.cleaned_data['role']).label}.",
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            status = 400
    return _after_member_change(request, membership, slug, status)


@require_POST
@login_required
def member_remove(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = membership_for(request, slug, Action.MANAGE_MEMBERS)
    target = get_object_or_404(
        membership.project.memberships.select_related("user"), pk=pk
    )
    status = 200
    try:
        services.remove_member(membership=target, by=request.user)
        messages.success(request, f"{target.user} removed from the project.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        status = 400
    if target.pk == membership.pk and status == 200:
        # The owner removed themself: they can no longer see the project.
        if request.htmx:
            return HttpResponseClientRedirect("/")
        return redirect("corpus:project_list")
    return _after_member_change(request, membership, slug, status)


def _after_member_change(
    request: HtmxHttpRequest, membership, slug, status
) -> HttpResponse:
    if request.htmx:
        membership.refresh_from_db()
        return members_response(request, membership, status=status)
    return redirect("corpus:project_members", slug=slug)
