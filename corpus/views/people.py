"""A person's page: where the IRI of an annotation's creator leads (the W3C
export names people by /people/ID). Seen only by those who share a project
with them; anyone else finds no one there (404)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from corpus.models import Project

JSON_LD = "application/ld+json"


@require_safe
@login_required
@vary_on_headers("Accept")
def person(request: HttpRequest, pk: int) -> HttpResponse:
    """Their name and the projects the reader shares with them; as JSON-LD
    (a W3C Person) when the client asks for it."""
    shared = (
        Project.objects.live()
        .filter(memberships__user=request.user)
        .filter(memberships__user_id=pk)
        .distinct()
        .order_by("name")
    )
    someone = get_user_model().objects.filter(pk=pk).first()
    if someone is None or not (someone == request.user or shared.exists()):
        raise Http404("No one you share a project with.")
    name = someone.get_full_name() or someone.get_username()
    accepted = request.headers.get("Accept", "")
    if JSON_LD in accepted or "application/json" in accepted:
        response = JsonResponse(
            {
                "@context": "http://www.w3.org/ns/anno.jsonld",
                "id": request.build_absolute_uri(),
                "type": "Person",
                "name": name,
                "nickname": someone.get_username(),
            },
            content_type=JSON_LD if JSON_LD in accepted else "application/json",
        )
        return response
    return render(
        request,
        "corpus/person.html",
        {"someone": someone, "name": name, "projects": shared},
    )
