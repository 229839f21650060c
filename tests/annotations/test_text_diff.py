"""A revision's changed places, read off its undo (annotations.text_diff):
every change shown once, with what it deleted and inserted, in whole words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from annotations import reanchor, text_diff


def _undo(old: str, new: str) -> list[list]:
    """What services.text stores for the revision from `old` to `new`."""
    return [
        [c.new_start, c.new_end, old[c.start : c.end]] for c in reanchor.diff(old, new)
    ]


def _views(hunk: text_diff.Hunk) -> tuple[str, str]:
    """The hunk read as the text before and as the text after."""
    before = "".join(p.text for p in hunk.pieces if p.kind in ("same", "del"))
    after = "".join(p.text for p in hunk.pieces if p.kind in ("same", "ins"))
    return before, after


def _marked(hunk: text_diff.Hunk) -> str:
    return "".join(
        {"same": "{}", "del": "[-{}-]", "ins": "{{+{}+}}"}[p.kind].format(p.text)
        for p in hunk.pieces
    )


def test_a_changed_word_reads_as_the_old_word_and_the_new():
    old = "Guzmán escaped twice from maximum security prisons."
    new = "Guzmán escaped three times from maximum security prisons."

    (hunk,) = text_diff.hunks(new, _undo(old, new))

    assert _marked(hunk) == (
        "Guzmán escaped [-twice-]{+three times+} from maximum security prisons."
    )
    assert not hunk.cut_before and not hunk.cut_after


def test_an_insertion_between_words_is_shown_alone():
    old = "It took place in January 2017."
    new = "It took place on 19 January 2017."

    (hunk,) = text_diff.hunks(new, _undo(old, new))

    assert _marked(hunk) == "It took place [-in-]{+on 19+} January 2017."


def test_a_line_break_stays_a_change_of_its_own():
    old = "The cartel moved its shipments."
    new = "The cartel\n\nmoved its shipments."

    (hunk,) = text_diff.hunks(new, _undo(old, new))

    changed = [p for p in hunk.pieces if p.kind != "same"]
    assert [(p.kind, p.blank) for p in changed] == [("del", "␣"), ("ins", "¶")]


def test_changes_far_apart_are_separate_places_with_context_cut_at_words():
    words = " ".join(f"word{n}" for n in range(200))
    new = words.replace("word10 ", "WORD10 ").replace("word150 ", "WORD150 ")

    found = text_diff.hunks(new, _undo(words, new))

    assert len(found) == 2
    first, second = found
    assert "[-word10-]{+WORD10+}" in _marked(first)
    assert "[-word150-]{+WORD150+}" in _marked(second)
    assert first.cut_after and second.cut_before
    # The context starts and ends on a whole word.
    assert _marked(second).startswith("word")
    assert _marked(first).endswith(tuple("0123456789"))


def test_text_without_spaces_is_compared_character_by_character():
    old = "北京是中华人民共和国的首都，也是全国的政治中心和文化中心之一。"
    new = old.replace("首都", "首府")

    (hunk,) = text_diff.hunks(new, _undo(old, new))

    assert [p.text for p in hunk.pieces if p.kind != "same"] == ["都", "府"]


def test_blocks_at_gives_the_block_each_place_is_in():
    blocks = [{"start": 0, "end": 5}, {"start": 7, "end": 20}]

    assert text_diff.blocks_at(blocks, [0, 4, 6, 7, 19]) == [0, 0, 0, 7, 7]
    assert text_diff.blocks_at([], [3]) == [None]


_texts = st.text(alphabet="ab cd\n.é𝔸", max_size=300)


@given(old=_texts, new=_texts)
def test_every_change_is_shown_once_and_both_texts_can_be_read_back(old, new):
    undo = _undo(old, new)

    found = text_diff.hunks(new, undo)

    assert bool(found) == bool(undo)
    rebuilt_old = new
    for hunk in reversed(found):
        shown_start, shown_end = hunk.shown
        before, after = _views(hunk)
        assert new[shown_start:shown_end] == after
        rebuilt_old = rebuilt_old[:shown_start] + before + rebuilt_old[shown_end:]
        assert shown_start <= hunk.start <= hunk.end <= shown_end
    assert rebuilt_old == old
    spans = [hunk.shown for hunk in found]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
