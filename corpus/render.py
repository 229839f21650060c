"""Render a document's blocks to HTML. Pure: no Django imports, so it can be
benchmarked alone. Escaping is done here, once, for all of the text."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from urllib.parse import urlsplit

SAFE_SCHEMES = {"http", "https", "mailto"}


def _safe_url(url: str) -> str | None:
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in SAFE_SCHEMES else None


def _inline(text: str, start: int, end: int, links: list[dict]) -> str:
    """Escaped text[start:end] with the kept hyperlinks that fall inside it."""
    parts, pos = [], start
    for link in links:
        if link["start"] < pos or link["end"] > end:
            continue
        url = _safe_url(link["url"])
        if url is None:
            continue
        parts.append(escape(text[pos : link["start"]], quote=False))
        parts.append(
            f'<a href="{escape(url)}" rel="noopener noreferrer nofollow">'
            f"{escape(text[link['start'] : link['end']], quote=False)}</a>"
        )
        pos = link["end"]
    parts.append(escape(text[pos:end], quote=False))
    return "".join(parts)


def _links_by_block(blocks: list[dict], links: list[dict]) -> list[list[dict]]:
    """Distribute links (sorted by start) over blocks (sorted by start) in one pass."""
    out: list[list[dict]] = [[] for _ in blocks]
    ordered = sorted(links, key=lambda link: link["start"])
    i = 0
    for index, block in enumerate(blocks):
        while i < len(ordered) and ordered[i]["start"] < block["start"]:
            i += 1
        j = i
        while j < len(ordered) and ordered[j]["end"] <= block["end"]:
            out[index].append(ordered[j])
            j += 1
        i = j
    return out


def render_blocks(text: str, blocks: Iterable[dict], links: list[dict] = ()) -> str:
    """HTML for the blocks (headings, paragraphs, lists) marked with their offsets."""
    blocks = list(blocks)
    per_block = _links_by_block(blocks, list(links))
    html: list[str] = []
    in_list = False
    for block, block_links in zip(blocks, per_block, strict=True):
        kind, start, end = block["kind"], block["start"], block["end"]
        if kind == "list_item" and not in_list:
            html.append('<ul class="doc-list">')
            in_list = True
        elif kind != "list_item" and in_list:
            html.append("</ul>")
            in_list = False
        if kind == "heading":
            level = min(max(int(block.get("level") or 1), 1), 4) + 1  # h1 is the title
            tag = f"h{level}"
        elif kind == "list_item":
            tag = "li"
        else:
            tag = "p"
        html.append(
            f'<{tag} class="block block-{kind}" id="b{start}" '
            f'data-start="{start}" data-end="{end}">'
            f"{_inline(text, start, end, block_links)}</{tag}>"
        )
    if in_list:
        html.append("</ul>")
    return "\n".join(html)
