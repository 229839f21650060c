"""A project's tag colours as a stylesheet, so that no page needs an inline style.

A tag chip (templates/annotations/_tag_chip.html) carries the class
`tag-colour-<pk>`; this stylesheet gives each class its tag's colour, and the
chip's border shows it (static/css/app.css). base.html links the stylesheet on
every page of a project, with a version made from the colours: the browser keeps
it until a colour changes, then fetches the new one.
"""

from __future__ import annotations

import hashlib
import re

from django import template
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from annotations.models import Tag
from corpus.access import HtmxHttpRequest, membership_for
from corpus.models import Project

# Tag.colour is validated as #rrggbb; a row written around validation is left
# out (its chip keeps the default colour) rather than written into CSS.
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
A_YEAR = 365 * 24 * 3600

register = template.Library()


def _colours(project_id: int) -> list[tuple[int, str]]:
    return [
        (pk, colour.lower())
        for pk, colour in Tag.objects.filter(project_id=project_id)
        .order_by("pk")
        .values_list("pk", "colour")
        if COLOUR.fullmatch(colour)
    ]


def _version(colours: list[tuple[int, str]]) -> str:
    text = ";".join(f"{pk}{colour}" for pk, colour in colours)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@register.simple_tag
def tag_colours_url(project: Project) -> str:
    """The project's tag stylesheet, versioned by its colours."""
    url = reverse("tag_colours", args=[project.slug])
    return f"{url}?v={_version(_colours(project.pk))}"


@require_safe
@login_required
def tag_colours(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The project's tag colours, one class per tag; members only (404 otherwise).

    Kept for a year when asked for by the current version, which changes with
    any colour; any other URL is checked again on every use.
    """
    membership = membership_for(request, slug)
    colours = _colours(membership.project_id)
    css = "".join(
        f".tag-colour-{pk} {{ --tag: {colour}; }}\n" for pk, colour in colours
    )
    response = HttpResponse(
        f"/* Tag colours of {membership.project.slug} */\n{css}",
        content_type="text/css; charset=utf-8",
    )
    if request.GET.get("v") == _version(colours):
        response["Cache-Control"] = f"private, max-age={A_YEAR}, immutable"
    else:
        response["Cache-Control"] = "private, no-cache"
    return response
