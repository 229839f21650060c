"""The one place a view turns (user, project slug, action) into access or refusal."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django_htmx.middleware import HtmxDetails

from corpus.models import Membership
from corpus.roles import Action


class HtmxHttpRequest(HttpRequest):
    """The request type of our views: HtmxMiddleware adds `htmx`."""

    htmx: HtmxDetails


def membership_for(
    request: HttpRequest, slug: str, action: Action = Action.READ
) -> Membership:
    """The user's membership of `slug`: 404 for a non-member, 403 without the right."""
    membership = get_object_or_404(
        Membership.objects.select_related("project"),
        project__slug=slug,
        user=request.user,
    )
    if not membership.can(action):
        raise PermissionDenied(
            f"Your role ({membership.get_role_display()}) may not do this."
        )
    return membership
