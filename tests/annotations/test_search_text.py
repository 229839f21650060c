"""The pure part of search: folding, the query language, where hits fall."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotations.search_text import (
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
    text = "Guzmán’s 𝔊uzmán Straße ﬁle, ½ way"
    assert indexed(text) == " ".join(token.word for token in tokens(text))


words = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=8)


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
