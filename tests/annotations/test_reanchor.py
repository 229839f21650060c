"""Passages carried across a revision of their text (annotations.reanchor):
exactly when no edit touched them, with their edited text when one did, found
again near where they were when an edge was edited away, and orphaned rather
than put on wrong text; never dropped.

Where a passage went is certain only when the text does not repeat around the
edits (in "a a", an "a" added may be told before or after either): the
property of exact moves is drawn on texts whose every character is unique;
the others hold on any text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from annotations.reanchor import (
    Change,
    Fate,
    Outcome,
    Passage,
    apply,
    carry,
    diff,
)

TEXT = st.text(alphabet="ab \n.é𝔸", max_size=60)


@given(old=TEXT, new=TEXT)
def test_the_changes_make_the_new_text_of_the_old(old, new):
    changes = diff(old, new)
    assert apply(old, changes, new) == new
    for change, following in zip(changes, changes[1:], strict=False):
        assert change.end < following.start  # in order, none touching the next
    for change in changes:
        assert (change.start, change.new_start) != (change.end, change.new_end)


@st.composite
def revised(draw, unique=False):
    """A text, some edits to it (ranges replaced, in order, apart) and the
    revised text: (old, new, edits as (start, end, replacement))."""
    if unique:
        # Every character once, in the text and in what the edits put in:
        # where a passage went cannot be in doubt.
        count = draw(st.integers(3, 60))
        old = "".join(chr(0x4E00 + n) for n in draw(st.permutations(range(count))))
        made = iter(range(0xAC00, 0xAC00 + 1000))
        fresh = st.integers(0, 6).map(
            lambda size: "".join(chr(next(made)) for _ in range(size))
        )
    else:
        old = draw(st.text(alphabet="abc \n", min_size=1, max_size=80))
        fresh = st.text(alphabet="abcxyz \n", max_size=8)
    cuts = sorted(draw(st.lists(st.integers(0, len(old)), max_size=8)))
    edits, at = [], 0
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        if start < at:
            continue
        replacement = draw(fresh)
        if start == end and not replacement:
            continue  # no edit at all
        edits.append((start, end, replacement))
        at = end + 1  # apart, so that an edit is one change
    new, last = [], 0
    for start, end, replacement in edits:
        new += [old[last:start], replacement]
        last = end
    new.append(old[last:])
    return old, "".join(new), edits


def _untouched(edits, start: int, end: int) -> bool:
    """No edit reaches inside [start, end): each ends at the start or before,
    or begins at the end or after (an insertion at an edge stays outside)."""
    return all(e <= start or s >= end for s, e, _r in edits) and not any(
        start < s == e < end for s, e, _r in edits
    )


def _shifted(edits, offset: int, *, is_start: bool) -> int:
    moved = offset
    for start, end, replacement in edits:
        if end < offset or (end == offset and (is_start or start < end)):
            moved += len(replacement) - (end - start)
    return moved


@given(data=st.data())
def test_a_passage_no_edit_touched_moves_exactly(data):
    old, new, edits = data.draw(revised(unique=True))
    start = data.draw(st.integers(0, len(old) - 1))
    end = data.draw(st.integers(start + 1, len(old)))
    assume(_untouched(edits, start, end))
    [outcome] = carry(old, new, [Passage(start, end)])
    assert outcome.fate == Fate.MOVED
    assert (outcome.start, outcome.end) == (
        _shifted(edits, start, is_start=True),
        _shifted(edits, end, is_start=False),
    )
    assert new[outcome.start : outcome.end] == old[start:end] == outcome.quote


def test_an_insertion_of_repeated_text_at_an_edge_moves_the_passage():
    # "a" put before "a " may be told as put after its "a": either way the
    # passage's own text is still there, whole, beside where it was.
    [outcome] = carry("a b", "aa b", [Passage(0, 2)])
    assert (outcome.fate, outcome.start, outcome.end) == (Fate.MOVED, 1, 3)


@given(data=st.data())
def test_nothing_is_dropped_and_nothing_lands_on_other_text(data):
    old, new, _edits = data.draw(revised(unique=data.draw(st.booleans())))
    passages = []
    for _ in range(data.draw(st.integers(0, 6))):
        start = data.draw(st.integers(0, len(old) - 1))
        end = data.draw(st.integers(start + 1, len(old)))
        passages.append(Passage(start, end, old[max(0, start - 8) : start]))
    outcomes = carry(old, new, passages)
    assert len(outcomes) == len(passages)
    for passage, outcome in zip(passages, outcomes, strict=True):
        if outcome.fate == Fate.ORPHAN:
            assert outcome.start is None and outcome.end is None
            continue
        assert 0 <= outcome.start < outcome.end <= len(new)
        assert outcome.quote == new[outcome.start : outcome.end]
        if outcome.fate == Fate.MOVED:
            assert outcome.quote == old[passage.start : passage.end]


def _one(old: str, new: str, exact: str, context: int = 20) -> Outcome:
    start = old.index(exact)
    end = start + len(exact)
    passage = Passage(
        start, end, old[max(0, start - context) : start], old[end : end + context]
    )
    [outcome] = carry(old, new, [passage])
    return outcome


SENTENCE = "Guzmán fled the prison at Puente Grande in a laundry cart, 2001."


@pytest.mark.parametrize(
    ("new", "exact", "fate", "quote"),
    [
        # Inserted before it, and at its very edges: it moves, text unchanged.
        ("Joaquín " + SENTENCE, "Puente Grande", Fate.MOVED, "Puente Grande"),
        (
            SENTENCE.replace("Puente", "the Puente"),
            "Puente Grande",
            Fate.MOVED,
            "Puente Grande",
        ),
        (
            SENTENCE.replace("Grande", "Grande jail"),
            "Puente Grande",
            Fate.MOVED,
            "Puente Grande",
        ),
        # A letter corrected inside it: it keeps the corrected passage.
        (
            SENTENCE.replace("prison", "prisón"),
            "the prison at",
            Fate.EDITED,
            "the prisón at",
        ),
        # Its first word taken in an edit across its edge: found again near
        # where it was, by its likeness and its context's.
        (
            SENTENCE.replace("in a laundry", "within laundry"),
            "a laundry cart",
            Fate.FOUND,
            "laundry cart",  # on whole words, not "n laundry cart"
        ),
        # A word inside it replaced (spaces deleted count as edits too).
        (
            SENTENCE.replace("in a laundry", "inalaundry"),
            "a laundry cart",
            Fate.EDITED,
            "alaundry cart",
        ),
        # The sentence taken out: nowhere to show it.
        (
            "Another text altogether, about the harbour's ledgers.",
            "prison",
            Fate.ORPHAN,
            "",
        ),
    ],
    ids=["before", "at-start", "at-end", "letter", "edge", "inside", "gone"],
)
def test_each_fate_on_a_sentence(new, exact, fate, quote):
    outcome = _one(SENTENCE, new, exact)
    assert outcome.fate == fate
    assert outcome.quote == quote


@pytest.mark.parametrize(
    ("old", "new", "start"),
    [
        (
            "Yes. I agree. Yes. I agree.",
            "Yes. I agree. Yes. I agree with all of it.",
            14,
        ),
        ("the cat. the cat.", "the cat. the cat sat.", 9),
        ("the cat. the cat.", "the cat. the cats.", 9),
    ],
)
def test_an_edited_passage_stays_where_it_was_when_its_text_repeats(old, new, start):
    end = len(old)
    [outcome] = carry(old, new, [Passage(start, end, old[:start])])
    assert outcome.fate == Fate.EDITED
    assert outcome.start == start  # never the same words earlier in the text
    assert outcome.quote == new[start:]


def test_a_rewritten_passage_is_not_put_on_its_replacement():
    old = "The quick brown fox jumps over the lazy dog."
    new = "The quick red fox jumps over the lazy dog."
    outcome = _one(old, new, "brown", context=4)
    assert outcome.fate == Fate.ORPHAN  # "red" is not "brown" corrected


def test_a_quote_found_without_its_context_is_not_accepted():
    old = "In March the cartel met at the ranch near Culiacán to divide routes."
    # The words are still there, but in another sentence entirely.
    new = "Routes: none. Culiacán held a fair. The ranch near the river flooded."
    outcome = _one(old, new, "the ranch near Culiacán")
    assert outcome.fate == Fate.ORPHAN


def test_the_diff_of_a_seed_text_with_scattered_corrections(seeds_dir: Path):
    old = next(
        path.read_text(encoding="utf-8")
        for path in sorted(seeds_dir.iterdir())
        if path.suffix in {".md", ".txt"}
    )
    words = old.split(" ")
    new = " ".join(
        word.upper() if n % 997 == 5 else word for n, word in enumerate(words)
    )
    changes = diff(old, new)
    assert apply(old, changes, new) == new
    assert 0 < len(changes) <= len(words) // 997 + 1
    assert all(isinstance(change, Change) for change in changes)
