"""The facets of a word the project keeps (SearchWord) come from its tally,
kept by triggers and services.search through every write, and are the same
as counting every entry that holds it: for each member, after each kind of
write a project sees (issue 13: a common word's counts under 150 ms)."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, transaction

from annotations import search, search_text, services
from annotations.models import (
    Annotation,
    SearchTally,
    SearchWord,
    Status,
    Tag,
    Visibility,
)
from annotations.search_text import parse
from annotations.services import search as search_index
from corpus import services as corpus_services
from corpus.models import Document, Membership
from corpus.roles import Role
from tests.factories import (
    make_annotation,
    make_document,
    make_project,
    make_user,
    revise_block,
)
from tests.test_races import _at_once

SEED = "000_f680e8277ca77def.txt"
WORD = "the"
# A phrase is kept as its words, a space between each.
PHRASE = "the wall"


def _query(word: str) -> str:
    return f'"{word}"' if " " in word else word


@pytest.fixture
def corpus(project, members, seeds_dir):
    brief = corpus_services.import_file(
        project=project,
        data=(seeds_dir / SEED).read_bytes(),
        filename=SEED,
        imported_by=members["owner"],
    )
    other = make_document(
        project=project,
        paragraphs=["The tunnel under the prison.", "Nothing here.", "The end."],
        title="The made-up report",
    )
    return {"brief": brief, "other": other}


def _found(project, user, q=WORD):
    membership = Membership.objects.select_related("project").get(
        project=project, user=user
    )
    return search._found(membership, {"q": q})


def _counts(project, user, word, *, tallied: bool):
    found = _found(project, user, _query(word))
    passages: dict = {}
    if tallied:
        facets = search._tallied(found, word, passages)
        assert facets is not None, "the word is not kept"
    else:
        facets = search._grouped(found, passages=passages)
    return facets, passages


def _same_for_everyone(project, members, word=WORD) -> None:
    """Each member's facets and passages, from the tally and counted whole."""
    search.clear()
    for role, user in members.items():
        if role == "outsider":
            continue
        assert _counts(project, user, word, tallied=True) == _counts(
            project, user, word, tallied=False
        ), role


def _keep(project, word=WORD, entries=0) -> bool:
    return search_index.keep_word(
        project.pk,
        word,
        search.matching(project.pk, search_text.parse(_query(word))),
        entries,
    )


@pytest.mark.parametrize("word", [WORD, PHRASE])
def test_a_kept_words_counts_follow_every_write(
    project, members, corpus, seeds_dir, word
):
    """Each write below holds "the", most of them "the wall" too (the
    phrase's words in a row), some only "the" or "wall" ("The wall's guards"
    holds the phrase; "the guards on a wall" does not)."""
    annotator, curator, owner = (
        members["annotator"],
        members["curator"],
        members["owner"],
    )
    other = corpus["other"]
    shared = make_annotation(
        other, annotator, "tunnel", body="Under the wall.", tags=["route"]
    )
    hidden = make_annotation(
        other,
        curator,
        "prison",
        body="The wall's guards.",
        visibility=Visibility.PRIVATE,
        tags=["route", "guards"],
    )
    reply = services.create_reply(
        annotation=shared, author=owner, body="The escape over the wall took months."
    )
    services.create_reply(
        annotation=shared, author=annotator, body="The guards on a wall."
    )
    assert _keep(project, word)
    assert SearchTally.objects.filter(word__project=project).exists()
    _same_for_everyone(project, members, word)

    # Made after the word is kept: notes, replies, tags, under pre-moderation.
    project.premoderation = True
    project.save(update_fields=["premoderation"])
    made = make_annotation(
        corpus["brief"],
        annotator,
        "the",
        body="On the wall of the cartel.",
        tags=["cartel"],
    )
    services.create_reply(annotation=made, author=curator, body="And the wall too.")
    _same_for_everyone(project, members, word)
    services.set_status(annotation=made, by=curator, status=Status.APPROVED)
    _same_for_everyone(project, members, word)

    # Edited: the word taken away and back, visibility, tags.
    def edit(note, body, tags, visibility=Visibility.PROJECT):
        current = Annotation.objects.get(pk=note.pk)
        services.update_annotation(
            annotation=current,
            editor=current.author,
            version=current.version,
            body=body,
            tags=tags,
            visibility=visibility,
        )

    edit(shared, "Under a wall, the stones.", ["route"])
    _same_for_everyone(project, members, word)
    edit(shared, "Under the wall, again.", ["guards", "escape"], Visibility.PRIVATE)
    _same_for_everyone(project, members, word)
    edit(shared, "Under the wall.", ["route"])
    _same_for_everyone(project, members, word)

    # Tags renamed and merged, a reply and a note deleted.
    route = Tag.objects.get(project=project, name="route")
    services.rename_tag(tag=route, name="the wall route")
    services.merge_tags(
        sources=[Tag.objects.get(project=project, name="guards")], into=route, by=owner
    )
    _same_for_everyone(project, members, word)
    services.delete_reply(reply=reply, by=owner)
    services.delete_annotation(annotation=hidden, by=curator)
    _same_for_everyone(project, members, word)

    # Straight to the tables, as the admin or a bulk update writes.
    Annotation.objects.filter(pk=made.pk).update(visibility=Visibility.PRIVATE)
    _same_for_everyone(project, members, word)
    project.premoderation = False
    project.save(update_fields=["premoderation"])
    _same_for_everyone(project, members, word)

    # The documents: trashed and back, metadata, a revision of the text, a
    # new import, a purge.
    services.trash_document(document=corpus["brief"], by=owner)
    _same_for_everyone(project, members, word)
    services.restore_document(document=corpus["brief"], by=owner)
    corpus_services.update_document_metadata(document=other, title="A report")
    _same_for_everyone(project, members, word)
    revise_block(other, owner, 1, "The wall and the tunnel, then the sea.")
    _same_for_everyone(project, members, word)
    revise_block(other, owner, 0, "A tunnel under a prison.")
    _same_for_everyone(project, members, word)
    third = corpus_services.import_file(
        project=project,
        data=(seeds_dir / "001_2cf028e75483853e.txt").read_bytes(),
        filename="001_2cf028e75483853e.txt",
        imported_by=owner,
    )
    make_annotation(third, annotator, "the", body="The wall copy.")
    _same_for_everyone(project, members, word)
    services.trash_document(document=third, by=owner)
    services.purge_document(document=Document.all_objects.get(pk=third.pk), by=owner)
    _same_for_everyone(project, members, word)
    assert not SearchTally.objects.filter(document_id=third.pk, part=0).exists()


def test_a_search_counting_many_entries_keeps_its_word(
    project, members, corpus, monkeypatch
):
    """A word a search counts TALLY_FROM entries of is kept: the next search
    reads its tally (one statement, with the tags' entries), and finds what
    the first found."""
    monkeypatch.setattr(search, "TALLY_FROM", 10)
    viewer = Membership.objects.select_related("project").get(
        project=project, user=members["viewer"]
    )
    search.clear()
    first = search.search(viewer, {"q": "The"})
    assert list(
        SearchWord.objects.filter(project=project).values_list("word", flat=True)
    ) == [WORD]
    search.clear()
    asked = []

    def keep(execute, sql, params, many, context):
        asked.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        again = search.search(viewer, {"q": "the"})
    assert any("annotations_searchtally" in sql for sql in asked)
    assert not any("WITH found" in sql for sql in asked), "counted every entry again"
    assert again.facets == first.facets
    assert again.documents == first.documents
    assert again.line_count == first.line_count
    # A rare word, a prefix, a choice or a facet chosen are counted as before.
    for asked in ({"q": "tunnel"}, {"q": "the*"}, {"q": "the OR a"}):
        search.search(viewer, asked)
    search.search(viewer, {"q": "the", "kind": "text"})
    assert SearchWord.objects.filter(project=project).count() == 1
    # A common phrase is kept as its words.
    monkeypatch.setattr(search, "TALLY_FROM", 3)
    search.search(viewer, {"q": '"of the"'})
    assert set(
        SearchWord.objects.filter(project=project).values_list("word", flat=True)
    ) == {WORD, "of the"}


def test_a_project_keeping_all_it_may_keeps_the_commonest(
    project, members, corpus, monkeypatch
):
    """Once a project keeps WORDS_KEPT_AT_MOST words, a commoner word takes
    the place of the least common (its tally goes with it); a rarer one is
    counted as before, and the words kept keep their counts. How common a
    word kept is: the entries its tally counts now, not those the search
    that kept it counted (a word kept when common, then written away, goes
    first)."""
    monkeypatch.setattr(search_index, "WORDS_KEPT_AT_MOST", 2)
    # Counted as common as can be when kept.
    assert _keep(project, "the", entries=10**6)
    assert _keep(project, "tunnel", entries=10**6)
    tunnel = SearchWord.objects.get(project=project, word="tunnel")
    assert SearchTally.objects.filter(word=tunnel).exists()
    owner = members["owner"]
    tunnels, thes = (
        sum(row["count"] for row in _counts(project, owner, w, tallied=True)[0]["kind"])
        for w in ("tunnel", "the")
    )
    assert 0 < tunnels < thes
    assert not _keep(project, "of", entries=tunnels)
    assert _keep(project, "the tunnel", entries=tunnels + 1)
    kept = SearchWord.objects.filter(project=project)
    # Its count made again from its tally.
    assert set(kept.values_list("word", "entries")) == {
        ("the", thes),
        ("the tunnel", tunnels + 1),
    }
    assert not SearchTally.objects.filter(word_id=tunnel.pk).exists()
    _same_for_everyone(project, members)
    _same_for_everyone(project, members, "the tunnel")


def test_a_rebuilt_index_keeps_no_word(project, members, corpus):
    _keep(project)
    search_index.rebuild([project])
    assert not SearchWord.objects.filter(project=project).exists()
    assert not SearchTally.objects.exists()


def _smuggling_project(name: str):
    project = make_project(name=name)
    authors = [
        make_user(f"{name}-author{i}", project=project, role=Role.ANNOTATOR)
        for i in range(3)
    ]
    document = make_document(
        project=project,
        paragraphs=["Smuggling by sea.", "Smuggling by tunnel.", "A wall."],
    )
    return project, authors, document


@pytest.mark.django_db(transaction=True)
def test_notes_written_while_a_word_is_kept_are_counted_once():
    """A search keeps a word while others write notes holding it: each note
    is counted once, by the tally the search makes or by the triggers after
    it (PostgreSQL: the project's lock, which the writes' triggers share;
    SQLite: one writer at a time)."""
    project, authors, document = _smuggling_project("racing")
    for author in authors:
        make_annotation(document, author, "tunnel", body="Smuggling, before.")

    def work(i: int):
        if i == 0:
            return search_index.keep_word(
                project.pk, "smuggling", search.matching(project.pk, parse("smuggling"))
            )
        for n in range(3):
            make_annotation(document, authors[i - 1], "sea", body=f"Smuggling {n}.")
        return True

    assert _at_once(work, 4) == [True] * 4
    member = Membership.objects.select_related("project").get(
        project=project, user=authors[0]
    )
    search.clear()
    found = search._found(member, {"q": "smuggling"})
    assert search._tallied(found, "smuggling", {}) == search._grouped(
        found, passages={}
    )


@pytest.mark.django_db(transaction=True)
def test_keeping_a_word_holds_the_writes_of_its_project_alone():
    """PostgreSQL: while a word of one project is kept, a write to another
    project's notes goes on, and a write to its own waits (here, until its
    lock_timeout). SQLite: the keeping writes the word first, so it holds
    the one writer's lock before it reads the entries."""
    kept, kept_authors, kept_document = _smuggling_project("keeping")
    other, other_authors, other_document = _smuggling_project("writing")
    if connection.vendor == "sqlite":
        statements = []

        def seen(execute, sql, params, many, context):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(seen):
            search_index.keep_word(
                kept.pk, "smuggling", search.matching(kept.pk, parse("smuggling"))
            )
        first_write = next(
            i for i, sql in enumerate(statements) if sql.startswith("INSERT")
        )
        assert "annotations_searchword" in statements[first_write]
        assert first_write < next(
            i for i, sql in enumerate(statements) if sql.startswith("WITH e AS")
        )
        return
    statements = []

    def seen(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(seen):
        search_index.keep_word(
            other.pk, "smuggling", search.matching(other.pk, parse("smuggling"))
        )
    locked = [params for sql, params in statements if "pg_advisory_xact_lock" in sql]
    assert locked == [[search_index.TALLY_LOCK, other.pk]]
    holding, done = threading.Event(), threading.Event()

    def keeper(_i: int):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [search_index.TALLY_LOCK, kept.pk],
            )
            holding.set()
            done.wait(timeout=30)

    thread = threading.Thread(target=_at_once, args=(keeper, 1))
    thread.start()
    try:
        assert holding.wait(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        make_annotation(other_document, other_authors[0], "sea", body="Smuggling.")
        with pytest.raises(OperationalError), transaction.atomic():
            make_annotation(kept_document, kept_authors[0], "sea", body="Smuggling.")
    finally:
        done.set()
        thread.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
