"""A project's tag colours as a stylesheet, so that no page needs an inline style.

A tag chip (templates/annotations/_tag_chip.html) carries the class
`tag-colour-<pk>`; this stylesheet gives each class its tag's colour, and the
chip's border shows it (static/css/app.css). A highlight coloured by a tag
carries `tc-<pk>` (annotations/reading.py), which gets four tints of the colour,
one per overlap depth (--hl1 to --hl4), each light enough for the text on it to
keep WCAG AA contrast. base.html links the stylesheet on every page of a
project, with a version made from the colours: the browser keeps it until a
colour changes, then fetches the new one. The stylesheet itself is served by
annotations.views.tags.tag_colours.
"""

from __future__ import annotations

import hashlib
import re

from django import template
from django.urls import reverse

from annotations.models import Tag
from corpus.models import Project

# Tag.colour is validated as #rrggbb; a row written around validation is left
# out (its chip keeps the default colour) rather than written into CSS.
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

# The text's colour (app.css --ink), and the share of a tag's colour laid over
# white at each overlap depth: deeper overlaps darker.
INK = "#1d1f24"
DEPTH_SHARES = (0.35, 0.5, 0.65, 0.8)
# WCAG AA for body text; a tint is lightened until the text on it reaches this.
MIN_CONTRAST = 4.5
# Highlights with no tag: a grey-blue that is no tag's hue (app.css holds its
# tints, as highlight_tints(NEUTRAL) gives them).
NEUTRAL = "#8c96a5"

register = template.Library()


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _luminance(colour: str) -> float:
    """WCAG relative luminance of an sRGB colour."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in _rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _over_white(colour: str, share: float) -> str:
    mixed = (round(255 - (255 - channel) * share) for channel in _rgb(colour))
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def highlight_tints(colour: str) -> list[str]:
    """The background of a highlight of this colour at overlap depths 1 to 4:
    the colour over white at DEPTH_SHARES, each lightened where needed so that
    the text keeps MIN_CONTRAST (a dark colour's deeper levels may then be one)."""
    tints = []
    for share in DEPTH_SHARES:
        tint = _over_white(colour, share)
        while contrast(tint, INK) < MIN_CONTRAST:
            share -= 0.01
            tint = _over_white(colour, share)
        tints.append(tint)
    return tints


def colours(project_id: int) -> list[tuple[int, str]]:
    return [
        (pk, colour.lower())
        for pk, colour in Tag.objects.filter(project_id=project_id)
        .order_by("pk")
        .values_list("pk", "colour")
        if COLOUR.fullmatch(colour)
    ]


def stylesheet(project_id: int) -> tuple[str, str]:
    """The project's tag classes as CSS (a chip's colour, a highlight's tints),
    and the version of its colours."""
    found = colours(project_id)
    css = "".join(
        f".tag-colour-{pk} {{ --tag: {colour}; }}\n"
        f".tc-{pk} {{ {tint_properties(colour)} }}\n"
        for pk, colour in found
    )
    return css, version(found)


def version(colours: list[tuple[int, str]]) -> str:
    text = ";".join(f"{pk}{colour}" for pk, colour in colours)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@register.simple_tag
def tag_colours_url(project: Project) -> str:
    """The project's tag stylesheet, versioned by its colours."""
    url = reverse("annotations:tag_colours", args=[project.slug])
    return f"{url}?v={version(colours(project.pk))}"


def tint_properties(colour: str) -> str:
    return " ".join(
        f"--hl{depth}: {tint};"
        for depth, tint in enumerate(highlight_tints(colour), start=1)
    )
