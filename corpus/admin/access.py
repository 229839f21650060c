"""Who sees and does what in the admin: the app's role matrix (corpus.roles), on
top of Django's model permissions, which stay required.

A staff user sees the rows of the projects they are a member of, and changes
them as their role allows; superusers see every project and may do anything.
Rows of other projects are nowhere: not in lists, list filters, form choices or
related-object popups, and their pages answer as for a row that does not exist
(the admin's "doesn't exist" redirect, not a 403 that would confirm it does).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from corpus.models import Membership, Project
from corpus.roles import Action, Role

_MEMBERSHIPS = "_apparatus_admin_memberships"


def memberships(request: HttpRequest) -> dict[int, Membership]:
    """The user's memberships by project id, with their projects (one query a
    request)."""
    found = getattr(request, _MEMBERSHIPS, None)
    if found is None:
        found = {
            membership.project_id: membership
            for membership in Membership.objects.filter(
                user=request.user
            ).select_related("project")
        }
        setattr(request, _MEMBERSHIPS, found)
    return found


def may(request: HttpRequest, project_id: int, action: Action) -> bool:
    """Whether the user may do `action` in the project: superusers anything; a
    member what their role allows, in a project that is not in the trash (in an
    archived one, only reading, as Membership.can says)."""
    if request.user.is_superuser:
        return True
    membership = memberships(request).get(project_id)
    if membership is None or membership.project.in_trash:
        return False
    return membership.can(action)


def owns(request: HttpRequest, project_id: int) -> bool:
    """Whether the user is an owner of the project (archived or in the trash: the
    owners decide over a project's life), or a superuser."""
    if request.user.is_superuser:
        return True
    membership = memberships(request).get(project_id)
    return membership is not None and membership.role == Role.OWNER


def projects_of(user) -> QuerySet[Project]:
    """The projects whose rows `user` sees: live ones they are a member of (every
    live one for a superuser)."""
    live = Project.objects.live()
    if user.is_superuser:
        return live
    return live.filter(pk__in=Membership.objects.filter(user=user).values("project_id"))


def member_scope(user, path: str = "project") -> Q:
    """Rows (whose project is at `path`) of the projects `user` sees."""
    return Q(**{f"{path}__in": projects_of(user).values("pk")})


def projects_where(request: HttpRequest, action: Action) -> QuerySet[Project]:
    """The live projects where the user may do `action`: the choices of a form."""
    if request.user.is_superuser:
        return Project.objects.live()
    allowed = [pk for pk in memberships(request) if may(request, pk, action)]
    return Project.objects.filter(pk__in=allowed)


def may_anywhere(request: HttpRequest, action: Action) -> bool:
    """Whether the user may do `action` in at least one project (for "Add")."""
    if request.user.is_superuser:
        return True
    return any(may(request, pk, action) for pk in memberships(request))


def has_model_permissions(request: HttpRequest, opts, *actions: str) -> bool:
    """Whether the user holds the model's Django permissions for every action
    ("change", "delete"...): an admin action keeps requiring them."""
    return all(
        request.user.has_perm(f"{opts.app_label}.{get_permission_codename(a, opts)}")
        for a in actions
    )


class NoHardDeleteAdmin(admin.ModelAdmin):
    """No hard delete, for anyone: not from the list (its action is gone), not
    from the change page. Rows go through a service (soft deletion, the trash,
    a merge) or stay; the model's delete permission then guards that action."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record to read: nobody adds, changes or deletes its rows here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MemberProjectFilter(admin.RelatedFieldListFilter):
    """The project filter of a list, offering only the user's projects (the
    built-in one lists every project's name)."""

    def field_choices(self, field, request, model_admin):
        return [(project.pk, str(project)) for project in projects_of(request.user)]


class MemberRowsFilter(admin.RelatedFieldListFilter):
    """A filter on a project's vocabulary (tags, relation types) offering only
    rows of the user's projects, named with their project when there are several."""

    def field_choices(self, field, request, model_admin):
        rows = field.related_model._default_manager.filter(member_scope(request.user))
        if hasattr(rows, "offered_to_user"):
            # Tags: not those used only on annotations hidden from the user.
            rows = rows.offered_to_user(request.user)
        rows = list(rows.select_related("project").order_by("project__name", "name"))
        several = len({row.project_id for row in rows}) > 1
        return [
            (row.pk, f"{row} ({row.project})" if several else str(row)) for row in rows
        ]


class ProjectRowsAdmin(admin.ModelAdmin):
    """An admin for rows that belong to one project: listed to its members (a
    row of any other project answers as if it did not exist), changed by those
    whose role allows `change_action` (None: by nobody)."""

    project_path = "project"
    change_action: Action | None = None

    def scope(self, request) -> Q:
        """The rows the user sees."""
        return member_scope(request.user, self.project_path)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(self.scope(request))

    def project_id_of(self, row) -> int:
        return row.project_id

    def may_change(self, request, row) -> bool:
        return self.change_action is not None and may(
            request, self.project_id_of(row), self.change_action
        )

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return self.may_change(request, obj)

    def has_add_permission(self, request) -> bool:
        if not super().has_add_permission(request):
            return False
        return self.change_action is not None and may_anywhere(
            request, self.change_action
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A new row goes into a project where the user may make it.
        if db_field.name == "project" and self.change_action is not None:
            kwargs["queryset"] = projects_where(request, self.change_action)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def all_found(request: HttpRequest, rows: list) -> bool:
    """Whether every row selected for an action is still there (not gone, and not
    hidden from the user: a row of another project was never there for them)."""
    return len(rows) >= len(set(request.POST.getlist(ACTION_CHECKBOX_NAME)))


def apply_all(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    apply: Callable[[], object],
    *,
    problem: str | None,
    done: str,
) -> bool:
    """An admin action, all or nothing: unless a `problem` refuses it already,
    `apply()` in one transaction, which a service's ValidationError rolls back
    whole. Says "Nothing was changed" and why, or `done`; True when applied."""
    if problem is None:
        try:
            with transaction.atomic():
                apply()
        except ValidationError as error:
            problem = " ".join(error.messages)
    if problem:
        model_admin.message_user(
            request, f"Nothing was changed: {problem}", messages.ERROR
        )
        return False
    model_admin.message_user(request, done, messages.SUCCESS)
    return True


def refused(rows, allowed) -> int:
    """How many of `rows` `allowed(row)` refuses."""
    return sum(not allowed(row) for row in rows)


__all__ = [
    "all_found",
    "apply_all",
    "has_model_permissions",
    "MemberProjectFilter",
    "NoHardDeleteAdmin",
    "MemberRowsFilter",
    "ProjectRowsAdmin",
    "ReadOnlyAdmin",
    "may",
    "may_anywhere",
    "member_scope",
    "memberships",
    "owns",
    "projects_of",
    "projects_where",
    "refused",
]
