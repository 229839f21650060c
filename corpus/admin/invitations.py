"""Invitations in the admin: the record of who invited whom, read-only.

Listed to the owners of their project (and to superusers), like the Members
page lists them; made, sent again and revoked on that page only, where the
link is emailed. The token's hash is never shown.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from corpus.admin.access import MemberProjectFilter, ProjectRowsAdmin, ReadOnlyAdmin
from corpus.models import Invitation, Membership
from corpus.roles import Role


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin, ProjectRowsAdmin):
    list_display = [
        "email",
        "project",
        "role",
        "status",
        "invited_by",
        "created_at",
        "accepted_by",
    ]
    list_filter = ["role", ("project", MemberProjectFilter)]
    search_fields = ["email"]
    list_select_related = ["project", "invited_by", "accepted_by"]
    fields = [
        "project",
        "email",
        "role",
        "status",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_by",
        "accepted_at",
        "revoked_by",
        "revoked_at",
    ]
    readonly_fields = fields

    def scope(self, request) -> Q:
        if request.user.is_superuser:
            return Q()
        owned = Membership.objects.filter(user=request.user, role=Role.OWNER)
        return Q(project__in=owned.values("project_id"))

    @admin.display(description="status")
    def status(self, invitation) -> str:
        return invitation.status.label
