"""Projects and their members in the admin, by the project roles.

A project is listed to its members (one in the trash to its owners only) and
changed by those who may edit it, through update_project with the version the
form was loaded at; its owners move it to the trash, restore or purge it (the
annotations app fills in those actions: annotations/admin/trash.py). Members
are added, re-roled and removed by those who manage members, through the
services, which keep the last owner.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from corpus import services
from corpus.admin.access import (
    MemberProjectFilter,
    ProjectRowsAdmin,
    all_found,
    apply_all,
    may,
    memberships,
    owns,
    refused,
)
from corpus.admin.inlines import ReadOnlyInline
from corpus.admin.trash import TrashAdmin
from corpus.admin.versioned import VersionedAdmin, VersionedAdminForm
from corpus.models import Document, Membership, Project, ProjectEvent
from corpus.roles import Action, Role


class ProjectAdminForm(VersionedAdminForm):
    versioned = ("name", "description", "premoderation")

    class Meta:
        model = Project
        fields = ["name", "description", "premoderation"]


class MembershipInline(ReadOnlyInline):
    """The members, read-only: they are managed on the Memberships page, where
    the last owner is kept."""

    model = Membership
    fields = ["user", "role", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class EventInline(ReadOnlyInline):
    """The project's record: trash, restore, purge, archive; never edited."""

    model = ProjectEvent
    fields = ["at", "actor", "kind", "detail"]
    verbose_name_plural = "record"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class ProjectStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("live", "Open"),
            ("archived", "Archived"),
            ("trash", "In the trash"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.filter(trashed_at__isnull=True, archived_at__isnull=True)
        if self.value() == "archived":
            return queryset.filter(trashed_at__isnull=True, archived_at__isnull=False)
        if self.value() == "trash":
            return queryset.filter(trashed_at__isnull=False)
        return queryset


def _count(queryset, field: str) -> Coalesce:
    """Rows of `queryset` per outer project (`field` names the project)."""
    per_project = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(per_project), 0)


@admin.register(Project)
class ProjectAdmin(VersionedAdmin, TrashAdmin):
    form = ProjectAdminForm
    list_display = [
        "name",
        "slug",
        "state",
        "member_count",
        "document_count",
        "created_at",
    ]
    list_filter = [ProjectStateFilter]
    search_fields = ["name", "slug", "description"]
    fields = [
        "name",
        "slug",
        "description",
        "premoderation",
        "created_at",
        "created_by",
        "archived_at",
        "trashed_at",
        "trashed_by",
        "version",
        "updated_by",
    ]
    # The slug is in every URL of the project: it does not change.
    readonly_fields = [
        name for name in fields if name not in ("name", "description", "premoderation")
    ]
    actions = TrashAdmin.actions
    who_may = "their owners"

    def get_queryset(self, request):
        projects = (
            super()
            .get_queryset(request)
            .annotate(
                _members=_count(Membership.objects.all(), "project"),
                _documents=_count(
                    Document.objects.filter(trashed_at__isnull=True), "project"
                ),
            )
        )
        if request.user.is_superuser:
            return projects
        roles = memberships(request)
        owned = [pk for pk, member in roles.items() if member.role == Role.OWNER]
        # A project in the trash is its owners' alone, as in the app.
        return projects.filter(
            Q(pk__in=list(roles), trashed_at__isnull=True) | Q(pk__in=owned)
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "description", "premoderation"]
        return super().get_fields(request, obj)

    def get_inlines(self, request, obj):
        return [] if obj is None else [MembershipInline, EventInline]

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return not obj.in_trash and may(request, obj.pk, Action.EDIT_PROJECT)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new project's first owner is the one who makes it, as in the app.
        project = services.create_project(
            name=obj.name,
            owner=request.user,
            description=obj.description,
            premoderation=obj.premoderation,
        )
        obj.pk, obj.slug, obj.created_at = project.pk, project.slug, project.created_at
        obj._state.adding = False

    def save_version(self, request, obj, form, version: int) -> None:
        data = form.cleaned_data
        services.update_project(
            project=obj,
            version=version,
            editor=request.user,
            name=data["name"],
            description=data["description"],
            premoderation=data["premoderation"],
        )

    def may_trash(self, request, project) -> bool:
        return owns(request, project.pk)

    @admin.display(ordering="_members", description="members")
    def member_count(self, project) -> int:
        return project._members

    @admin.display(ordering="_documents", description="documents")
    def document_count(self, project) -> int:
        return project._documents


class MembershipAdminForm(forms.ModelForm):
    # A user name, as on the app's members page: the admin does not list every
    # account to whoever adds a member.
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True),
        to_field_name="username",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text="The person's user name.",
        error_messages={"invalid_choice": "No active user has that name."},
    )

    class Meta:
        model = Membership
        fields = ["project", "user", "role"]

    def clean(self):
        data = super().clean()
        member = self.instance
        stepping_down = (
            member.pk is not None
            and member.role == Role.OWNER
            and data.get("role", Role.OWNER) != Role.OWNER
        )
        if stepping_down and not _other_owners(member).exists():
            self.add_error(
                "role",
                "A project needs at least one owner: make someone else an owner first.",
            )
        return data


def _other_owners(member: Membership):
    return Membership.objects.filter(
        project_id=member.project_id, role=Role.OWNER
    ).exclude(pk=member.pk)


@admin.register(Membership)
class MembershipAdmin(ProjectRowsAdmin):
    form = MembershipAdminForm
    change_action = Action.MANAGE_MEMBERS
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", ("project", MemberProjectFilter)]
    search_fields = ["user__username", "user__email", "project__name"]
    list_select_related = ["user", "project"]
    actions = ["remove_members"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["project", "user", "role"]
        return ["project", "user", "role", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # A membership is one person in one project; only the role changes.
        return [] if obj is None else ["project", "user", "created_at"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        if not may(request, obj.project_id, Action.MANAGE_MEMBERS):
            return False
        return obj.role != Role.OWNER or _other_owners(obj).exists()

    def save_model(self, request, obj, form, change) -> None:
        if change:
            services.change_role(membership=obj, role=obj.role, by=request.user)
            return
        member = services.add_member(project=obj.project, user=obj.user, role=obj.role)
        obj.pk, obj.created_at = member.pk, member.created_at
        obj._state.adding = False

    def delete_model(self, request, obj) -> None:
        services.remove_member(membership=obj, by=request.user)

    @admin.action(description="Remove selected members", permissions=["delete"])
    def remove_members(self, request, queryset):
        """Remove every selected member through the service, or none."""
        rows = list(queryset.select_related("project", "user"))
        problem = None
        if count := refused(
            rows, lambda row: may(request, row.project_id, Action.MANAGE_MEMBERS)
        ):
            problem = (
                f"you may not remove {count} of the {len(rows)} selected members. "
                "Only the project's owners may."
            )
        elif not all_found(request, rows):
            problem = "some of the selected members are gone."

        def apply() -> None:
            for row in rows:
                services.remove_member(membership=row, by=request.user)

        apply_all(
            self,
            request,
            apply,
            problem=problem,
            done=f"Removed {len(rows)} member(s).",
        )
