from django.contrib.auth.forms import AuthenticationForm
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from corpus.views import project_list


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """A member's projects; to anyone else, a front page with the sign-in form.

    `/` answers 200 directly either way, as uptime monitors and load balancers
    expect of a site's root, instead of redirecting to the sign-in page.
    """
    if request.user.is_authenticated:
        return project_list(request)
    return render(request, "home.html", {"form": AuthenticationForm(request)})


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers a query, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})
