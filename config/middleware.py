"""Response headers the whole site needs."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import has_vary_header

PRIVATE = "private, no-store"


class PrivateCacheMiddleware:
    """`Cache-Control: private, no-store` on every response that may carry
    member data, unless the view chose its own Cache-Control.

    Member data: anything answered to a signed-in user, and anything that sets
    a session or CSRF cookie or varies on the cookie (a page built for this
    browser). Without it a shared cache, or the browser's back button after
    signing out, could show one member's page to someone else. Static files
    never get here: WhiteNoise answers them first, with their own long cache.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response and _is_private(request, response):
            response["Cache-Control"] = PRIVATE
        return response


def _is_private(request: HttpRequest, response: HttpResponse) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    cookies = {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME}
    return bool(cookies & response.cookies.keys()) or has_vary_header(
        response, "Cookie"
    )
