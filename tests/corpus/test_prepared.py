"""Prepared reads (corpus.prepared): the rows the ORM would give, compiled once,
and a clear refusal of a query whose values cannot be put in place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Count
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotations.models import Annotation, Visibility
from corpus.models import Document, Membership
from corpus.prepared import NotPreparable, Prepared
from tests.factories import make_annotation, make_document


def _fields(instance) -> dict:
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname not in instance.get_deferred_fields()
    }


def test_instances_with_their_related_rows_are_the_orms(project, members):
    memberships = Prepared(
        lambda _shape, project, user: Membership.objects.select_related(
            "project", "user"
        ).filter(project_id=project, user_id=user),
        int,
        int,
    )
    for role, user in members.items():
        ours = memberships.one(project.pk, user.pk)
        if role == "outsider":
            assert ours is None
            continue
        theirs = Membership.objects.select_related("project", "user").get(
            project=project, user=user
        )
        assert _fields(ours) == _fields(theirs)
        assert _fields(ours.project) == _fields(theirs.project)
        assert ours.user.get_username() == user.get_username()
        assert ours._state.db == "default" and not ours._state.adding
    assert memberships.one(project.pk, -5) is None


def test_deferred_fields_stay_deferred_and_load_when_asked(project, members):
    document = make_document(project=project, paragraphs=["A line of the text."])
    documents = Prepared(
        lambda _shape, pk: Document.objects.defer("text").filter(pk=pk), int
    )
    found = documents.one(document.pk)
    assert "text" in found.get_deferred_fields()
    assert found.title == document.title
    assert found.text == Document.objects.get(pk=document.pk).text  # loaded now


def test_values_and_annotations_come_as_the_orm_gives_them(project, members):
    document = make_document(project=project, paragraphs=["one two three"])
    for word in ("one", "two"):
        make_annotation(document, members["annotator"], word)
    pairs = Prepared(
        lambda _shape, document: (
            Annotation.objects.filter(document_id=document)
            .order_by("start")
            .values_list("exact", "start")
        ),
        int,
    )
    assert pairs(document.pk) == [("one", 0), ("two", 4)]
    flat = Prepared(
        lambda _shape, document: Annotation.objects.filter(
            document_id=document
        ).values_list("exact", flat=True),
        int,
    )
    assert sorted(flat(document.pk)) == ["one", "two"]
    counted = Prepared(
        lambda _shape, pk: Document.objects.filter(pk=pk).annotate(
            notes=Count("annotations")
        ),
        int,
    )
    assert counted.one(document.pk).notes == 2


def test_a_datetime_value_is_compared_as_the_orm_compares_it(db):
    now = timezone.now()
    Session.objects.create(session_key="a" * 32, session_data="x", expire_date=now)
    live = Prepared(
        lambda _shape, key, at: Session.objects.filter(
            session_key=key, expire_date__gt=at
        ),
        str,
        type(now),
    )
    assert live.one("a" * 32, now - timedelta(microseconds=1)) is not None
    assert live.one("a" * 32, now) is None
    assert live.one("b" * 32, now - timedelta(days=1)) is None


def test_each_shape_is_compiled_once_and_run_in_one_query(project, members):
    document = make_document(project=project, paragraphs=["one two"])
    private = make_annotation(
        document, members["annotator"], "one", visibility=Visibility.PRIVATE
    )
    shown = Prepared(
        lambda own, user, pk: (
            Annotation.objects.filter(pk=pk, author_id=user)
            if own
            else Annotation.objects.filter(pk=pk).exclude(author_id=user)
        ),
        int,
        int,
    )
    compiled = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        compiled.append(self.query.model)
        return original(self, *args, **kwargs)

    SQLCompiler.as_sql = counting
    try:
        with CaptureQueriesContext(connection) as queries:
            author = members["annotator"].pk
            for _ in range(3):
                assert shown.one(author, private.pk, shape=True)
                assert shown.one(author, private.pk, shape=False) is None
    finally:
        SQLCompiler.as_sql = original
    assert compiled == [Annotation, Annotation]  # once per shape
    assert len(queries) == 6


@pytest.mark.parametrize(
    ("make", "kinds", "message"),
    [
        (
            lambda _s, name: Document.objects.filter(title__icontains=name),
            (str,),
            "does not reach",
        ),
        (lambda _s, n: Document.objects.filter(pk=1)[:n], (int,), "does not reach"),
        (
            lambda _s, pk: Document.objects.filter(pk=pk).prefetch_related("tags"),
            (int,),
            "Prefetches",
        ),
        (lambda _s, pk: Document.objects.filter(pk=pk).values(), (int,), "Only"),
        (lambda _s, at: Document.objects.filter(pk=1), (float,), "int, str"),
        (
            lambda _s, name: Document.objects.filter(title=name.lower()),
            (str,),
            "does not reach",
        ),
    ],
    ids=["rewritten", "inlined", "prefetch", "values", "kind", "lowered"],
)
def test_a_query_whose_values_cannot_be_put_in_place_is_refused(
    db, make, kinds, message
):
    with pytest.raises(NotPreparable, match=message):
        Prepared(make, *kinds)(*(kind(1) for kind in kinds))


def test_a_session_lives_until_it_expires(client, project, members):
    client.force_login(members["viewer"])
    url = reverse("corpus:project_detail", args=[project.slug])
    assert client.get(url).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_non_member_and_a_trashed_project_get_404(client, project, members):
    url = reverse("corpus:project_detail", args=[project.slug])
    client.force_login(members["outsider"])
    assert client.get(url).status_code == 404
    client.force_login(members["owner"])
    project.trashed_at = timezone.now()
    project.save(update_fields=["trashed_at"])
    assert client.get(url).status_code == 404


def test_a_session_begun_under_djangos_own_backend_stays_signed_in(
    client, project, members
):
    from django.contrib.auth import BACKEND_SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore as DjangoStore

    client.force_login(members["viewer"])
    key = client.cookies["sessionid"].value
    before = DjangoStore(session_key=key)  # as a session written before this store
    assert before[BACKEND_SESSION_KEY] == "config.sessions.AccountBackend"
    before[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    before.save()
    url = reverse("corpus:project_detail", args=[project.slug])
    assert client.get(url).status_code == 200


def test_a_deactivated_account_is_signed_out(client, project, members):
    client.force_login(members["viewer"])
    url = reverse("corpus:project_detail", args=[project.slug])
    assert client.get(url).status_code == 200
    members["viewer"].is_active = False
    members["viewer"].save(update_fields=["is_active"])
    assert client.get(url).status_code == 302


def test_a_case_blind_match_finds_what_the_orm_finds_or_is_refused(project):
    # SQLite compares with LIKE, escaping the value's wildcards: refused there.
    # PostgreSQL compares UPPER() of both: the value goes as it is.
    for title in ("50%_done", "50xxdone"):
        make_document(project=project, title=title, paragraphs=[f"Text of {title}."])
    titled = Prepared(
        lambda _shape, name: Document.objects.filter(title__iexact=name), str
    )
    try:
        found = titled("50%_DONE")
    except NotPreparable:
        assert connection.vendor == "sqlite"
        return
    assert [d.title for d in found] == ["50%_done"]


def test_a_lock_outside_a_transaction_is_refused_every_time(transactional_db):
    from django.db import transaction
    from django.db.transaction import TransactionManagementError

    document_lock = Prepared(
        lambda _shape, pk: Document.objects.select_for_update().filter(pk=pk), int
    )
    with transaction.atomic():
        document_lock(1)  # compiled here, in a transaction
    if not connection.features.has_select_for_update:
        return  # SQLite: no row locks; the whole database is the write's
    with pytest.raises(TransactionManagementError):
        document_lock(1)
