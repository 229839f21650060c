"""The shapes the picker's search and the curation queue take to stay fast at
50,000 annotations (bench/bench_curation.py): same results, constant queries,
no document text loaded for a row that shows only its title."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import links as link_reads
from annotations import services
from annotations.models import Annotation, Visibility
from corpus.models import Membership
from tests.conftest import HX
from tests.factories import make_annotation, make_document, make_user

PASSAGES = ["The tunnel was long", "they escaped at night", "wheat and barley"]
NOTES = ["", "Compare the river survey.", "A second source", "TUNNEL again"]


@pytest.fixture
def corpus(project, members):
    """Three documents, four authors, three tags, 30 annotations in a cycle."""
    documents = [
        make_document(project=project, title=title, paragraphs=[*PASSAGES, title])
        for title in ("Letters home", "Diary of a miller", "Harbour ledger")
    ]
    authors = [members["owner"], members["curator"], members["annotator"]]
    authors.append(make_user("wheatley", project=project, role="annotator"))
    tags = [
        services.get_or_create_tag(project=project, name=name)
        for name in ("evidence", "night-watch", "ledger entry")
    ]
    made = []
    for n in range(30):
        passage = PASSAGES[n % 3].split()[n % 3]
        annotation = make_annotation(
            documents[n % 3],
            authors[n % 4],
            passage,
            body=NOTES[n % 4],
            visibility=Visibility.PRIVATE if n % 7 == 6 else Visibility.PROJECT,
        )
        if n % 5 < 2:
            annotation.tags.add(tags[n % 3])
        made.append(annotation)
    services.delete_annotation(annotation=made[3], by=made[3].author)
    return made


def _by_hand(membership, query, exclude, page):
    """What search_annotations() promises, worked out in Python (ASCII text):
    each word typed starts a word of the quote or the note, or what was typed
    is in the author's name, the document's title or a tag's name."""
    needle = query.strip().lower()
    typed = re.findall(r"\w+", needle)

    def starts_words(text: str) -> bool:
        words = re.findall(r"\w+", text.lower())
        return bool(typed) and all(
            any(word.startswith(start) for word in words) for start in typed
        )

    shown = (
        Annotation.objects.shown_to_member(membership)
        .exclude(pk=exclude.pk)
        .select_related("author", "document")
        .prefetch_related("tags")
        .order_by("-created_at", "-pk")
    )
    found = [
        a
        for a in shown
        if not needle
        or starts_words(f"{a.exact} {a.body}")
        or needle in a.author.username.lower()
        or needle in a.document.title.lower()
        or any(needle in tag.name.lower() for tag in a.tags.all())
    ]
    first = (page - 1) * link_reads.SEARCH_LIMIT
    rows = found[first : first + link_reads.SEARCH_LIMIT]
    return [a.pk for a in rows], len(found) > first + link_reads.SEARCH_LIMIT


@pytest.mark.parametrize(
    "query",
    [
        "",
        "the",  # quote, note and a document title
        "he",  # inside words only: no quote or note
        "tunnel LONG",  # two words of one quote
        "scap",
        "TUNNEL",
        "river",  # notes only
        "wheat",  # a quote and an author
        "WHEATLEY",
        "miller",  # a document title
        "night",  # a quote and a tag
        "watch",
        "ledger",  # a tag and a document title
        "user",  # every author but one
        "nothing like it",
        "  escaped  ",
    ],
)
@pytest.mark.parametrize("role", ["annotator", "curator"])
@pytest.mark.parametrize("common", [0, 10**9], ids=["as-common", "as-rare"])
def test_search_finds_what_a_plain_filter_finds_page_by_page(
    project, members, corpus, query, role, common, monkeypatch
):
    # Both ways of finding the notes (annotations.links._noted) find the same.
    monkeypatch.setattr(link_reads, "COMMON", common)
    membership = Membership.objects.select_related("project").get(
        project=project, user=members[role]
    )
    source = corpus[0]
    for page in (1, 2, 3):
        rows, more = link_reads.search_annotations(
            membership, query, exclude=source, page=page
        )
        assert ([a.pk for a in rows], more) == _by_hand(membership, query, source, page)


@pytest.mark.parametrize("query", ["", "wheat", "ledger", "night", "nothing"])
def test_search_query_count_does_not_grow(client, project, members, query):
    document = make_document(project=project, title="Ledger", paragraphs=PASSAGES)
    tag = services.get_or_create_tag(project=project, name="night-watch")
    source = make_annotation(document, members["annotator"], "tunnel")
    # One of the notes to come, so that the search finds something from the
    # start (a word found nowhere asks one query fewer).
    make_annotation(document, members["owner"], "wheat", body="first").tags.add(tag)
    url = reverse("annotations:link_search_hx", args=[project.slug, source.pk])
    client.force_login(members["curator"])
    client.get(url, {"q": query}, headers=HX)  # seeds the relation types

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"q": query}, headers=HX).status_code == 200
        return len(queries)

    few = count()
    for n in range(25):
        note = make_annotation(document, members["owner"], "wheat", body=f"n{n}")
        note.tags.add(tag)
    assert count() == few


@pytest.mark.parametrize(
    "filters",
    [{}, {"status": ""}, {"status": "submitted", "tag": "evidence"}],
    ids=["default", "any-status", "tag"],
)
def test_queue_leaves_the_document_text_in_the_database(
    client, project, members, corpus, filters
):
    client.force_login(members["curator"])
    url = reverse("annotations:curation_queue", args=[project.slug])
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url, filters).content.decode()
    assert "Letters home" in html  # the title is shown
    rows = [q["sql"] for q in queries if '"annotations_annotation"' in q["sql"]]
    assert rows
    for sql in rows:
        assert '"corpus_document"."text"' not in sql
        assert '"corpus_document"."blocks"' not in sql
        assert '"corpus_document"."original"' not in sql


@pytest.mark.parametrize(
    "filters",
    [
        {"status": ""},
        {"status": "submitted", "author": "wheatley"},
        {"status": "submitted", "tag": "evidence"},
    ],
    ids=["any-status", "author", "tag"],
)
def test_queue_query_count_does_not_grow_with_filters(
    client, project, members, corpus, filters
):
    client.force_login(members["curator"])
    url = reverse("annotations:curation_queue", args=[project.slug])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, filters, headers=HX).status_code == 200
        return len(queries)

    few = count()
    wheatley = corpus[3].author
    evidence = corpus[0].tags.get()
    for n in range(60):
        note = make_annotation(corpus[0].document, wheatley, "tunnel", body=f"{n}")
        note.tags.add(evidence)
    assert count() == few


def test_search_finds_words_by_their_start_whatever_their_accents(project, members):
    document = make_document(
        project=project, title="Cables", paragraphs=["Joaquín Guzmán Loera fled."]
    )
    source = make_annotation(document, members["owner"], "fled")
    found = make_annotation(
        document, members["annotator"], "Guzmán", body="Peña Nieto's men"
    )
    membership = Membership.objects.select_related("project").get(
        project=project, user=members["curator"]
    )
    for query in ("guzman", "GUZM", "pena nie", "guz men"):
        rows, more = link_reads.search_annotations(membership, query, exclude=source)
        assert [a.pk for a in rows] == [found.pk], query
    for query in ("uzman", "guzmanx", "pena loera"):
        rows, _more = link_reads.search_annotations(membership, query, exclude=source)
        assert rows == [], query
