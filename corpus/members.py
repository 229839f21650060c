"""The Members page, which the project views (members added, re-roled, removed)
and the invitation views (sent, sent again, revoked) both answer with: the
members, the role matrix, the forms, and the open invitations."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from corpus import roles
from corpus.forms import InviteForm, MemberAddForm, RoleForm
from corpus.models import Invitation, Membership
from corpus.roles import Action, Role


def members_context(membership: Membership, **forms) -> dict:
    """The page's context; `forms` (add_form, invite_form) replace the empty
    ones, to show a refused form with its errors."""
    project = membership.project
    can_manage = membership.can(Action.MANAGE_MEMBERS)
    return {
        "project": project,
        "membership": membership,
        "members": project.memberships.select_related("user").order_by(
            "user__username"
        ),
        "roles": Role,
        "matrix": roles.matrix(),
        "can_manage": can_manage,
        "add_form": MemberAddForm(),
        "invite_form": InviteForm(),
        # Addresses are for those who manage members only.
        "invitations": (
            project.invitations.open().select_related("invited_by").order_by("email")
            if can_manage
            else Invitation.objects.none()
        ),
        "sends_email": settings.APPARATUS_SENDS_EMAIL,
        "role_form": RoleForm(),
        **forms,
    }


def members_response(
    request: HttpRequest, membership: Membership, *, status: int = 200, **context
) -> HttpResponse:
    """The Members page, or its region for htmx."""
    htmx = getattr(request, "htmx", False)
    template = "corpus/_members.html" if htmx else "corpus/project_members.html"
    return render(
        request, template, {**members_context(membership), **context}, status=status
    )
