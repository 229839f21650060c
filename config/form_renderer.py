"""Forms render as Django's do, with one exception: a <select> is written here
in Python instead of through a template include per option.

A filter of 200 documents and 20 authors drew 220 option templates: 8 of the
curation queue's 25 ms, and as much again on every page with such a form. The
HTML is the same, character for character (tests/test_form_renderer.py
compares the two for every kind of select).
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: True bare, False left out."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _select(widget: dict) -> SafeString | None:
    """The <select> of a widget's context, or None if an option has a template
    of its own (then the templates draw it)."""
    parts = [
        f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>'
    ]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION:
                return None
            # The option's template ends with a line break, which its include keeps.
            value, label = (
                escape(str(option["value"])),
                conditional_escape(option["label"]),
            )
            attrs = _attrs(option["attrs"])
            parts.append(f'\n  <option value="{value}"{attrs}>{label}</option>\n')
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 (every part escaped above)


class QuickSelectRenderer(DjangoTemplates):
    """Django's default form renderer, <select> written in Python."""

    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            drawn = _select(context["widget"])
            if drawn is not None:
                return drawn
        return super().render(template_name, context, request)
