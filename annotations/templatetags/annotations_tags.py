import sys

from django import template
from django.utils.safestring import SafeString, mark_safe

from annotations.markdown import render_markdown
from corpus.bodycache import LRU

register = template.Library()

# Notes and replies are drawn far more often than written: each worker keeps
# the HTML of those it drew lately (a thread's note and replies, again and
# again), within a few MB.
# Each item weighs its key (the note) as well as its HTML.
_rendered = LRU(size=10_000, budget=8 * 1024 * 1024, weigh=lambda item: item[1])


@register.filter
def markdown(source: str) -> SafeString:
    """Render a note or reply; render_markdown sanitises its output with nh3."""
    source = source or ""

    def draw() -> tuple[str, int]:
        html = render_markdown(source)
        return html, sys.getsizeof(source) + sys.getsizeof(html) + 400

    return mark_safe(_rendered.get_or_make(source, draw)[0])  # noqa: S308


def clear() -> None:
    """Forget the notes drawn (tests)."""
    _rendered.clear()
