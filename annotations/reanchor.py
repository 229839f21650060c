"""Carrying passages across a revision of their text: where each one is in the
new text, exactly when it can be, approximately when an edit took one of its
edges away, and plainly nowhere (an orphan) otherwise. Never on wrong text.

Pure: no Django. Offsets are code points, as everywhere in the app.

1. The two texts' differences (`diff`) are found as replaced ranges: what the
   two have in common at each end is set aside, the rest compared line by
   line, and the lines that differ character by character (word by word
   first when they are long).
2. Each passage's edges are mapped through them (`carry`). An edge on an
   unchanged character moves by what was inserted and deleted before it. Text
   inserted exactly at an edge stays outside the passage, so a passage no
   edit touched keeps exactly its text (MOVED).
3. A passage with an edit inside it keeps the edited passage; its quote is
   the new text between its edges (EDITED), as long as that text is still
   like the old (EDITED_MIN); a passage rewritten is looked for as in 4.
4. When an edge falls inside replaced or deleted text, the quote is looked for
   near where it was, and accepted only when the quote and its context
   (prefix and suffix) agree with what was stored well enough (FOUND):
   QUOTE_MIN for the quote alone, CONTEXT_MIN for the three together, each
   counted by its length.
5. Otherwise the passage is an ORPHAN: no place is given, and nothing is
   dropped (one outcome for every passage, in order).
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz

# A passage found approximately: how alike (0-100, rapidfuzz's normalised
# Indel similarity) its quote must be to the stored one, and the quote with its
# prefix and suffix together, each weighed by its length.
QUOTE_MIN = 90.0
CONTEXT_MIN = 85.0
# An edited passage keeps its place only while its new text is this much like
# its old: a third (a word corrected or replaced, not a sentence rewritten
# around it; "jumps" to "leaps" is 40, "brown" to "red" 25).
EDITED_MIN = 34.0
# How far from where it was (in code points, beyond the quote's own length on
# each side) a quote is looked for.
SEARCH_REACH = 1_000
# How far a place found by likeness may move to begin and end on words.
WORD_SNAP = 3
# Line runs that differ are compared character by character up to this
# product of their lengths; beyond it they count as one replacement (the
# passages inside are then looked for as in 4).
CHARACTER_DIFF_LIMIT = 10_000_000


@dataclass(frozen=True)
class Change:
    """old[start:end] became new[new_start:new_end] (one of them may be empty)."""

    start: int
    end: int
    new_start: int
    new_end: int


class Fate(StrEnum):
    MOVED = "moved"  # the same text, perhaps elsewhere
    EDITED = "edited"  # its own text was edited; the quote follows
    FOUND = "found"  # an edge was edited away; found again near it
    ORPHAN = "orphan"  # nowhere it can be shown without doubt


@dataclass(frozen=True)
class Passage:
    """A passage of the old text, with the context stored beside it."""

    start: int
    end: int
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Outcome:
    fate: Fate
    start: int | None = None
    end: int | None = None
    quote: str = ""  # the new text between start and end
    score: float = 100.0  # how alike, for FOUND: quote and context together


def _common_prefix(a: str, b: str) -> int:
    """How many characters `a` and `b` begin with alike (halving: each
    comparison a slice compare, not a loop over characters)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    low, high = 0, min(len(a), len(b), limit)
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle : len(a) - low] == b[len(b) - middle : len(b) - low]:
            low = middle
        else:
            high = middle - 1
    return low


def _pieces(a: str, b: str, at: int, new_at: int) -> list[Change]:
    """The differences of two runs of lines that differ: what they share at
    each end set aside, the rest by characters, or, when that is too long to
    compare so, by words and then characters."""
    head = _common_prefix(a, b)
    tail = _common_suffix(a, b, min(len(a), len(b)) - head)
    a, b = a[head : len(a) - tail], b[head : len(b) - tail]
    at, new_at = at + head, new_at + head
    if not a or not b:
        return [Change(at, at + len(a), new_at, new_at + len(b))]
    if len(a) * len(b) <= CHARACTER_DIFF_LIMIT:
        return _opcodes(a, b, at, new_at)
    words_a, words_b = _WORDS.findall(a), _WORDS.findall(b)
    if len(words_a) * len(words_b) > CHARACTER_DIFF_LIMIT:
        return [Change(at, at + len(a), new_at, new_at + len(b))]
    starts_a = _starts(words_a, 0)
    starts_b = _starts(words_b, 0)
    changes = []
    matcher = difflib.SequenceMatcher(None, words_a, words_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        w, x, y, z = starts_a[i1], starts_a[i2], starts_b[j1], starts_b[j2]
        if tag == "replace" and (x - w) * (z - y) <= CHARACTER_DIFF_LIMIT:
            changes.extend(_opcodes(a[w:x], b[y:z], at + w, new_at + y))
        else:
            changes.append(Change(at + w, at + x, new_at + y, new_at + z))
    return changes


# Words and the spaces between them, each a piece of its own.
_WORDS = re.compile(r"\s+|\S+")


def _opcodes(a: str, b: str, at: int, new_at: int) -> list[Change]:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [
        Change(at + i1, at + i2, new_at + j1, new_at + j2)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def diff(old: str, new: str) -> list[Change]:
    """The differences that make `new` of `old`, in order, none touching the
    next."""
    head = _common_prefix(old, new)
    tail = _common_suffix(old, new, min(len(old), len(new)) - head)
    middle_old = old[head : len(old) - tail]
    middle_new = new[head : len(new) - tail]
    if not middle_old or not middle_new:
        if middle_old == middle_new:
            return []
        return [Change(head, head + len(middle_old), head, head + len(middle_new))]
    lines_old = middle_old.splitlines(keepends=True)
    lines_new = middle_new.splitlines(keepends=True)
    starts_old = _starts(lines_old, head)
    starts_new = _starts(lines_new, head)
    changes: list[Change] = []
    matcher = difflib.SequenceMatcher(None, lines_old, lines_new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        a, b = starts_old[i1], starts_old[i2]
        c, d = starts_new[j1], starts_new[j2]
        if tag == "replace":
            changes.extend(_pieces(old[a:b], new[c:d], a, c))
        else:
            changes.append(Change(a, b, c, d))
    return _joined(changes)


def _starts(pieces: list[str], at: int) -> list[int]:
    """Where each piece begins, and where the last ends."""
    starts = [at]
    for piece in pieces:
        starts.append(starts[-1] + len(piece))
    return starts


def _joined(changes: list[Change]) -> list[Change]:
    """Changes that touch (one ends where the next begins) made one."""
    joined: list[Change] = []
    for change in changes:
        if joined and joined[-1].end == change.start:
            last = joined.pop()
            change = Change(last.start, change.end, last.new_start, change.new_end)
        joined.append(change)
    return joined


def apply(old: str, changes: list[Change], new: str) -> str:
    """`old` with the changes made, the inserted text taken from `new` (what
    diff promises: apply(old, diff(old, new), new) == new)."""
    pieces, at = [], 0
    for change in changes:
        pieces.append(old[at : change.start])
        pieces.append(new[change.new_start : change.new_end])
        at = change.end
    pieces.append(old[at:])
    return "".join(pieces)


class _Map:
    """Old offsets to new ones through a diff's changes."""

    def __init__(self, changes: list[Change]) -> None:
        self.changes = changes
        self.starts = [change.start for change in changes]

    def start(self, offset: int) -> tuple[int, bool]:
        """Where a passage starting at `offset` starts in the new text, and
        whether the start fell inside replaced text. Text inserted at the
        offset goes before the passage."""
        index = bisect.bisect_right(self.starts, offset) - 1
        if index < 0:
            return offset, False
        change = self.changes[index]
        if change.end <= offset:
            return offset + change.new_end - change.end, False
        if change.start == offset:
            return change.new_start, False  # its first characters were replaced
        return change.new_start, True

    def end(self, offset: int) -> tuple[int, bool]:
        """Where a passage ending at `offset` ends in the new text, and whether
        the end fell inside replaced text. Text inserted at the offset goes
        after the passage."""
        index = bisect.bisect_left(self.starts, offset) - 1
        if index < 0:
            return offset, False
        change = self.changes[index]
        if change.end <= offset:
            return offset + change.new_end - change.end, False
        return change.new_end, True

    def touched(self, start: int, end: int) -> bool:
        """Whether a change falls inside [start, end) (an insertion at either
        edge does not)."""
        index = bisect.bisect_left(self.starts, start)
        if index > 0 and self.changes[index - 1].end > start:
            return True
        # The first change from `start` on may be an insertion at it; then the
        # next one decides.
        for change in self.changes[index : index + 2]:
            if change.start >= end:
                return False
            if change.start > start or change.end > start:
                return True
        return False


def carry(
    old: str,
    new: str,
    passages: Iterable[Passage],
    changes: list[Change] | None = None,
) -> list[Outcome]:
    """Each passage of `old` in `new`: one outcome for each, in order
    (`changes`: diff(old, new), when the caller has it already)."""
    if changes is None:
        changes = diff(old, new)
    mapped = _Map(changes)
    outcomes = []
    for passage in passages:
        quote = old[passage.start : passage.end]
        start, start_lost = mapped.start(passage.start)
        end, end_lost = mapped.end(passage.end)
        if start_lost or end_lost or end <= start:
            outcomes.append(_relocated(new, passage, quote, start))
        elif mapped.touched(passage.start, passage.end):
            edited = new[start:end]
            # An insertion or deletion of repeated text may be told at either
            # of two places ("a" put before "a " or after its "a"): the old
            # text whole, right there, is the passage moved, not edited.
            same = _overlapping_copy(new, quote, start, end)
            if same is not None:
                outcomes.append(Outcome(Fate.MOVED, same, same + len(quote), quote))
            elif fuzz.ratio(quote, edited) >= EDITED_MIN:
                outcomes.append(Outcome(Fate.EDITED, start, end, edited))
            else:  # rewritten rather than corrected: looked for, as in 4
                outcomes.append(_relocated(new, passage, quote, start))
        else:
            outcomes.append(Outcome(Fate.MOVED, start, end, quote))
    return outcomes


def _overlapping_copy(new: str, quote: str, start: int, end: int) -> int | None:
    """Where the old quote stands whole in the new text over [start, end),
    nearest to `start` (never a copy of it elsewhere)."""
    found, at = None, max(0, start - len(quote) + 1)
    while (at := new.find(quote, at, end + len(quote) - 1)) != -1:
        if found is None or abs(at - start) < abs(found - start):
            found = at
        at += 1
    return found


def _relocated(new: str, passage: Passage, quote: str, near: int) -> Outcome:
    """The quote looked for around `near` in the new text (step 4): nearest
    first, so that of two alike copies the one where it was is taken."""
    if not quote.strip():
        return Outcome(Fate.ORPHAN)
    for reach in (2 * len(quote) + 16, SEARCH_REACH + len(quote)):
        first = max(0, near - reach)
        window = new[first : near + reach]
        if len(window) < len(quote) * QUOTE_MIN / 100:
            continue
        found = fuzz.partial_ratio_alignment(quote, window, score_cutoff=QUOTE_MIN)
        if found is None:
            continue
        start, end = _word_edges(
            new, quote, first + found.dest_start, first + found.dest_end
        )
        score = _with_context(
            new, passage, quote, start, end, fuzz.ratio(quote, new[start:end])
        )
        if score >= CONTEXT_MIN:
            return Outcome(Fate.FOUND, start, end, new[start:end], score)
    return Outcome(Fate.ORPHAN)


def _word_edges(new: str, quote: str, start: int, end: int) -> tuple[int, int]:
    """A place found by likeness, its edges moved off the middle of a word to
    the nearest word's edge within WORD_SNAP characters, when the quote's own
    edges are a word's."""

    def word_starts(at: int) -> bool:
        return new[at].isalnum() and (at == 0 or not new[at - 1].isalnum())

    def word_ends(at: int) -> bool:
        return new[at - 1].isalnum() and (at == len(new) or not new[at].isalnum())

    if quote[0].isalnum() and not word_starts(start):
        start = next(
            (at for at in range(start, min(end, start + WORD_SNAP)) if word_starts(at)),
            start,
        )
    if quote[-1].isalnum() and not word_ends(end):
        end = next(
            (at for at in range(end, max(start, end - WORD_SNAP), -1) if word_ends(at)),
            end,
        )
    return start, end


def _with_context(
    new: str, passage: Passage, quote: str, start: int, end: int, quote_score: float
) -> float:
    """The quote's likeness and its context's, each weighed by its length."""
    before = new[max(0, start - len(passage.prefix)) : start]
    after = new[end : end + len(passage.suffix)]
    parts = [
        (len(quote), quote_score),
        (len(passage.prefix), fuzz.ratio(passage.prefix, before)),
        (len(passage.suffix), fuzz.ratio(passage.suffix, after)),
    ]
    weight = sum(length for length, _score in parts)
    return sum(length * score for length, score in parts) / weight
