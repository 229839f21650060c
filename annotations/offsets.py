"""Convert browser selection offsets (UTF-16 code units) to code-point offsets.

The DOM counts text in UTF-16 code units, so every character outside the Basic
Multilingual Plane (emoji, 𝔸, 𠀀) counts twice there and once in a Python str.
Pure: no Django imports, so it can be tested and benchmarked alone.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from operator import itemgetter

_UTF16 = "utf-16-le"
_block_start = itemgetter(0)


def utf16_to_codepoints(text: str, utf16_offset: int) -> int:
    """Return the code-point index in `text` at `utf16_offset` code units.

    Raise ValueError if the offset is negative, beyond the text, or between
    the two halves of a surrogate pair.
    """
    return _codepoints_at(text, 0, len(text), utf16_offset)


def codepoints_to_utf16(text: str, index: int) -> int:
    """Return the UTF-16 code-unit offset of code-point `index` in `text`."""
    if not 0 <= index <= len(text):
        raise ValueError(
            f"code-point index {index} is outside the text (length {len(text)})"
        )
    prefix = text[:index]
    if prefix.isascii():  # the common case needs no encoding
        return index
    return len(prefix.encode(_UTF16)) // 2


def resolve_selection(
    document_text: str,
    blocks: Sequence[tuple[int, int]],
    start_block: int,
    start_utf16: int,
    end_block: int,
    end_utf16: int,
) -> tuple[int, int]:
    """Return the (start, end) code-point range of a browser selection.

    `start_block` and `end_block` are the document offsets at which the
    selection's blocks start (their `data-start`); `start_utf16` and
    `end_utf16` count UTF-16 code units into those blocks' text. `blocks`
    are sorted, non-overlapping (start, end) ranges of `document_text`.
    """
    start = _resolve_offset(document_text, blocks, start_block, start_utf16)
    end = _resolve_offset(document_text, blocks, end_block, end_utf16)
    if start >= end:
        raise ValueError(
            f"selection is empty or reversed: it resolves to start {start}, end {end}"
        )
    return start, end


def context(text: str, start: int, end: int, size: int = 32) -> tuple[str, str]:
    """Return up to `size` code points before `start` and after `end`."""
    if not 0 <= start <= end <= len(text):
        raise ValueError(
            f"range ({start}, {end}) is outside the text (length {len(text)})"
        )
    if size < 0:
        raise ValueError(f"context size must not be negative, got {size}")
    return text[max(0, start - size) : start], text[end : end + size]


def _codepoints_at(text: str, start: int, end: int, utf16_offset: int) -> int:
    """Convert a UTF-16 offset into text[start:end] to a code-point offset."""
    if utf16_offset < 0:
        raise ValueError(f"UTF-16 offset {utf16_offset} is outside the text")
    # A code point takes at least one code unit, so the first `utf16_offset`
    # code points hold the offset: only they need encoding.
    head = text[start : min(end, start + utf16_offset)].encode(_UTF16)
    byte_offset = 2 * utf16_offset
    if len(head) < byte_offset:
        raise ValueError(
            f"UTF-16 offset {utf16_offset} is outside the text "
            f"(length {len(head) // 2} code units)"
        )
    # Little-endian: the unit before the offset has its high byte at
    # byte_offset - 1, and 0xD8-0xDB there marks a leading surrogate.
    if utf16_offset and 0xD8 <= head[byte_offset - 1] <= 0xDB:
        raise ValueError(
            f"UTF-16 offset {utf16_offset} falls inside a surrogate pair "
            "(between the two halves of one character)"
        )
    return len(head[:byte_offset].decode(_UTF16))


def _resolve_offset(
    document_text: str,
    blocks: Sequence[tuple[int, int]],
    block_start: int,
    utf16_offset: int,
) -> int:
    # bisect_right - 1 picks the last block starting there, so an empty block
    # sharing its start with the next one does not hide that one.
    index = bisect_right(blocks, block_start, key=_block_start) - 1
    if index < 0 or blocks[index][0] != block_start:
        raise ValueError(f"no block starts at offset {block_start}")
    start, end = blocks[index]
    if end > len(document_text):
        raise ValueError(
            f"block ({start}, {end}) runs past the end of the text "
            f"(length {len(document_text)})"
        )
    try:
        return start + _codepoints_at(document_text, start, end, utf16_offset)
    except ValueError as error:
        raise ValueError(f"in the block starting at {start}: {error}") from None
