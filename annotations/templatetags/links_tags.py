"""The links panel of a thread, fetched where the thread template includes it."""

from __future__ import annotations

from django import template

from annotations import linking
from corpus.roles import Action

register = template.Library()


@register.inclusion_tag("annotations/links/_links_panel.html", takes_context=True)
def thread_links(context) -> dict:
    """An annotation's links and backlinks (one query), with what the member may do."""
    annotation, membership = context["annotation"], context["membership"]
    return {
        **linking.thread_links(membership, annotation),
        "annotation": annotation,
        "project": context["project"],
        "membership": membership,
        "may_link": membership.can(Action.ANNOTATE),
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }
