"""Notes and replies are Markdown; what reaches the page is sanitised HTML."""

from __future__ import annotations

import markdown as markdown_lib
import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "em",
    "strong",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "hr",
    "del",
    "sup",
    "sub",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def _converter() -> markdown_lib.Markdown:
    converter = markdown_lib.Markdown(extensions=["sane_lists"], output_format="html")
    # Raw HTML in a note is text the user typed ("<Guzmán>"), not markup: with
    # the HTML handlers gone, Markdown escapes it like any other text.
    converter.preprocessors.deregister("html_block")
    converter.inlinePatterns.deregister("html")
    return converter


def render_markdown(source: str) -> str:
    """Markdown to HTML, sanitised: no raw HTML, script or unsafe link survives."""
    html = _converter().convert(source)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
