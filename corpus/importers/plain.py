"""Plain text: one paragraph per line or blank-line paragraphs; page boilerplate."""

from __future__ import annotations

import re

from corpus.importers.assemble import RawBlock, clean_inline
from corpus.importers.textutil import ends_sentence

_BULLET_RE = re.compile(r"^\s*[•·▪‣◦●○■□*-]\s+")
# Lines that web pages add around an article rather than the article itself.
_BOILERPLATE_RE = re.compile(
    r"\b(?:subscribe|subscription|sign up|log ?in|newsletter|free article|paywall|"
    r"unlimited access|more by|read more|related articles?|follow us|share this|"
    r"all rights reserved|copyright|cookies?|advertisement|print edition|"
    r"download the app)\b|©",
    re.IGNORECASE,
)
# An author bio: "ROBERT C. BONNER is …", "The author is …", "Jane Doe is a …".
_BIO_RE = re.compile(
    r"^(?:[A-Z][A-Z.'’ -]{3,}\s(?:is|are)\b|The authors? (?:is|are)\b"
    r"|[A-Z][a-z]+ [A-Z][a-z]+ is an?\b)"
)
_SHORT_WORDS = 15
# Each is offered for removal on the review page, one checkbox per block.
MAX_BOILERPLATE_BLOCKS = 40
# Wrapped paragraphs have lines of a fixed width; one-per-line files do not.
_MAX_WRAP_WIDTH = 100


def parse_plain(text: str) -> tuple[list[RawBlock], list[int]]:
    """Blocks of a plain text and the indices of trailing boilerplate blocks."""
    lines = text.strip("\n").split("\n")
    width = _wrap_width(lines)
    blocks: list[RawBlock] = []
    current: list[str] = []
    kind = "paragraph"

    def flush():
        nonlocal current, kind
        if current:
            blocks.append(RawBlock(kind, clean_inline(" ".join(current))))
        current, kind = [], "paragraph"

    for line in lines:
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        bullet = _BULLET_RE.match(line)
        if bullet:
            flush()
            kind = "list_item"
            current = [line[bullet.end() :]]
            continue
        if current and _continues(current[-1], line, kind, width):
            current.append(stripped)
            continue
        flush()
        current = [stripped]
    flush()
    blocks = [b for b in blocks if b.text]
    return blocks, trailing_boilerplate(blocks)


def _wrap_width(lines: list[str]) -> int:
    """The width lines are wrapped at, or 0 if paragraphs are not wrapped."""
    if not any(not line.strip() for line in lines):
        return 0
    inner = [
        len(line.strip())
        for line, following in zip(lines, lines[1:], strict=False)
        if line.strip() and following.strip()
    ]
    if not inner:
        return 0
    inner.sort()
    width = inner[int(len(inner) * 0.9)]
    return width if width <= _MAX_WRAP_WIDTH else 0


def _continues(previous: str, line: str, kind: str, width: int) -> bool:
    """True if `line` is a soft-wrapped continuation of the line before it."""
    if not width:
        return False
    if kind == "list_item":
        # A wrapped bullet continues on an indented line.
        return line[:1].isspace()
    return len(previous.strip()) >= width * 0.5


def trailing_boilerplate(blocks: list[RawBlock]) -> list[int]:
    """Indices of the run of boilerplate-looking blocks that ends the text.

    A run longer than MAX_BOILERPLATE_BLOCKS is the text itself (a list of
    short lines), not what a web page adds after an article: nothing is offered.
    """
    found: list[int] = []
    for index in range(len(blocks) - 1, 0, -1):
        if not _is_boilerplate(blocks[index]):
            break
        if len(found) == MAX_BOILERPLATE_BLOCKS:
            return []
        found.append(index)
    return sorted(found)


def _is_boilerplate(block: RawBlock) -> bool:
    text = block.text
    if _BOILERPLATE_RE.search(text) and len(text.split()) <= 40:
        return True
    if _BIO_RE.match(text):
        return True
    short = len(text.split()) <= _SHORT_WORDS and not ends_sentence(text)
    return short and (block.kind == "list_item" or len(text.split()) <= 4)
