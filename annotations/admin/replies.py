"""Replies, read-only here: they are written and edited in the thread."""

from __future__ import annotations

from django.contrib import admin

from annotations import services
from annotations.admin.common import SoftDeleteAdmin, shown
from annotations.models import Reply


@admin.register(Reply)
class ReplyAdmin(SoftDeleteAdmin):
    list_display = ["annotation", "author", "created_at", "deleted_at"]
    search_fields = ["body", "author__username"]
    list_select_related = ["annotation", "author"]
    fields = [
        "annotation",
        "author",
        "body",
        "created_at",
        "updated_at",
        "version",
        "deleted_at",
        "deleted_by",
    ]
    readonly_fields = fields
    actions = ["soft_delete"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(shown(request.user, "annotation__"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # An edit here would skip update_reply, which bumps the version.
        return False

    def project_id_of(self, reply) -> int:
        return reply.annotation.project_id

    def soft_delete_row(self, reply, by) -> None:
        services.delete_reply(reply=reply, by=by)
