from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from annotations.offsets import (
    codepoints_to_utf16,
    context,
    resolve_selection,
    utf16_to_codepoints,
)

# Characters that trip UTF-16 arithmetic: astral (two code units each), combining
# marks and ZWJ sequences (several code points drawn as one glyph), plus plain
# ASCII and BMP letters that take one unit.
TRICKY = [
    "a",
    "é",
    "\u0301",  # combining acute accent
    "中",
    "😀",
    "𝔸",
    "𠀀",  # CJK Extension B
    "\u200d",  # zero-width joiner
    "👩\u200d💻",
    "🇫🇷",
    "\n",
]
texts = st.lists(st.sampled_from(TRICKY) | st.characters(codec="utf-8")).map("".join)


def utf16_boundaries(text):
    """UTF-16 offsets that do not split a surrogate pair, as the DOM reports them."""
    offsets = [0]
    for character in text:
        offsets.append(offsets[-1] + (2 if ord(character) > 0xFFFF else 1))
    return offsets


def utf16_length(text):
    return len(text.encode("utf-16-le")) // 2


@st.composite
def documents(draw):
    """A document of blocks separated by blank lines, as (text, blocks)."""
    block_texts = draw(st.lists(texts.filter(bool), min_size=1, max_size=5))
    blocks = []
    position = 0
    for block_text in block_texts:
        blocks.append((position, position + len(block_text)))
        position += len(block_text) + 2
    return "\n\n".join(block_texts), blocks


@settings(max_examples=200)
@given(texts, st.data())
def test_codepoint_index_round_trips_through_utf16(text, data):
    index = data.draw(st.integers(0, len(text)))

    utf16_offset = codepoints_to_utf16(text, index)

    assert utf16_offset == utf16_length(text[:index])
    assert utf16_to_codepoints(text, utf16_offset) == index


@settings(max_examples=200)
@given(texts.filter(lambda text: any(ord(c) > 0xFFFF for c in text)), st.data())
def test_utf16_offset_inside_a_surrogate_pair_is_rejected(text, data):
    astral = [i for i, c in enumerate(text) if ord(c) > 0xFFFF]
    index = data.draw(st.sampled_from(astral))
    between_halves = codepoints_to_utf16(text, index) + 1

    with pytest.raises(ValueError, match="surrogate pair"):
        utf16_to_codepoints(text, between_halves)


@settings(max_examples=200)
@given(documents(), st.data())
def test_selection_within_a_block_resolves_to_the_text_the_browser_selected(
    document, data
):
    document_text, blocks = document
    block_start, block_end = data.draw(st.sampled_from(blocks))
    block_text = document_text[block_start:block_end]
    boundaries = utf16_boundaries(block_text)
    first, last = sorted(
        data.draw(
            st.lists(st.sampled_from(boundaries), min_size=2, max_size=2, unique=True)
        )
    )
    encoded = block_text.encode("utf-16-le")
    selected = encoded[2 * first : 2 * last].decode("utf-16-le")

    start, end = resolve_selection(
        document_text, blocks, block_start, first, block_start, last
    )

    assert document_text[start:end] == selected


@settings(max_examples=200)
@given(documents(), st.data())
def test_selection_across_blocks_spans_the_text_between_them(document, data):
    document_text, blocks = document
    assume(len(blocks) >= 2)
    first_block, last_block = sorted(
        data.draw(
            st.lists(st.sampled_from(blocks), min_size=2, max_size=2, unique=True)
        )
    )
    start_index = data.draw(st.integers(0, first_block[1] - first_block[0]))
    end_index = data.draw(st.integers(0, last_block[1] - last_block[0]))
    first_text = document_text[first_block[0] : first_block[1]]
    last_text = document_text[last_block[0] : last_block[1]]

    start, end = resolve_selection(
        document_text,
        blocks,
        first_block[0],
        utf16_length(first_text[:start_index]),
        last_block[0],
        utf16_length(last_text[:end_index]),
    )

    assert (start, end) == (first_block[0] + start_index, last_block[0] + end_index)


def test_selection_after_an_emoji_counts_the_emoji_once():
    document_text = "Say 😀 hello"
    # The DOM reports "hello" at UTF-16 offsets 7..12: the emoji takes two units.
    start, end = resolve_selection(document_text, [(0, 11)], 0, 7, 0, 12)

    assert (start, end) == (6, 11)
    assert document_text[start:end] == "hello"


def test_selection_spanning_two_blocks_includes_the_gap_between_them():
    document_text = "First 𝔸 para\n\nSecond 😀 para"
    blocks = [(0, 12), (14, 27)]
    # Starts at "para" in block one (UTF-16 offset 9), ends after the emoji in
    # block two (UTF-16 offset 9: "Second " is 7 units, the emoji two more).
    start, end = resolve_selection(document_text, blocks, 0, 9, 14, 9)

    assert document_text[start:end] == "para\n\nSecond 😀"


def test_selection_in_a_later_block_offsets_by_the_block_start():
    document_text = "𠀀𠀀\n\nabc"

    assert resolve_selection(document_text, [(0, 2), (4, 7)], 4, 1, 4, 3) == (5, 7)


def test_selection_starting_inside_a_surrogate_pair_is_rejected():
    with pytest.raises(ValueError, match="surrogate pair"):
        resolve_selection("a😀b", [(0, 3)], 0, 2, 0, 4)


def test_selection_ending_past_its_block_is_rejected():
    document_text = "ab\n\ncd"

    with pytest.raises(ValueError, match="outside the text"):
        resolve_selection(document_text, [(0, 2), (4, 6)], 0, 0, 0, 3)


def test_selection_with_negative_offset_is_rejected():
    with pytest.raises(ValueError, match="outside the text"):
        resolve_selection("abc", [(0, 3)], 0, -1, 0, 2)


def test_selection_in_an_unknown_block_is_rejected():
    document_text = "ab\n\ncd"

    with pytest.raises(ValueError, match="no block starts at offset 3"):
        resolve_selection(document_text, [(0, 2), (4, 6)], 0, 0, 3, 1)


@pytest.mark.parametrize(("start_utf16", "end_utf16"), [(1, 1), (2, 1)])
def test_empty_or_reversed_selection_is_rejected(start_utf16, end_utf16):
    with pytest.raises(ValueError, match="empty or reversed"):
        resolve_selection("abc", [(0, 3)], 0, start_utf16, 0, end_utf16)


def test_selection_ending_before_it_starts_across_blocks_is_rejected():
    with pytest.raises(ValueError, match="empty or reversed"):
        resolve_selection("ab\n\ncd", [(0, 2), (4, 6)], 4, 0, 0, 1)


def test_empty_block_does_not_hide_the_block_starting_at_the_same_offset():
    assert resolve_selection("abc", [(0, 0), (0, 3)], 0, 1, 0, 3) == (1, 3)


@pytest.mark.parametrize("offset", [-1, 5])
def test_utf16_offset_outside_the_text_is_rejected(offset):
    with pytest.raises(ValueError, match="outside the text"):
        utf16_to_codepoints("a😀b", offset)


@pytest.mark.parametrize("index", [-1, 4])
def test_codepoint_index_outside_the_text_is_rejected(index):
    with pytest.raises(ValueError, match="outside the text"):
        codepoints_to_utf16("a😀b", index)


def test_context_returns_up_to_size_code_points_either_side():
    text = "😀😀abc[quote]def😀😀"

    assert context(text, 5, 12, size=4) == ("😀abc", "def😀")


def test_context_is_cut_short_at_the_text_edges():
    assert context("ab[x]cd", 2, 5, size=32) == ("ab", "cd")
    assert context("ab[x]cdefgh", 2, 5, size=3) == ("ab", "cde")


def test_context_rejects_a_range_outside_the_text():
    with pytest.raises(ValueError, match="outside the text"):
        context("abc", 2, 4)
