"""HTML pages: main text and metadata by trafilatura, with a plain lxml reading.

trafilatura's extraction scores the page element by element, and its cost
grows faster than the number of elements (3.3 s for 43,000 paragraphs, about a
minute for 300,000). Pages with more tags than `MAX_TAGS_FOR_EXTRACTION` are
therefore read with lxml directly (`_fallback_blocks`, linear): the page's `<main>`
or `<article>` if it marks one, minus navigation, headers, footers and forms,
with metadata from the start of the page. Small pages, where telling the
article from its surroundings matters most, keep trafilatura's reading.
"""

from __future__ import annotations

import datetime
import itertools
import logging

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.settings import set_date_params

from corpus.importers.assemble import RawBlock, join_segments
from corpus.importers.textutil import title_from_text

_BLOCK_TAGS = {"p", "head", "item", "quote", "cell", "code"}
_FALLBACK_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre"}
_SKIP_TAGS = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript"}
_REAL_URL_PREFIXES = ("http://", "https://", "mailto:")
# About 10,000 elements: trafilatura reads such a page in well under a second.
MAX_TAGS_FOR_EXTRACTION = 20_000
# The metadata (<head>, the byline) is at the start; a huge page is not searched
# to its end for it.
METADATA_PREFIX_CHARS = 128 * 1024


def parse_html(text: str) -> tuple[list[RawBlock], dict]:
    """Blocks of the page's main text and its metadata."""
    # trafilatura logs every page it finds little in; the caller reports instead.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    if text.count("<") > MAX_TAGS_FOR_EXTRACTION:
        blocks = _fallback_blocks(text, prefer_main=True)
        return blocks, _metadata(_metadata_only(text[:METADATA_PREFIX_CHARS]), blocks)
    # One pass gives both text and metadata; the page is parsed only once.
    document = trafilatura.bare_extraction(
        text,
        output_format="xml",
        include_formatting=True,
        include_links=True,
        include_tables=True,
        with_metadata=True,
        favor_recall=True,
        # The exhaustive date search reads every string of the page (slow).
        date_extraction_params=set_date_params(extensive=False),
    )
    blocks = _blocks_from_body(document.body) if document is not None else []
    if not blocks:
        blocks = _fallback_blocks(text)
        document = _metadata_only(text)
    return blocks, _metadata(document, blocks)


def _blocks_from_body(body) -> list[RawBlock]:
    if body is None:
        return []
    blocks = []
    for element in body.iter(*_BLOCK_TAGS):
        # A paragraph inside a list item or quote is read once, as itself.
        if any(parent.tag in _BLOCK_TAGS for parent in element.iterancestors()):
            continue
        block = join_segments(_segments(element, "ref", "target"))
        if element.tag == "head":
            block.kind = "heading"
            rend = element.get("rend") or "h2"
            block.level = int(rend[1]) if rend[1:2].isdigit() else 2
        elif element.tag == "item":
            block.kind = "list_item"
        if block.text:
            blocks.append(block)
    return blocks


def _segments(element, link_tag: str, url_attribute: str):
    """(text, url) pieces of an element, in document order."""
    yield element.text or "", None
    for child in element:
        if child.tag in _SKIP_TAGS or not isinstance(child.tag, str):
            yield child.tail or "", None
            continue
        if child.tag == link_tag:
            url = (child.get(url_attribute) or "").strip()
            real = url.lower().startswith(_REAL_URL_PREFIXES)
            yield "".join(child.itertext()), url if real else None
        elif child.tag in ("lb", "br"):
            yield " ", None
        else:
            yield from _segments(child, link_tag, url_attribute)
        yield child.tail or "", None


def _fallback_blocks(text: str, *, prefer_main: bool = False) -> list[RawBlock]:
    """Headings, paragraphs and list items of the page body, minus page chrome.

    With `prefer_main`, only the page's one `<main>` or `<article>` is read when
    it has one.
    """
    try:
        root = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError):
        return []
    # Collected first: dropping elements while iterating skips their neighbours.
    for element in list(root.iter(*_SKIP_TAGS)):
        element.drop_tree()
    container = _main_element(root) if prefer_main else None
    if container is None:
        container = root
    blocks = []
    for element in container.iter(*_FALLBACK_BLOCKS):
        if any(parent.tag in _FALLBACK_BLOCKS for parent in element.iterancestors()):
            continue
        block = join_segments(_segments(element, "a", "href"))
        if element.tag[0] == "h":
            block.kind, block.level = "heading", int(element.tag[1])
        elif element.tag == "li":
            block.kind = "list_item"
        if block.text:
            blocks.append(block)
    if not blocks:
        body = root.find("body")
        words = " ".join((body if body is not None else root).text_content().split())
        if words:
            blocks.append(RawBlock("paragraph", words))
    return blocks


def _main_element(root):
    """The page's single <main> (or else single <article>) if it has text."""
    for tag in ("main", "article"):
        found = list(itertools.islice(root.iter(tag), 2))
        if len(found) == 1 and found[0].text_content().strip():
            return found[0]
    return None


def _metadata_only(text: str):
    try:
        return trafilatura.extract_metadata(text, extensive=False)
    except (ValueError, TypeError, lxml.etree.LxmlError):
        return None


def _metadata(found, blocks: list[RawBlock]) -> dict:
    meta: dict = {}
    if found is not None:
        meta["title"] = found.title or ""
        meta["authors"] = [a.strip() for a in (found.author or "").split(";") if a]
        meta["publisher"] = found.sitename or ""
        meta["source_url"] = found.url or ""
        meta["published_date"] = _date(found.date)
    if not meta.get("title"):
        heading = next((b.text for b in blocks if b.kind == "heading"), "")
        meta["title"] = heading or (title_from_text(blocks[0].text) if blocks else "")
    return meta


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None
