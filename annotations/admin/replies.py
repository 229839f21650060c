"""Replies, read-only here: they are written and edited in the thread."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from annotations import services
from annotations.admin.common import SoftDeleteAdmin, reply_scope
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

    def scope(self, request) -> Q:
        return reply_scope(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # An edit here would skip update_reply, which bumps the version.
        return False

    def project_id_of(self, reply) -> int:
        return reply.annotation.project_id

    def soft_delete_row(self, reply, by) -> None:
        services.delete_reply(reply=reply, by=by)
