"""The pure part of search: folding, the query language, where hits fall."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotations.search_text import (
    MAX_WORD_CHARS,
    Query,
    QueryError,
    Term,
    fold,
    fts5,
    hits,
    indexed,
    parse,
    tokens,
    tsquery,
)

TEXT = "El Chapo Guzmán escaped; Peña Nieto's government 🚇 extradited him. Straße."


def _found(text: str, query: str) -> list[str]:
    return [text[start:end] for start, end in hits(text, parse(query))]


def test_case_and_accents_do_not_matter():
    assert fold("Guzmán PEÑA Straße") == "guzman pena strasse"
    assert _found(TEXT, "guzman") == ["Guzmán"]
    assert _found(TEXT, "GUZMÁN") == ["Guzmán"]
    assert _found(TEXT, '"pena nieto"') == ["Peña Nieto"]
    assert _found(TEXT, "strasse") == ["Straße"]


def test_all_words_must_match_and_each_is_a_hit():
    assert _found(TEXT, "chapo escaped") == ["Chapo", "escaped"]
    assert _found(TEXT, "chapo tunnel") == []


def test_phrases_prefixes_or_and_exclusions():
    assert _found(TEXT, "extradit*") == ["extradited"]
    assert _found(TEXT, '"el chapo"') == ["El Chapo"]
    assert _found(TEXT, '"chapo el"') == []
    assert _found(TEXT, "tunnel OR escaped") == ["escaped"]
    assert _found(TEXT, "guzman -government") == []
    assert _found(TEXT, 'guzman -"el capo"') == ["Guzmán"]


def test_positions_count_code_points_past_astral_characters():
    text = "🚇🚇 tunnel 𝔊uzmán"
    ((start, end),) = hits(text, parse("guzman"))
    assert text[start:end] == "𝔊uzmán"
    assert start == len("🚇🚇 tunnel ")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"unclosed', "not closed"),
        ("-only -excluded", "not only what to leave out"),
        ("OR word", "between two"),
        ("word OR", "between two"),
        ("a OR -b", "between two"),
        ("", "Type a word"),
        ("!!! ???", "Type a word"),
        ("*", "ends a word"),
        ("x" * 501, "at most 500"),
        (" ".join(["w"] * 33), "at most 32 words"),
        ("th*", "at least 3 letters"),
        ("tunnel -é*", "at least 3 letters"),
        (" OR ".join(f"wor{n}*" for n in range(11)), "at most 10 words ending in"),
    ],
)
def test_a_malformed_query_says_what_is_wrong(query, message):
    with pytest.raises(QueryError, match=message):
        parse(query)


def test_the_engines_queries():
    query = parse('"el chapo" tunnel OR escap* -"peña nieto"')
    assert query == Query(
        (
            (Term(("el", "chapo")),),
            (Term(("tunnel",)), Term(("escap",), prefix=True)),
        ),
        (Term(("pena", "nieto")),),
    )
    assert fts5(query) == ('("el chapo") AND ("tunnel" OR "escap"*) NOT "pena nieto"')
    assert tsquery(query) == (
        "(('el' <-> 'chapo')) & ('tunnel' | 'escap':*) & !('pena' <-> 'nieto')"
    )


def test_what_the_index_holds():
    assert indexed("Peña-Nieto's 2012 ﬁle") == "pena nieto s 2012 file"
    assert indexed("A™B 5㎏") == "a b 5"
    text = "Guzmán’s 𝔊uzmán Straße ﬁle, ½ way"
    assert indexed(text) == " ".join(token.word for token in tokens(text))


@pytest.mark.parametrize("letter", ["a", "é", "ж", "𝔊"])
def test_a_word_is_indexed_at_most_so_long(letter):
    word = fold(letter) * MAX_WORD_CHARS
    text = f"x {letter * (MAX_WORD_CHARS + 50)} y “{letter * 3}”"
    assert indexed(text) == f"x {word} y {fold(letter) * 3}"
    assert indexed(text).split() == [token.word for token in tokens(text)]


def test_a_letter_folded_folds_to_itself():
    """indexed() replaces each character of a text by its folding, one
    character after another: a letter one of them becomes must not become
    something else in its turn."""
    changed = [
        (chr(point), letter)
        for point in range(0x80, 0x30000)
        for letter in fold(chr(point))
        if not letter.isascii() and letter.isalnum() and fold(letter) != letter
    ]
    assert changed == []


@given(
    st.text(
        alphabet=st.characters(max_codepoint=0x7F)
        | st.sampled_from("éñÑ“”—™ﬁß’İǅ½\u0301\u00a0σΣ"),
        max_size=80,
    )
)
def test_a_text_mostly_ascii_is_indexed_as_tokens_cuts_it(text):
    """Mostly ASCII, its other characters replaced one at a time: the same
    words as tokens() finds."""
    assert indexed(text).split() == [token.word for token in tokens(text)]


def test_a_text_of_many_characters_that_are_not_ascii_is_indexed_whole():
    chinese = "".join(chr(0x4E00 + n * 7) for n in range(200)) + "，Guzmán。"
    assert len(indexed(chinese).split()) == 2
    assert indexed(chinese).split() == [token.word for token in tokens(chinese)]


words = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=8)


@given(
    st.text(
        alphabet=st.characters(categories=["L", "M", "N", "P", "S", "Z"])
        | st.sampled_from("™㎏ﬁßİǅ½Ⅻ’_-é"),
        max_size=60,
    )
)
def test_the_index_holds_the_words_tokens_finds(text):
    """The engines cut a text where `tokens` does (one word apart from the
    next): the same words, each folded alone, whatever the characters ("™"
    folds to "TM" but is no word; "ﬁ" is one)."""
    assert indexed(text).split() == [token.word for token in tokens(text)]


@given(st.lists(words, min_size=1, max_size=20), st.data())
def test_every_hit_is_a_word_of_the_text_that_folds_to_the_query(parts, data):
    text = " , ".join(parts)
    found = tokens(text)
    if not found:
        return
    wanted = data.draw(st.sampled_from(found))
    for start, end in hits(text, Query(((Term((wanted.word,)),),))):
        assert wanted.word in [token.word for token in tokens(text[start:end])]
    assert (wanted.start, wanted.end) in hits(text, Query(((Term((wanted.word,)),),)))


# Mostly ASCII; accented letters that fold to one ASCII letter (the text is
# still searched by patterns), and some that do not ("ß", "ø", "ﬁ", "İ").
ascii_words = st.text(alphabet="abiI1_áÁ", min_size=1, max_size=2) | st.text(
    alphabet="aßøﬁİ", min_size=1, max_size=2
)
separators = st.sampled_from([" ", ", ", "_", "-", "’", "\n", " 🚇 "])


@given(
    st.lists(st.tuples(ascii_words, separators), min_size=1, max_size=30),
    st.lists(
        st.tuples(
            st.lists(
                st.text(alphabet="abı1", min_size=1, max_size=2), min_size=1, max_size=3
            ).map(lambda words: [fold(word) for word in words]),
            st.booleans(),
        ),
        min_size=1,
        max_size=4,
    ),
    st.integers(0, 3),
)
def test_a_text_searched_by_patterns_has_the_hits_of_its_words(parts, terms, how):
    """A text whose words fold to ASCII words as long is searched by
    patterns, not cut into words (search_text._ascii_finders): the same
    hits as cutting it, for words, phrases, prefixes, choices and
    exclusions, overlapping phrases and a word no ASCII word folds to ("ı")
    included; other texts are cut into words."""
    text = "".join(word + between for word, between in parts)
    made = [Term(tuple(words), prefix) for words, prefix in terms]
    if how == 0:
        query = Query(tuple((term,) for term in made))
    elif how == 1:
        query = Query((tuple(made),))
    else:
        query = Query(((made[0],),), tuple(made[1:]) if how == 2 else ())
    assert hits(text, query) == hits(text, query, tokens(text))


def test_overlapping_phrases_prefixes_and_other_letters_in_an_ascii_text():
    text = "La la la, Lala_laba 1a LABEL I said Hi"
    assert hits("Guzmán’s 🚇 guzman", parse("guzman")) == [(0, 6), (11, 17)]
    assert hits("Øresund bø b", parse("b")) == [(11, 12)]
    assert hits(text, parse('"la la"')) == [(0, 5), (3, 8)]
    assert hits(text, parse("lab*")) == [(15, 19), (23, 28)]
    assert hits(text, Query(((Term(("lala", "lab"), prefix=True),),))) == [(10, 19)]
    assert hits(text, parse("1a")) == [(20, 22)]
    assert hits(text, parse("la -laba")) == []
    # No ASCII word folds to "ı", which a case-insensitive pattern would
    # find in "I" and "i" but for re.ASCII.
    assert hits(text, Query(((Term(("ı",)),),))) == []
