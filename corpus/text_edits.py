"""Editing a document's text a block at a time: a block corrected, split,
merged with the next, deleted, or a new one inserted. Each gives the whole new
text with its blocks, laid out as the importers lay them out (blocks joined
by a blank line, each block's text on one line), for a text revision to store
(annotations.services.text).

Pure: no Django. Offsets are code points.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from corpus.importers.assemble import clean_inline

SEPARATOR = "\n\n"
# The kinds a block may be, and the levels a heading may have.
KINDS = ("heading", "paragraph", "list_item")
HEADING_LEVELS = range(1, 7)
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


class EditRefused(ValueError):
    """The edit cannot be made; the message says why, for its reader."""


@dataclass(frozen=True)
class Edited:
    text: str
    blocks: list[dict]


def pieces(content: str) -> list[str]:
    """What a person typed into a block, as the texts of the blocks it makes: a
    blank line starts another block; whitespace runs become one space."""
    content = unicodedata.normalize("NFC", content.replace("\r\n", "\n"))
    found = (clean_inline(part) for part in _BLANK_LINE.split(content))
    return [part for part in found if part]


def _block(kind: str, level: int, start: int, text: str) -> dict:
    return {"kind": kind, "start": start, "end": start + len(text), "level": level}


def _replaced(text: str, blocks: list[dict], first: int, last: int, new: list[dict]):
    """blocks[first:last] replaced by `new` ({"kind", "level", "text"}), the
    text between the blocks kept as it is."""
    if not 0 <= first <= last <= len(blocks) or (first == last and not new):
        raise EditRefused("There is no such block.")
    added = SEPARATOR.join(block["text"] for block in new)
    if first < last:
        start, end = blocks[first]["start"], blocks[last - 1]["end"]
        if not new:  # the blocks and one separator beside them go
            if last < len(blocks):
                end = blocks[last]["start"]
            elif first > 0:
                start = blocks[first - 1]["end"]
            else:
                raise EditRefused("A document keeps at least one block.")
    elif first < len(blocks):  # inserted before blocks[first]
        start = end = blocks[first]["start"]
        added += SEPARATOR
    else:  # inserted at the end
        start = end = blocks[-1]["end"] if blocks else len(text)
        added = (SEPARATOR if blocks else "") + added
    shift = len(added) - (end - start)
    made, at = (
        [],
        start + (len(SEPARATOR) if first == last == len(blocks) and blocks else 0),
    )
    for block in new:
        made.append(_block(block["kind"], block["level"], at, block["text"]))
        at += len(block["text"]) + len(SEPARATOR)
    moved = [
        {**block, "start": block["start"] + shift, "end": block["end"] + shift}
        for block in blocks[last:]
    ]
    return Edited(text[:start] + added + text[end:], [*blocks[:first], *made, *moved])


def _level(block: dict) -> int:
    """A block's level (a block made elsewhere may not say: a heading is 1)."""
    return block.get("level") or (1 if block.get("kind") == "heading" else 0)


def _kind(kind: str, level: int | None) -> tuple[str, int]:
    """The kind and level a block gets; a heading not given a level (a
    paragraph made a heading, a new heading) is of level 1."""
    if kind not in KINDS:
        raise EditRefused("A block is a heading, a paragraph or a list item.")
    if kind == "heading":
        level = level or 1
        if level not in HEADING_LEVELS:
            raise EditRefused("A heading's level is 1 to 6.")
        return kind, level
    return kind, 0


def edit_block(
    text: str,
    blocks: list[dict],
    index: int,
    content: str,
    *,
    kind: str | None = None,
    level: int | None = None,
) -> Edited:
    """Block `index` with `content` (a blank line in it splits the block: the
    pieces after the first become blocks of the same kind), and perhaps
    another kind or level."""
    if not 0 <= index < len(blocks):
        raise EditRefused("There is no such block.")
    parts = pieces(content)
    if not parts:
        raise EditRefused("A block needs text; to remove it, delete it.")
    old = blocks[index]
    kind, level = _kind(kind or old["kind"], _level(old) if level is None else level)
    new = [{"kind": kind, "level": level, "text": part} for part in parts]
    return _replaced(text, blocks, index, index + 1, new)


def merge_with_next(text: str, blocks: list[dict], index: int) -> Edited:
    """Block `index` and the next as one block of the first's kind, joined by a
    space (a paragraph a page break cut in two)."""
    if not 0 <= index < len(blocks) - 1:
        raise EditRefused("This block has no next block to merge with.")
    first, second = blocks[index], blocks[index + 1]
    joined = (
        text[first["start"] : first["end"]].rstrip()
        + " "
        + text[second["start"] : second["end"]].lstrip()
    )
    new = [{"kind": first["kind"], "level": _level(first), "text": joined}]
    return _replaced(text, blocks, index, index + 2, new)


def delete_block(text: str, blocks: list[dict], index: int) -> Edited:
    if not 0 <= index < len(blocks):
        raise EditRefused("There is no such block.")
    return _replaced(text, blocks, index, index + 1, [])


def insert_block(
    text: str,
    blocks: list[dict],
    index: int,
    content: str,
    *,
    kind: str = "paragraph",
    level: int | None = None,
) -> Edited:
    """New blocks from `content` before block `index` (len(blocks): at the end)."""
    parts = pieces(content)
    if not parts:
        raise EditRefused("A new block needs text.")
    kind, level = _kind(kind, level)
    new = [{"kind": kind, "level": level, "text": part} for part in parts]
    return _replaced(text, blocks, index, index, new)
