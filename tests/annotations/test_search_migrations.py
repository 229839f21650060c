"""Migrating the search's tallies: 0023 gives the words kept before their
number of entries (from their tallies, so that they are not the first
dropped for a commoner word), and on PostgreSQL 0024's triggers, which fire
once a statement, go back to 0020's and 0022's and forth again: the tally
follows the writes made after, either way; 0025 folds the words again, and
0026 and 0027 count each reply for its own author."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from annotations import search, services
from annotations.models import SearchEntry, SearchKind, SearchWord
from annotations.search_text import parse
from annotations.services import search as search_index
from corpus.models import Document, Membership
from corpus.roles import Role
from tests.factories import make_annotation, make_document, make_project, make_user

BEFORE = [("annotations", "0022_search_tallies")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _same_counts(member) -> None:
    search.clear()
    found = search._found(member, {"q": "smuggling"})
    assert search._tallied(found, "smuggling", {}) == search._grouped(
        found, passages={}
    )


@pytest.mark.django_db(transaction=True)
def test_words_kept_before_count_their_entries_and_the_triggers_go_back_and_forth():
    project = make_project(name="Migrating")
    author = make_user("migrating-author", project=project, role=Role.ANNOTATOR)
    document = make_document(
        project=project,
        paragraphs=["Smuggling by sea.", "Smuggling by tunnel.", "Nothing."],
    )
    make_annotation(document, author, "tunnel", body="Smuggling again.")
    member = Membership.objects.select_related("project").get(
        project=project, user=author
    )
    try:
        _migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO annotations_searchword (project_id, word) VALUES (%s, %s)",
                [project.pk, "smuggling"],
            )
            cursor.execute(
                "SELECT id FROM annotations_searchword WHERE word = 'smuggling'"
            )
            word_id = cursor.fetchone()[0]
            # Its tally as keep_word made it then: two passages, a title, a
            # note (counted once, though it has a row for its author too).
            for access, owner, kind, n in [
                (0, 0, "text", 2),
                (1, author.pk, "note", 1),
                (1, 0, "note", 1),
            ]:
                cursor.execute(
                    "INSERT INTO annotations_searchtally (word_id, access, "
                    "owner_id, part, kind, document_id, author_id, status, "
                    "tag_id, n) VALUES (%s, %s, %s, 0, %s, %s, 0, '', 0, %s)",
                    [word_id, access, owner, kind, document.pk, n],
                )
        _migrate([("annotations", "0025_search_words_refolded")])
        assert SearchWord.objects.get(pk=word_id).entries == 3
        # 0027 forgets the words kept (their tallies counted no reply).
        _migrate(_latest())
        assert not SearchWord.objects.filter(pk=word_id).exists()
        # The tally kept anew, then written to, after the round trip.
        assert search_index.keep_word(
            project.pk, "smuggling", search.matching(project.pk, parse("smuggling"))
        )
        make_annotation(document, author, "sea", body="Smuggling, and more.")
        _same_counts(member)
    finally:
        _migrate(_latest())


@pytest.mark.django_db(transaction=True)
def test_words_folded_before_tokens_cut_them_are_made_again(monkeypatch):
    """0025: an entry indexed when "A™B" was held as the one word "atmb" is
    found by "b" after it; a project whose texts' words changed forgets the
    words it keeps (their tallies would be wrong), another keeps its own."""
    project = make_project(name="Refolded")
    other = make_project(name="Untouched")
    author = make_user("refolded-author", project=project, role=Role.ANNOTATOR)
    document = make_document(project=project, paragraphs=["Trade™Mark smuggling."])
    make_document(project=other, paragraphs=["Smuggling, plainly."])
    note = make_annotation(document, author, "smuggling", body="Brand™name here.")
    member = Membership.objects.select_related("project").get(
        project=project, user=author
    )
    entries = SearchEntry.objects.filter(project=project)
    old = {
        SearchKind.TEXT: "trade tmmark smuggling",
        SearchKind.NOTE: "smuggling brand tmname here",
    }
    # An entry a batch: every batch is written.
    refolded = importlib.import_module(
        "annotations.migrations.0025_search_words_refolded"
    )
    monkeypatch.setattr(refolded, "BATCH", 1)
    untouched = SearchEntry.objects.filter(project=other).values_list("pk", "words")
    before = dict(untouched)
    try:
        _migrate([("annotations", "0024_search_statement_triggers")])
        # Words kept then (by the model: keep_word reads the entries' writers,
        # which they do not have yet).
        for kept in (project, other):
            SearchWord.objects.create(project=kept, word="smuggling")
        for kind, words in old.items():
            assert entries.filter(kind=kind).update(words=words) == 1
        search.clear()
        assert _passages(member, "mark") == []
        _migrate([("annotations", "0025_search_words_refolded")])
        # (Its words alone: the entries have no writer yet.)
        words = dict(entries.values_list("kind", "words"))
        assert words[SearchKind.TEXT] == "trade mark smuggling"
        assert words[SearchKind.NOTE] == "smuggling brand name here"
        assert not SearchWord.objects.filter(project=project).exists()
        assert SearchWord.objects.filter(project=other).exists()
        assert dict(untouched) == before
        _migrate(_latest())
        search.clear()
        assert _passages(member, "mark") == [(document.pk, "Mark")]
        notes = search.search(member, {"q": "name"}).notes
        assert [hit.entry.annotation_id for hit in notes] == [note.pk]
    finally:
        _migrate(_latest())


@pytest.mark.django_db(transaction=True)
def test_replies_indexed_before_are_counted_for_their_own_authors():
    """0026 and 0027: a reply's entry made before it is given its author (its
    `author` is its note's), whom the author facet counts it for, from the
    entries and, once the word is kept, from the tally its triggers keep."""
    project = make_project(name="Writers")
    author = make_user("writers-author", project=project, role=Role.ANNOTATOR)
    replier = make_user("writers-replier", project=project, role=Role.CURATOR)
    document = make_document(project=project, paragraphs=["Smuggling by sea."])
    note = make_annotation(document, author, "sea", body="Smuggling, again.")
    reply = services.create_reply(
        annotation=note, author=replier, body="Smuggling, surely."
    )
    member = Membership.objects.select_related("project").get(
        project=project, user=author
    )
    try:
        _migrate([("annotations", "0025_search_words_refolded")])
        _migrate(_latest())
        entry = SearchEntry.objects.get(reply=reply)
        assert (entry.author_id, entry.writer_id) == (author.pk, replier.pk)
        search.clear()
        found = search._found(member, {"q": "smuggling"})
        authors = search._grouped(found, wanted=["author"])["author"]
        assert {row["value"]: row["count"] for row in authors} == {
            "writers-author": 1,
            "writers-replier": 1,
        }
        assert search_index.keep_word(
            project.pk, "smuggling", search.matching(project.pk, parse("smuggling"))
        )
        services.create_reply(annotation=note, author=replier, body="More smuggling.")
        _same_counts(member)
        tallied = search._tallied(
            search._found(member, {"q": "smuggling"}), "smuggling", {}
        )
        assert {row["value"]: row["count"] for row in tallied["author"]} == {
            "writers-author": 1,
            "writers-replier": 2,
        }
    finally:
        _migrate(_latest())


def _passages(member, query: str) -> list[tuple[int, str]]:
    """Each text hit as its document and the words it covers."""
    texts = dict(Document.objects.values_list("pk", "text"))
    return [
        (document_id, texts[document_id][start:end])
        for document_id, start, end in search.passages(member, {"q": query})
    ]
