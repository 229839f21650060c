"""The one place a view turns (user, project slug, action) into access or refusal."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django_htmx.middleware import HtmxDetails

from corpus.models import Membership
from corpus.roles import Action, can


class HtmxHttpRequest(HttpRequest):
    """The request type of our views: HtmxMiddleware adds `htmx`."""

    htmx: HtmxDetails


def membership_for(
    request: HttpRequest,
    slug: str,
    action: Action = Action.READ,
    *,
    archived_ok: bool = False,
) -> Membership:
    """The user's membership of `slug`: 404 for a non-member (or a project in the
    trash), 403 without the right, or for any change to an archived project."""
    membership = get_object_or_404(
        Membership.objects.select_related("project"),
        project__slug=slug,
        project__trashed_at__isnull=True,
        user=request.user,
    )
    if not can(membership.role, action):
        raise PermissionDenied(
            f"Your role ({membership.get_role_display()}) may not do this."
        )
    if action != Action.READ and membership.project.is_archived and not archived_ok:
        raise PermissionDenied(
            "This project is archived: it can be read but not changed. "
            "An owner can take it out of the archive on its settings page."
        )
    return membership
