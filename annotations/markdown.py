"""Notes and replies are Markdown; what reaches the page is sanitised HTML.

markdown-it-py parses CommonMark in time linear in the length of a note,
whatever the note holds: Python-Markdown, before it, took quadratic time on
notes such as 20,000 "[" and held a worker past its timeout.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

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

# A URL without a scheme is relative ("/p/x/", "#s12") and stays.
_SCHEME_RE = re.compile(r"\s*([a-z][a-z0-9+.-]*):", re.IGNORECASE)

# A reference link repeats its definition's URL and title wherever it is used:
# one 10,000-character definition and 3,000 "[x]" would be 30 MB of HTML. Past
# this many characters of URLs and titles (a floor, plus so many per character
# of the note), links render as their text, so the HTML stays linear in size.
LINK_ATTRIBUTES_FLOOR = 10_000
LINK_ATTRIBUTES_PER_CHARACTER = 10


class _NoteParser(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # markdown-it names it so
        # Parse every link, whatever its URL, so that _check_links can show an
        # unsafe one ("[x](javascript:...)") as its text alone, not as source.
        return True


def _allowed_url(url: str) -> bool:
    scheme = _SCHEME_RE.match(url)
    return scheme is None or scheme.group(1).lower() in URL_SCHEMES


def _check_links(state: StateCore) -> None:
    """Unlink links to an unsafe URL, and all links past the size budget."""
    budget = LINK_ATTRIBUTES_FLOOR + LINK_ATTRIBUTES_PER_CHARACTER * len(state.src)
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        kept = []
        unlinking = False  # CommonMark links do not nest: one flag is enough
        for token in block.children:
            if token.type == "link_open":
                href = str(token.attrGet("href") or "")
                title = str(token.attrGet("title") or "")
                unlinking = not _allowed_url(href) or len(href) + len(title) > budget
                if unlinking:
                    continue
                budget -= len(href) + len(title)
            elif token.type == "link_close" and unlinking:
                continue
            kept.append(token)
        block.children = kept


def _strikethrough(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    # markdown-it writes <s>; <del> is the tag the sanitiser lets through.
    return "<del>" if tokens[idx].nesting == 1 else "</del>"


def _no_image(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    # Notes show no images (nh3 would drop <img> anyway); writing none also
    # keeps a referenced URL from being repeated for each use.
    return ""


def _parser() -> MarkdownIt:
    # "html": False: raw HTML in a note is text the user typed ("<Guzmán>"),
    # not markup, and is escaped like any other text.
    parser = _NoteParser("commonmark", {"html": False}).enable("strikethrough")
    parser.core.ruler.push("check_links", _check_links)
    parser.add_render_rule("s_open", _strikethrough)
    parser.add_render_rule("s_close", _strikethrough)
    parser.add_render_rule("image", _no_image)
    return parser


_PARSER = _parser()


def render_markdown(source: str) -> str:
    """Markdown to HTML, sanitised: no raw HTML, script or unsafe link survives."""
    return nh3.clean(
        _PARSER.render(source),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
