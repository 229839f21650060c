"""The one place a view turns (user, project slug, action) into access or refusal."""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from django_htmx.middleware import HtmxDetails

from corpus.models import Membership
from corpus.prepared import Prepared
from corpus.roles import Action, can
from corpus.services import tokens


class HtmxHttpRequest(HttpRequest):
    """The request type of our views: HtmxMiddleware adds `htmx`."""

    htmx: HtmxDetails


# Every project page reads it: prepared (corpus.prepared).
_membership = Prepared(
    lambda _shape, slug, user: (
        Membership.objects.select_related("project")
        .filter(project__slug=slug, project__trashed_at__isnull=True, user_id=user)
        .order_by()
    ),
    str,
    int,
)


def membership_for(
    request: HttpRequest,
    slug: str,
    action: Action = Action.READ,
    *,
    archived_ok: bool = False,
) -> Membership:
    """The user's membership of `slug`: 404 for a non-member (or a project in the
    trash), 403 without the right, or for any change to an archived project."""
    membership = _membership.one(slug, request.user.pk)
    if membership is None:
        raise Http404("No such project.")
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


SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
CSRF_MISSING = "Send the CSRF token (X-CSRFToken), or use an API token."


def _unauthorized(message: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="apparatus"'
    return response


def _csrf_refusal(request: HttpRequest):
    """The CSRF middleware's answer to this request: None when it passes."""
    check = CsrfViewMiddleware(lambda request: None)
    return check.process_view(request, lambda: None, (), {})


def api_view(view):
    """A view programs call (the W3C protocol): signed in by the browser's
    session, or by a personal API token (`Authorization: Bearer ...`), else 401
    in JSON. CSRF applies to session-authenticated writes only: a token is not
    something a browser sends by itself from another site."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            user = tokens.user_for(credentials.strip())
            if user is None:
                return _unauthorized("This token is unknown or revoked.")
            request.user = user
        elif not request.user.is_authenticated:
            if request.method == "OPTIONS":
                return view(request, *args, **kwargs)
            return _unauthorized("Sign in, or send a personal API token.")
        elif request.method not in SAFE_METHODS and _csrf_refusal(request):
            return JsonResponse({"error": CSRF_MISSING}, status=403)
        # Refusals in JSON, for programs: raised before anything is written.
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return JsonResponse({"error": "Not found here."}, status=404)
        except PermissionDenied as denied:
            return JsonResponse({"error": str(denied) or "Not allowed."}, status=403)

    return wrapped
