"""A text revision as a reader follows it: the changed places, each with some
of the text around it, what was deleted and what was inserted.

Built from what a revision stores (TextRevision.undo: the spans of the text
after it, each with the text that stood there before), so that showing
revision n costs rebuilding the one text after it, never a diff. Pure: no
Django, so it can be tested and benchmarked alone.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

# Characters of unchanged text shown on each side of a change; two changes
# closer than twice this are shown as one place.
CONTEXT = 80
# How far a cut context may move to end on a space rather than in a word.
WORD_SLACK = 16


@dataclass(frozen=True)
class Piece:
    kind: str  # "same", "del" or "ins"
    text: str

    @property
    def blank(self) -> str:
        """For a change of whitespace alone, the sign that shows it (¶ for a
        line break, ␣ for spaces), which the page draws beside it."""
        if self.kind == "same" or self.text.strip():
            return ""
        return "¶" if "\n" in self.text else "␣"


@dataclass(frozen=True)
class Hunk:
    """One place the revision changed: `pieces` in text order; `start` and
    `end`, where the changes are in the text after the revision; `shown`, the
    span of that text the pieces show (with the context); `cut_before` and
    `cut_after` say the text goes on beyond what is shown."""

    start: int
    end: int
    shown: tuple[int, int]
    pieces: tuple[Piece, ...]
    cut_before: bool
    cut_after: bool


def _word_start(text: str, at: int, floor: int) -> int | None:
    """The start of the word `at` is in (not before `floor`); None when it is
    more than WORD_SLACK characters back."""
    start = at
    while start > floor and not text[start - 1].isspace():
        start -= 1
        if at - start > WORD_SLACK:
            return None
    return start


def _word_end(text: str, at: int, ceiling: int) -> int | None:
    end = at
    while end < ceiling and not text[end].isspace():
        end += 1
        if end - at > WORD_SLACK:
            return None
    return end


def whole_words(after: str, undo: Sequence[Sequence]) -> list[tuple[int, int, str]]:
    """The changes widened to whole words, and merged where they then meet:
    "t<w→hree t>i<c→m>e<+s>" reads "<twice→three times>". A change of
    whitespace alone stays as it is (a line break inserted between words)."""
    widened: list[tuple[int, int, str]] = []
    floor = 0
    for index, (start, end, before) in enumerate(undo):
        ceiling = undo[index + 1][0] if index + 1 < len(undo) else len(after)
        if not before.strip() and not after[start:end].strip():
            widened.append((start, end, before))
            floor = end
            continue
        new_start = _word_start(after, start, floor)
        new_end = _word_end(after, end, ceiling)
        if new_start is None or new_end is None:
            # No word edge near: text without spaces (as Chinese is written)
            # is compared character by character.
            new_start, new_end = start, end
        before = after[new_start:start] + before + after[end:new_end]
        if widened and widened[-1][1] == new_start:
            # It meets the one before (the word they share): one change.
            last_start, _last_end, last_before = widened.pop()
            widened.append((last_start, new_end, last_before + before))
        else:
            widened.append((new_start, new_end, before))
        floor = new_end
    return widened


def _context_start(text: str, at: int) -> int:
    """Where the context before `at` begins: CONTEXT characters back, moved
    forward to the start of a word."""
    start = max(0, at - CONTEXT)
    if start > 0:
        space = text.find(" ", start, min(at, start + WORD_SLACK))
        if space != -1:
            start = space + 1
    return start


def _context_end(text: str, at: int) -> int:
    """Where the context after `at` ends: CONTEXT characters on, moved back
    to the end of a word."""
    end = min(len(text), at + CONTEXT)
    if end < len(text):
        space = text.rfind(" ", max(at, end - WORD_SLACK), end)
        if space != -1:
            end = space
    return end


def hunks(after: str, undo: Sequence[Sequence]) -> list[Hunk]:
    """The changed places of a revision, from the text after it and its undo
    ([[start, end, before], ...] in text order: after[start:end] was `before`)."""
    found: list[Hunk] = []
    group: list[Sequence] = []

    def close() -> None:
        first, last = group[0], group[-1]
        begin = _context_start(after, first[0])
        finish = _context_end(after, last[1])
        pieces: list[Piece] = []
        at = begin
        for start, end, before in group:
            if start > at:
                pieces.append(Piece("same", after[at:start]))
            if before:
                pieces.append(Piece("del", before))
            if end > start:
                pieces.append(Piece("ins", after[start:end]))
            at = end
        if finish > at:
            pieces.append(Piece("same", after[at:finish]))
        found.append(
            Hunk(
                start=first[0],
                end=last[1],
                shown=(begin, finish),
                pieces=tuple(pieces),
                cut_before=begin > 0,
                cut_after=finish < len(after),
            )
        )

    for change in whole_words(after, undo):
        if group and change[0] - group[-1][1] > 2 * CONTEXT:
            close()
            group = []
        group.append(change)
    if group:
        close()
    return found


def blocks_at(blocks: Sequence[dict], positions: Sequence[int]) -> list[int | None]:
    """For each position, the start of the block it falls in (or of the last
    block before it): where a page of the text is opened to show it."""
    starts = [block["start"] for block in blocks]
    found: list[int | None] = []
    for at in positions:
        index = bisect_right(starts, at) - 1
        found.append(starts[max(index, 0)] if starts else None)
    return found
