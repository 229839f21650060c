from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.segments import segment_blocks


@st.composite
def layouts(draw):
    """Small blocks with gaps between them, spans and cuts over and around them."""
    pieces = draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 8)), max_size=6))
    blocks = []
    position = 0
    for gap, length in pieces:
        position += gap
        blocks.append((position, position + length))
        position += length
    limit = position + 3
    ranges = draw(
        st.lists(st.tuples(st.integers(0, limit), st.integers(1, 8)), max_size=10)
    )
    # Keys are mostly distinct (annotation ids), but a few shared keys check that
    # spans with one key behave as their union.
    key_range = draw(st.sampled_from([(-50, 50), (0, 2)]))
    keys = draw(
        st.lists(st.integers(*key_range), min_size=len(ranges), max_size=len(ranges))
    )
    spans = [
        (start, start + length, key)
        for (start, length), key in zip(ranges, keys, strict=True)
    ]
    cuts = draw(st.lists(st.integers(0, limit), max_size=5))
    return blocks, spans, cuts


def covering_keys(spans, position):
    return tuple(sorted({key for start, end, key in spans if start <= position < end}))


@settings(max_examples=300)
@given(layouts())
def test_segments_tile_each_block_exactly(layout):
    blocks, spans, cuts = layout

    result = segment_blocks(blocks, spans, cuts)

    assert len(result) == len(blocks)
    for (block_start, block_end), segments in zip(blocks, result, strict=True):
        if block_start == block_end:
            assert segments == []
            continue
        assert segments[0][0] == block_start
        assert segments[-1][1] == block_end
        for (_, end, _), (next_start, _, _) in pairwise(segments):
            assert end == next_start
        assert all(start < end for start, end, _ in segments)


@settings(max_examples=300)
@given(layouts())
def test_segment_keys_are_the_spans_covering_every_position(layout):
    blocks, spans, cuts = layout

    result = segment_blocks(blocks, spans, cuts)

    for segments in result:
        for start, end, keys in segments:
            for position in range(start, end):
                assert keys == covering_keys(spans, position)


@settings(max_examples=300)
@given(layouts())
def test_segments_break_only_where_coverage_changes_or_at_a_cut(layout):
    blocks, spans, cuts = layout

    result = segment_blocks(blocks, spans, cuts)

    for (block_start, block_end), segments in zip(blocks, result, strict=True):
        boundaries = {end for _, end, _ in segments[:-1]}
        for (_, end, keys), (_, _, next_keys) in pairwise(segments):
            assert keys != next_keys or end in cuts
        inner_cuts = {cut for cut in cuts if block_start < cut < block_end}
        assert inner_cuts <= boundaries


@settings(max_examples=300)
@given(layouts())
def test_spans_of_a_key_are_covered_exactly_by_the_segments_carrying_it(layout):
    blocks, spans, cuts = layout

    result = segment_blocks(blocks, spans, cuts)

    in_blocks = {p for start, end in blocks for p in range(start, end)}
    for key in {key for _, _, key in spans}:
        carried = {
            position
            for segments in result
            for start, end, keys in segments
            if key in keys
            for position in range(start, end)
        }
        spanned = {
            position
            for start, end, span_key in spans
            if span_key == key
            for position in range(start, end)
        }
        assert carried == spanned & in_blocks


def test_nested_and_overlapping_spans_split_at_every_change():
    # text:   0123456789
    # span 1:  [-----)        1..7
    # span 2:    [-)          3..5
    # span 3:      [----)     5..10
    spans = [(5, 10, 3), (1, 7, 1), (3, 5, 2)]

    assert segment_blocks([(0, 10)], spans) == [
        [
            (0, 1, ()),
            (1, 3, (1,)),
            (3, 5, (1, 2)),
            (5, 7, (1, 3)),
            (7, 10, (3,)),
        ]
    ]


def test_span_crossing_the_gap_between_blocks_is_clipped_to_each_block():
    # Two paragraphs "abcd\n\nefgh": the span covers "cd\n\nef".
    blocks = [(0, 4), (6, 10)]

    assert segment_blocks(blocks, [(2, 8, 7)]) == [
        [(0, 2, ()), (2, 4, (7,))],
        [(6, 8, (7,)), (8, 10, ())],
    ]


def test_span_outside_every_block_leaves_blocks_uncovered():
    assert segment_blocks([(0, 4), (6, 10)], [(4, 6, 1), (12, 20, 2)]) == [
        [(0, 4, ())],
        [(6, 10, ())],
    ]


def test_cut_splits_a_segment_even_when_keys_stay_the_same():
    assert segment_blocks([(0, 10)], [(0, 10, 1)], cuts=[4, 4, 7]) == [
        [(0, 4, (1,)), (4, 7, (1,)), (7, 10, (1,))]
    ]


def test_cuts_on_block_edges_or_outside_blocks_add_no_segments():
    assert segment_blocks([(2, 6)], [], cuts=[0, 2, 6, 9]) == [[(2, 6, ())]]


def test_empty_block_has_no_segments_and_keeps_coverage_for_the_next():
    assert segment_blocks([(0, 2), (2, 2), (2, 5)], [(1, 4, 9)]) == [
        [(0, 1, ()), (1, 2, (9,))],
        [],
        [(2, 4, (9,)), (4, 5, ())],
    ]


def test_adjacent_blocks_restart_segments_at_the_shared_boundary():
    assert segment_blocks([(0, 3), (3, 6)], [(0, 6, 1)]) == [
        [(0, 3, (1,))],
        [(3, 6, (1,))],
    ]


def test_spans_sharing_a_key_list_it_once_and_touching_ones_merge():
    spans = [(0, 4, 5), (2, 6, 5), (6, 8, 5)]

    assert segment_blocks([(0, 10)], spans) == [[(0, 8, (5,)), (8, 10, ())]]


def test_keys_are_sorted_whatever_the_span_order():
    spans = [(0, 4, 30), (0, 4, -2), (0, 4, 11)]

    assert segment_blocks([(0, 4)], spans) == [[(0, 4, (-2, 11, 30))]]


def test_accepts_spans_and_cuts_as_one_shot_iterators():
    spans = iter([(1, 3, 1)])
    cuts = (position for position in [2])

    assert segment_blocks([(0, 4)], spans, cuts) == [
        [(0, 1, ()), (1, 2, (1,)), (2, 3, (1,)), (3, 4, ())]
    ]


@pytest.mark.parametrize("span", [(3, 3, 1), (4, 2, 1)])
def test_rejects_empty_or_reversed_span(span):
    with pytest.raises(ValueError, match="empty or reversed"):
        segment_blocks([(0, 10)], [span])


@pytest.mark.parametrize(
    "blocks", [[(5, 8), (0, 3)], [(0, 5), (4, 8)], [(4, 2)]], ids=str
)
def test_rejects_unsorted_overlapping_or_reversed_blocks(blocks):
    with pytest.raises(ValueError, match="block"):
        segment_blocks(blocks, [])
