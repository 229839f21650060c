from django import template
from django.utils.safestring import SafeString, mark_safe

from annotations.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(source: str) -> SafeString:
    """Render a note or reply; render_markdown sanitises its output with nh3."""
    return mark_safe(render_markdown(source or ""))  # noqa: S308
