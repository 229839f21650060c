"""Two requests creating the same name at once converge on one row, never a 500.

Real concurrent transactions (threads with their own connections), on whichever
database the suite runs: on PostgreSQL the second insert waits for the first
to commit and then meets the unique constraint, the case testers found.
"""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from annotations import services
from annotations.models import Annotation, RelationType, Tag
from corpus.models import Membership, Project
from corpus.roles import Role
from corpus.services import add_member, create_project
from tests.factories import make_document, make_project, make_user

ROUNDS = 8
THREADS = 4


def _at_once(work, count: int = THREADS) -> list:
    """Run work(i) in `count` threads released together; their outcomes."""
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[i] = work(i)
        except Exception as error:  # noqa: BLE001 (the outcome under test)
            outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_members_saving_the_same_new_tag_at_once_share_one_tag():
    project = make_project()
    authors = [
        make_user(f"author{i}", project=project, role=Role.ANNOTATOR)
        for i in range(THREADS)
    ]
    words = [f"word{i}" for i in range(THREADS)]
    document = make_document(project=project, paragraphs=[" ".join(words)])
    for round_ in range(ROUNDS):
        name = f"Brand new {round_}"

        def save(i: int, name=name):
            start = document.text.index(words[i])
            return services.create_annotation(
                document=document,
                author=authors[i],
                start=start,
                end=start + len(words[i]),
                exact=words[i],
                tags=[name.upper() if i % 2 else name],
            )

        outcomes = _at_once(save)
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        assert Tag.objects.filter(project=project, name__iexact=name).count() == 1
    assert Annotation.objects.count() == ROUNDS * THREADS
    assert all(a.tags.count() == 1 for a in Annotation.objects.all())


@pytest.mark.django_db(transaction=True)
def test_the_same_person_added_twice_at_once_is_added_once():
    owner = make_user("owner")
    for round_ in range(ROUNDS):
        project = create_project(name=f"Race {round_}", owner=owner)
        person = make_user(f"person{round_}")
        outcomes = _at_once(
            lambda _i, p=project, u=person: add_member(
                project=p, user=u, role=Role.VIEWER
            )
        )
        added = [o for o in outcomes if isinstance(o, Membership)]
        refused = [o for o in outcomes if isinstance(o, ValidationError)]
        assert len(added) == 1, outcomes
        assert len(refused) == THREADS - 1, outcomes
        assert "already a member" in refused[0].messages[0]
        assert Membership.objects.filter(project=project, user=person).count() == 1


@pytest.mark.django_db(transaction=True)
def test_projects_of_one_name_created_at_once_get_their_own_slugs():
    owners = [make_user(f"founder{i}") for i in range(THREADS)]
    outcomes = _at_once(
        lambda i: create_project(name="Cartels and tunnels", owner=owners[i])
    )
    assert all(isinstance(o, Project) for o in outcomes), outcomes
    slugs = {project.slug for project in outcomes}
    assert len(slugs) == THREADS


@pytest.mark.django_db(transaction=True)
def test_relation_types_named_alike_at_once_one_wins_the_others_are_told():
    project = make_project()
    RelationType.objects.offered_in(project)
    outcomes = _at_once(
        lambda i: services.create_relation_type(
            project=project, name="refutes" if i % 2 else "Refutes"
        )
    )
    made = [o for o in outcomes if isinstance(o, RelationType)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(made) == 1, outcomes
    assert len(refused) == THREADS - 1, outcomes
    assert (
        RelationType.objects.filter(project=project, name__iexact="refutes").count()
        == 1
    )


@pytest.mark.django_db(transaction=True)
def test_two_new_tags_saved_in_opposite_orders_at_once_do_not_deadlock():
    project = make_project()
    authors = [
        make_user(f"writer{i}", project=project, role=Role.ANNOTATOR) for i in range(2)
    ]
    document = make_document(project=project, paragraphs=["alpha beta"])
    for round_ in range(ROUNDS):
        names = [f"x{round_}", f"y{round_}"]

        def save(i: int, names=names):
            word = ("alpha", "beta")[i]
            start = document.text.index(word)
            return services.create_annotation(
                document=document,
                author=authors[i],
                start=start,
                end=start + len(word),
                exact=word,
                tags=names if i == 0 else names[::-1],
            )

        outcomes = _at_once(save, count=2)
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Tag.objects.filter(project=project).count() == 2 * ROUNDS


@pytest.mark.django_db(transaction=True)
def test_an_edit_and_a_reply_at_once_do_not_deadlock():
    project = make_project()
    author = make_user("noter", project=project, role=Role.ANNOTATOR)
    replier = make_user("replier", project=project, role=Role.CURATOR)
    document = make_document(project=project, paragraphs=["The tunnel was long."])
    start = document.text.index("tunnel")
    note = services.create_annotation(
        document=document, author=author, start=start, end=start + 6, exact="tunnel"
    )
    for round_ in range(ROUNDS):
        version = Annotation.objects.get(pk=note.pk).version

        def act(i: int, version=version, round_=round_):
            if i == 0:
                return services.update_annotation(
                    annotation=note,
                    editor=author,
                    version=version,
                    body=f"Edit {round_}",
                    tags=[f"t{round_}-{n}" for n in range(6)],
                    visibility="project",
                )
            return services.create_reply(
                annotation=note, author=replier, body=f"Reply {round_}"
            )

        outcomes = _at_once(act, count=2)
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Annotation.objects.get(pk=note.pk).body == f"Edit {ROUNDS - 1}"


@pytest.mark.django_db(transaction=True)
def test_notes_made_at_once_by_one_author_get_their_own_counts():
    """Each change to an author's annotations on a document gets its own count
    (own_revision), however many are made at once: a page's token moves past a
    count only when it has seen every change up to it, so a count given twice
    would hide one of the two from the author's other tab for good."""
    project = make_project()
    author = make_user("two-tabs", project=project, role=Role.ANNOTATOR)
    words = [f"word{i}" for i in range(THREADS)]
    document = make_document(project=project, paragraphs=[" ".join(words)])
    for _round in range(ROUNDS):

        def make(i: int):
            start = document.text.index(words[i])
            return services.create_annotation(
                document=document,
                author=author,
                start=start,
                end=start + len(words[i]),
                exact=words[i],
                visibility="private",
            )

        outcomes = _at_once(make)
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    counts = list(
        Annotation.objects.filter(document=document).values_list(
            "own_revision", flat=True
        )
    )
    assert len(counts) == ROUNDS * THREADS
    assert sorted(counts) == list(range(1, ROUNDS * THREADS + 1))
