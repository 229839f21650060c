"""The links panel of a thread, fetched where the thread template includes it."""

from __future__ import annotations

from django import template

from annotations import linking
from corpus.roles import Action

register = template.Library()


@register.inclusion_tag("annotations/links/_links_panel.html", takes_context=True)
def thread_links(context) -> dict:
    """An annotation's links and backlinks (one query, none for a new one), with
    what the member may do."""
    annotation, membership = context["annotation"], context["membership"]
    # Nothing links to or from an annotation saved a moment ago.
    new = context.get("new_annotation", False)
    links = (
        {"outgoing": [], "incoming": []}
        if new
        else linking.thread_links(membership, annotation)
    )
    return {
        **links,
        "annotation": annotation,
        "project": context["project"],
        "membership": membership,
        "may_link": membership.can(Action.ANNOTATE),
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }
