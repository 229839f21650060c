"""Markdown to blocks: headings, paragraphs, list items, links; markup removed."""

from __future__ import annotations

import re

from corpus.importers.assemble import RawBlock, join_segments
from corpus.importers.dates import find_date
from corpus.importers.textutil import ends_sentence

_ATX_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_RE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE_RE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ITEM_RE = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,9}[.)])[ \t]+(.*)$")
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_QUOTE_RE = re.compile(r"^ {0,3}>[ ]?")
_REF_DEF_RE = re.compile(r"^ {0,3}\[([^\]]+)\]:[ \t]*<?(\S+?)>?(?:[ \t]+[\"'(].*)?$")

_ESCAPABLE = "\\`*_{}[]()#+-.!<>|~$\"'"
_ESCAPE_RE = re.compile(r"\\([" + re.escape(_ESCAPABLE) + r"])")
# Escaped characters hide in the Private Use Area while markup is parsed.
_PUA = 0xE000
_RESTORE = {chr(_PUA + i): c for i, c in enumerate(_ESCAPABLE)}
_RESTORE_RE = re.compile("[" + "".join(_RESTORE) + "]")
_CODE_RE = re.compile(r"(`+)(.+?)\1")
_EMPHASIS_RES = [
    re.compile(r"(\*\*\*|___)(?=\S)(.+?)(?<=\S)\1"),
    re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"),
    re.compile(r"(?<![\w*])(\*)(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])"),
    re.compile(r"(?<![\w*])(\*)(?=\S)([^*]+?)(?<=\S)\*"),
    re.compile(r"(?<!\w)(_)(?=\S)(.+?)(?<=\S)_(?!\w)"),
    re.compile(r"(~~)(?=\S)(.+?)(?<=\S)~~"),
]
_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK_RE = re.compile(
    r"\[((?:[^\[\]]|\[[^\]]*\])*)\]"
    r"(?:\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^)]*)?\s*\)|\[([^\]]*)\])"
)
_AUTOLINK_RE = re.compile(r"<((?:https?://|mailto:)[^>\s]+)>")
_TAG_RE = re.compile(r"</?[A-Za-z][^>]*>")
_REAL_URL_RE = re.compile(r"^(?:https?://\S+|mailto:\S+@\S+)$", re.IGNORECASE)
_NAME_RE = re.compile(
    r"^(?:By\s+)?([A-Z][a-zà-ÿ'’-]+(?:\s+(?:[A-Z]\.|[A-Z][a-zà-ÿ'’-]+)){1,3})\s*,"
)
_ROLE_RE = re.compile(
    r"@|\b(?:Analyst|Specialist|Professor|Editor|Reporter|Correspondent|Director|"
    r"Fellow|Researcher|Author|Writer|Lecturer|Associate)\b"
)


def parse_markdown(text: str) -> tuple[list[RawBlock], dict]:
    """Blocks of a Markdown document and the metadata found in its front matter."""
    lines = text.split("\n")
    refs = {}
    for line in lines:
        match = _REF_DEF_RE.match(line)
        if match:
            refs[match.group(1).lower()] = match.group(2)
    sources = list(_block_sources(lines))
    blocks = [_inline(kind, source, level, refs) for kind, source, level in sources]
    blocks = [b for b in blocks if b.text]
    return blocks, _front_matter(blocks)


def _block_sources(lines: list[str]):
    """Yield (kind, raw inline source, level) for each block, in order."""
    paragraph: list[str] = []
    kind = "paragraph"
    fence = None

    def flush():
        nonlocal paragraph, kind
        if paragraph:
            yield kind, "\n".join(paragraph), 0
        paragraph, kind = [], "paragraph"

    for line in lines:
        if fence is not None:
            if line.lstrip().startswith(fence):
                fence = None
                yield from flush()
            elif line.strip():
                paragraph.append(line)
            continue
        fence_match = _FENCE_RE.match(line)
        if fence_match:
            yield from flush()
            fence = fence_match.group(1)
            continue
        if not line.strip() or _REF_DEF_RE.match(line):
            yield from flush()
            continue
        if _QUOTE_RE.match(line):
            line = _QUOTE_RE.sub("", line)
        setext = _SETEXT_RE.match(line)
        if setext and paragraph and kind == "paragraph":
            level = 1 if setext.group(1)[0] == "=" else 2
            yield "heading", "\n".join(paragraph), level
            paragraph = []
            continue
        if _RULE_RE.match(line):
            yield from flush()
            continue
        atx = _ATX_RE.match(line)
        if atx:
            yield from flush()
            yield "heading", atx.group(2) or "", len(atx.group(1))
            continue
        item = _ITEM_RE.match(line)
        if item:
            yield from flush()
            kind = "list_item"
            paragraph = [item.group(2)]
            continue
        paragraph.append(line)
    yield from flush()


def _inline(kind: str, source: str, level: int, refs: dict[str, str]) -> RawBlock:
    """Strip inline markup; keep link texts and real link targets."""
    source = _ESCAPE_RE.sub(lambda m: chr(_PUA + _ESCAPABLE.index(m.group(1))), source)
    source = _CODE_RE.sub(lambda m: m.group(2).strip(), source)
    source = _IMAGE_RE.sub(lambda m: m.group(1), source)
    source = _AUTOLINK_RE.sub(lambda m: f"[{m.group(1)}]({m.group(1)})", source)
    source = _TAG_RE.sub("", source)
    for pattern in _EMPHASIS_RES:
        if "*" in source or "_" in source or "~" in source:
            source = pattern.sub(lambda m: m.group(2), source)
    segments: list[tuple[str, str | None]] = []
    pos = 0
    for match in _LINK_RE.finditer(source):
        label, url, ref = match.group(1), match.group(2), match.group(3)
        if url is None:
            url = refs.get((ref or label).lower())
            if url is None:
                continue
        segments.append((_restore(source[pos : match.start()]), None))
        url = _restore(url)
        segments.append((_restore(label), url if _REAL_URL_RE.match(url) else None))
        pos = match.end()
    segments.append((_restore(source[pos:]), None))
    block = join_segments(segments)
    block.kind, block.level = kind, level
    return block


def _restore(text: str) -> str:
    return _RESTORE_RE.sub(lambda m: _RESTORE[m.group()], text)


def _front_matter(blocks: list[RawBlock]) -> dict:
    """Title, authors and date from the blocks before the body starts."""
    meta: dict = {"title": "", "authors": [], "published_date": None}
    title_index = None
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            title_index = index
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            # A short heading over a title-like line names a series ("CRS
            # Insights"); the line under it is the real title.
            if (
                following is not None
                and len(block.text.split()) <= 4
                and following.kind == "paragraph"
                and len(following.text.split()) <= 20
                and not ends_sentence(following.text)
                and following.text[0].isupper()
            ):
                following.kind, following.level = "heading", block.level
                title_index = index + 1
            break
        if index >= 2:
            break
    if title_index is None and blocks and _is_title_line(blocks[0].text):
        blocks[0].kind, blocks[0].level = "heading", 1
        title_index = 0
    if title_index is None:
        return meta
    meta["title"] = blocks[title_index].text
    for block in blocks[title_index + 1 : title_index + 6]:
        if block.kind == "heading" or len(block.text.split()) > 40:
            break
        name = _NAME_RE.match(block.text)
        if name and (_ROLE_RE.search(block.text) or block.text.startswith("By ")):
            meta["authors"].append(name.group(1))
            continue
        date = find_date(block.text)
        if date and meta["published_date"] is None:
            meta["published_date"] = date
    return meta


def _is_title_line(text: str) -> bool:
    return len(text.split()) <= 20 and not ends_sentence(text) and text[:1].isupper()
