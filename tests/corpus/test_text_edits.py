"""Block edits (corpus.text_edits): the text stays laid out as the importers
lay it out, whatever is edited, split, merged, deleted or inserted."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corpus import text_edits
from corpus.text_edits import EditRefused

words = st.text(alphabet="abcdé𝔸 ", min_size=1, max_size=12).map(str.strip).filter(bool)
kinds = st.sampled_from(["paragraph", "heading", "list_item"])


def laid_out(texts: list[str], kinds_: list[str]) -> tuple[str, list[dict]]:
    blocks, at = [], 0
    for text, kind in zip(texts, kinds_, strict=True):
        level = 2 if kind == "heading" else 0
        blocks.append(
            {"kind": kind, "start": at, "end": at + len(text), "level": level}
        )
        at += len(text) + 2
    return "\n\n".join(texts), blocks


def assert_laid_out(edited: text_edits.Edited) -> None:
    """Blocks in order, each a line of text, joined by one blank line."""
    pieces = [edited.text[b["start"] : b["end"]] for b in edited.blocks]
    assert edited.text == "\n\n".join(pieces)
    assert all(piece and "\n" not in piece for piece in pieces)


@st.composite
def documents(draw):
    texts = draw(st.lists(words, min_size=1, max_size=8))
    return laid_out(
        texts, draw(st.lists(kinds, min_size=len(texts), max_size=len(texts)))
    )


@given(documents(), st.data())
def test_every_edit_keeps_the_layout(document, data):
    text, blocks = document
    index = data.draw(st.integers(0, len(blocks) - 1))
    operation = data.draw(st.sampled_from(["edit", "merge", "delete", "insert"]))
    content = data.draw(st.lists(words, min_size=1, max_size=3)).copy()
    try:
        if operation == "edit":
            edited = text_edits.edit_block(text, blocks, index, "\n\n".join(content))
            assert [edited.text[b["start"] : b["end"]] for b in edited.blocks][
                index : index + len(content)
            ] == [" ".join(part.split()) for part in content]
        elif operation == "merge":
            edited = text_edits.merge_with_next(text, blocks, index)
            assert len(edited.blocks) == len(blocks) - 1
        elif operation == "delete":
            edited = text_edits.delete_block(text, blocks, index)
            assert len(edited.blocks) == len(blocks) - 1
        else:
            edited = text_edits.insert_block(text, blocks, index, content[0])
            assert len(edited.blocks) == len(blocks) + 1
    except EditRefused:
        # Only what cannot be done: the last block merged, the only one deleted.
        assert (operation, index) in {("merge", len(blocks) - 1), ("delete", 0)}
        assert operation == "merge" or len(blocks) == 1
        return
    assert_laid_out(edited)
    # The blocks before the edited one are untouched.
    assert edited.blocks[:index] == blocks[:index]


def test_a_blank_line_splits_and_spaces_are_tidied():
    text, blocks = laid_out(["One.", "Two."], ["paragraph", "paragraph"])
    edited = text_edits.edit_block(
        text, blocks, 0, "  First  part.\r\n\r\nSecond\npart. "
    )
    assert edited.text == "First part.\n\nSecond part.\n\nTwo."
    assert [b["kind"] for b in edited.blocks] == ["paragraph"] * 3


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t, b: text_edits.edit_block(t, b, 0, "  \n\n "), "needs text"),
        (lambda t, b: text_edits.edit_block(t, b, 5, "x"), "no such block"),
        (lambda t, b: text_edits.merge_with_next(t, b, 1), "no next block"),
        (lambda t, b: text_edits.edit_block(t, b, 0, "x", kind="table"), "heading"),
        (
            lambda t, b: text_edits.edit_block(t, b, 0, "x", kind="heading", level=9),
            "1 to 6",
        ),
    ],
)
def test_what_cannot_be_done_is_said(call, message):
    text, blocks = laid_out(["One.", "Two."], ["paragraph", "paragraph"])
    with pytest.raises(EditRefused, match=message):
        call(text, blocks)


def test_the_only_block_is_not_deleted():
    text, blocks = laid_out(["Alone."], ["paragraph"])
    with pytest.raises(EditRefused, match="at least one block"):
        text_edits.delete_block(text, blocks, 0)
