"""Links between annotations, documents and sources, and their relation types."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q

from annotations import linking
from annotations.admin.common import SoftDeleteAdmin, link_target, shown
from annotations.models import Link, RelationType


@admin.register(RelationType)
class RelationTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "retired", "usage"]
    list_filter = ["project", "retired"]
    list_select_related = ["project"]
    search_fields = ["name", "description"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(usage=Count("links", filter=Q(links__deleted_at__isnull=True)))
        )

    def get_readonly_fields(self, request, obj=None):
        # Its links belong to its project: a relation type does not move.
        return ["project"] if obj is not None else []

    @admin.display(ordering="usage", description="links")
    def usage(self, relation) -> int:
        return relation.usage


@admin.register(Link)
class LinkAdmin(SoftDeleteAdmin):
    list_display = [
        "source_quote",
        "relation",
        "target",
        "author",
        "created_at",
        "deleted_at",
    ]
    list_filter = ["project", "relation", "created_at"]
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
    # Where a link goes is checked when it is made, in the reader.
    readonly_fields = [
        "project",
        "source",
        "relation",
        "target",
        "author",
        "created_at",
        "deleted_at",
        "deleted_by",
    ]

    def get_queryset(self, request):
        user = request.user
        return (
            super()
            .get_queryset(request)
            .filter(shown(user, "source__"))
            .filter(
                Q(target_annotation__isnull=True) | shown(user, "target_annotation__")
            )
        )

    def has_add_permission(self, request) -> bool:
        return False

    def soft_delete_row(self, link, by) -> None:
        linking.delete_link(link=link, by=by)

    @admin.display(description="source")
    def source_quote(self, link) -> str:
        return str(link.source)

    @admin.display(description="target")
    def target(self, link) -> str:
        return link_target(link)
