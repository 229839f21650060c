"""Response headers the whole site needs, and compression."""

from __future__ import annotations

import gzip
import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.utils.cache import has_vary_header, patch_vary_headers

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


# Answers compressed by their format (a backup archive): gzip again would only
# cost time.
COMPRESSED_ALREADY = ("application/zip",)


class CompressMiddleware(GZipMiddleware):
    """Django's gzip, at a level chosen for our pages (GZIP_LEVEL).

    Django compresses at level 6, which costs tens of milliseconds on a
    reading page of megabytes; a lower level gives nearly the same size for a
    fraction of the time (docs/performance.md, "Compression"). The random
    bytes Django adds to each answer against BREACH are added here the same way.
    """

    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith(COMPRESSED_ALREADY):
            return response
        if response.streaming or not re_accepts_gzip.search(
            request.META.get("HTTP_ACCEPT_ENCODING", "")
        ):
            return super().process_response(request, response)
        if len(response.content) < 200 or response.has_header("Content-Encoding"):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        compressed = gzip.compress(
            response.content, compresslevel=settings.GZIP_LEVEL, mtime=0
        )
        if len(compressed) >= len(response.content):
            return response
        # As django.utils.text.compress_string does: a random file name in the
        # gzip header makes the length of each answer unpredictable.
        header = bytearray(compressed[:10])
        header[3] = gzip.FNAME
        padding = _random_name(self.max_random_bytes) + b"\x00"
        response.content = bytes(header) + padding + compressed[10:]
        response.headers["Content-Length"] = str(len(response.content))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
        return response


def _random_name(max_bytes: int) -> bytes:
    length = secrets.randbelow(max_bytes) + 1
    return secrets.token_hex(length)[:length].encode()
