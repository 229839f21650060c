"""Links between annotations, documents and sources, and their relation types."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from annotations import services
from annotations.admin.common import (
    SoftDeleteAdmin,
    count_per_row,
    link_scope,
    link_target,
)
from annotations.models import Link, RelationType
from annotations.permissions import visible_filter
from corpus.admin.access import (
    MemberProjectFilter,
    MemberRowsFilter,
    NoHardDeleteAdmin,
    ProjectRowsAdmin,
)
from corpus.admin.versioned import VersionedAdmin, VersionedAdminForm
from corpus.roles import Action


class RelationTypeAdminForm(VersionedAdminForm):
    versioned = ("name", "description", "retired")

    class Meta:
        model = RelationType
        fields = ["project", "name", "description", "retired"]


@admin.register(RelationType)
class RelationTypeAdmin(NoHardDeleteAdmin, VersionedAdmin, ProjectRowsAdmin):
    """A project's relation types, changed by its curators and owners; never
    deleted (a used one is retired instead: its links keep it)."""

    form = RelationTypeAdminForm
    change_action = Action.MODERATE
    list_display = ["name", "project", "retired", "usage"]
    list_filter = [("project", MemberProjectFilter), "retired"]
    list_select_related = ["project"]
    search_fields = ["name", "description"]

    def get_queryset(self, request):
        user = request.user
        # Links this user sees: others' private passages are not counted.
        shown = Link.objects.filter(
            Q(target_annotation__isnull=True)
            | visible_filter(user, "target_annotation__"),
            visible_filter(user, "source__"),
            deleted_at__isnull=True,
        )
        return (
            super()
            .get_queryset(request)
            .annotate(usage=count_per_row(shown, "relation"))
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["project", "name", "description"]
        return ["project", "name", "description", "retired", "version", "updated_by"]

    def get_readonly_fields(self, request, obj=None):
        # Its links belong to its project: a relation type does not move.
        return ["project", "version", "updated_by"] if obj is not None else []

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # Through the service, which seeds the project's default types first.
        relation = services.create_relation_type(
            project=obj.project, name=obj.name, description=obj.description
        )
        obj.pk, obj.name = relation.pk, relation.name
        obj._state.adding = False

    def save_version(self, request, obj, form, version: int) -> None:
        data = form.cleaned_data
        services.update_relation_type(
            relation=obj,
            name=data["name"],
            description=data["description"],
            retired=data["retired"],
            version=version,
            editor=request.user,
        )

    @admin.display(ordering="usage", description="links")
    def usage(self, relation) -> int:
        return relation.usage


@admin.register(Link)
class LinkAdmin(SoftDeleteAdmin):
    """Links, read-only: they are made in the reader, which checks both ends,
    and have no version to edit them by; deleted by their authors or curators."""

    list_display = [
        "source_quote",
        "relation",
        "target",
        "author",
        "created_at",
        "deleted_at",
    ]
    list_filter = [
        ("project", MemberProjectFilter),
        ("relation", MemberRowsFilter),
        "created_at",
    ]
    actions = ["soft_delete"]
    search_fields = ["note", "target_url", "target_title"]
    list_select_related = [
        "source",
        "relation",
        "target_annotation",
        "target_document",
        "author",
    ]
    fields = [
        "project",
        "source",
        "relation",
        "target",
        "target_title",
        "citation",
        "accessed",
        "note",
        "author",
        "created_at",
        "deleted_at",
        "deleted_by",
    ]
    readonly_fields = fields

    def scope(self, request) -> Q:
        return link_scope(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def soft_delete_row(self, link, by) -> None:
        services.delete_link(link=link, by=by)

    @admin.display(description="source")
    def source_quote(self, link) -> str:
        return str(link.source)

    @admin.display(description="target")
    def target(self, link) -> str:
        return link_target(link)
