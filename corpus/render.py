"""Render a document's blocks to HTML. Pure: no Django imports, so it can be
benchmarked alone. Escaping is done here, once, for all of the text."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


Segment = tuple[int, int, tuple[int, ...]]


def _inline_marked(
    text: str,
    links: list[dict],
    segments: list[Segment],
    mark: Callable[[tuple[int, ...], int], str],
) -> str:
    """Escaped block text cut into segments, highlighted ones in <mark>.

    The segments tile the block and are cut at every link edge, so each lies
    wholly inside or outside one link; a link wraps its run of segments.
    """
    if not links:
        # Most blocks: no link to open or close, one expression per segment.
        return "".join(
            [
                f"<mark{mark(keys, start)}>{escape(text[start:end], False)}</mark>"
                if keys
                else escape(text[start:end], False)
                for start, end, keys in segments
            ]
        )
    parts: list[str] = []
    link_index, open_link = 0, None
    for start, end, keys in segments:
        while link_index < len(links) and links[link_index]["end"] <= start:
            link_index += 1
        link = links[link_index] if link_index < len(links) else None
        inside = link is not None and link["start"] <= start and end <= link["end"]
        wanted = link if inside and _safe_url(link["url"]) else None
        if wanted is not open_link:
            if open_link is not None:
                parts.append("</a>")
            if wanted is not None:
                parts.append(
                    f'<a href="{escape(wanted["url"])}" '
                    'rel="noopener noreferrer nofollow">'
                )
            open_link = wanted
        piece = escape(text[start:end], quote=False)
        parts.append(f"<mark{mark(keys, start)}>{piece}</mark>" if keys else piece)
    if open_link is not None:
        parts.append("</a>")
    return "".join(parts)


def render_block(
    text: str,
    block: dict,
    links: list[dict] = (),
    segments: list[Segment] | None = None,
    mark: Callable[[tuple[int, ...], int], str] | None = None,
    attrs: str = "",
) -> str:
    """One block's element, its text escaped, with links and highlight marks."""
    kind, start, end = block["kind"], block["start"], block["end"]
    if kind == "heading":
        level = min(max(int(block.get("level") or 1), 1), 4) + 1  # h1 is the title
        tag = f"h{level}"
    elif kind == "list_item":
        tag = "li"
    else:
        tag = "p"
    if segments is None:
        inner = _inline(text, start, end, list(links))
    else:
        inner = _inline_marked(text, list(links), segments, mark)
    return (
        f'<{tag} class="block block-{kind}" id="b{start}" '
        f'data-start="{start}" data-end="{end}"{attrs}>{inner}</{tag}>'
    )


def render_blocks(
    text: str,
    blocks: Iterable[dict],
    links: list[dict] = (),
    segments: list[list[Segment]] | None = None,
    mark: Callable[[tuple[int, ...], int], str] | None = None,
) -> str:
    """HTML for the blocks (headings, paragraphs, lists) marked with their offsets.

    `segments`, one list per block, cut the text where highlights begin and end;
    `mark(keys, start)` gives the attributes of a highlighted segment's <mark>.
    """
    blocks = list(blocks)
    per_block = _links_by_block(blocks, list(links))
    html: list[str] = []
    in_list = False
    for index, block in enumerate(blocks):
        is_item = block["kind"] == "list_item"
        if is_item and not in_list:
            html.append('<ul class="doc-list">')
        elif not is_item and in_list:
            html.append("</ul>")
        in_list = is_item
        html.append(
            render_block(
                text,
                block,
                per_block[index],
                None if segments is None else segments[index],
                mark,
            )
        )
    if in_list:
        html.append("</ul>")
    return "\n".join(html)
