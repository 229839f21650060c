"""Split a document's blocks into segments of uniform annotation coverage.

The renderer wraps each segment in one element whose nesting depth is the
number of keys covering it, so overlapping and nested annotations never need
overlapping tags. Pure: no Django imports, so it can be tested and benchmarked
alone.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from operator import itemgetter

Segment = tuple[int, int, tuple[int, ...]]
Span = tuple[int, int, int]

_first = itemgetter(0)
_second = itemgetter(1)
_third = itemgetter(2)


def segment_blocks(
    blocks: Sequence[tuple[int, int]],
    spans: Iterable[Span],
    cuts: Iterable[int] = (),
) -> list[list[Segment]]:
    """Tile each block with (start, end, keys) segments of constant coverage.

    `blocks` are sorted, disjoint (start, end) ranges. `spans` are
    (start, end, key) ranges in any order that may overlap, nest or cross
    blocks; each block sees them clipped to itself. `keys` is the sorted tuple
    of distinct keys covering the segment. A segment ends where that set
    changes, at a cut, or at the block's end; an empty block has no segments.
    Runs in O((B + N + C) log(N + C)) plus the size of the output.
    """
    blocks = list(blocks)
    previous_end = None
    for block_start, block_end in blocks:
        if block_start > block_end:
            raise ValueError(
                f"block ({block_start}, {block_end}) ends before it starts"
            )
        if previous_end is not None and block_start < previous_end:
            raise ValueError(
                f"block ({block_start}, {block_end}) starts before the previous "
                f"block ends ({previous_end}); blocks must be sorted and disjoint"
            )
        previous_end = block_end
    # Block edges join the sweep as boundaries, so one pass segments the whole
    # text and each block is a slice of it.
    boundaries = {*cuts, *map(_first, blocks), *map(_second, blocks)}
    positions, key_sets = _coverage_changes(spans, boundaries)
    # The last position ends nothing: zip stops before it.
    segments = list(zip(positions, positions[1:], key_sets, strict=False))
    result: list[list[Segment]] = []
    for block_start, block_end in blocks:
        first = bisect_left(positions, block_start)
        result.append(segments[first : bisect_left(positions, block_end, first)])
    return result


def _coverage_changes(
    spans: Iterable[Span], boundaries: Iterable[int]
) -> tuple[list[int], list[tuple[int, ...]]]:
    """Sweep the spans' starts and ends, plus `boundaries`, in text order.

    Return every position where the covering set changes or a boundary falls,
    and the sorted keys covering the text from each position to the next.
    """
    spans = _merge_spans_sharing_a_key(spans)
    starts = sorted(spans, key=_first)
    ends = sorted(spans, key=_second)
    start_positions = list(map(_first, starts))
    start_keys = list(map(_third, starts))
    end_positions = list(map(_second, ends))
    end_keys = list(map(_third, ends))
    boundary_positions = sorted(boundaries)
    # Sentinels past every position spare the loop its bounds checks.
    past_the_end = max(end_positions[-1:] + boundary_positions[-1:], default=0) + 1
    start_positions.append(past_the_end)
    end_positions.append(past_the_end)
    boundary_positions.append(past_the_end)

    positions: list[int] = []
    key_sets: list[tuple[int, ...]] = []
    add_position = positions.append
    add_keys = key_sets.append
    active: list[int] = []  # keys covering the current position, sorted
    start_index = end_index = boundary_index = 0
    next_start = start_positions[0]
    next_end = end_positions[0]
    next_boundary = boundary_positions[0]
    while next_end < past_the_end:
        position = next_start if next_start < next_end else next_end
        while next_boundary < position:
            add_position(next_boundary)
            add_keys(tuple(active))
            boundary_index += 1
            next_boundary = boundary_positions[boundary_index]
        if next_boundary == position:
            boundary_index += 1
            next_boundary = boundary_positions[boundary_index]
        while next_start == position:
            insort(active, start_keys[start_index])
            start_index += 1
            next_start = start_positions[start_index]
        while next_end == position:
            del active[bisect_left(active, end_keys[end_index])]
            end_index += 1
            next_end = end_positions[end_index]
        # Spans sharing a key were merged, so every start or end changes the set.
        add_position(position)
        add_keys(tuple(active))
    remaining = boundary_positions[boundary_index:-1]
    positions += remaining
    key_sets += [()] * len(remaining)
    return positions, key_sets


def _merge_spans_sharing_a_key(spans: Iterable[Span]) -> list[Span]:
    """Check the spans, and replace those sharing a key that overlap or touch
    with their union.

    Afterwards a key never covers a position twice, nor ends where it starts
    again, which keeps the sweep free of per-key counts.
    """
    spans = list(spans)
    for start, end, key in spans:
        if start >= end:
            raise ValueError(f"span ({start}, {end}, {key}) is empty or reversed")
    if len(set(map(_third, spans))) == len(spans):
        return spans  # the usual case: one span per annotation

    by_key: dict[int, list[Span]] = {}
    for span in spans:
        by_key.setdefault(span[2], []).append(span)
    merged: list[Span] = []
    for key, group in by_key.items():
        group.sort()
        union_start, union_end, _ = group[0]
        for start, end, _ in group[1:]:
            if start > union_end:
                merged.append((union_start, union_end, key))
                union_start, union_end = start, end
            else:
                union_end = max(union_end, end)
        merged.append((union_start, union_end, key))
    return merged
