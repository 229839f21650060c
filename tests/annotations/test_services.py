"""Annotation services: anchors checked, versions checked, nothing lost."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations import reading, services
from annotations.models import Annotation, DocumentCounters, Reply, Tag, Visibility
from corpus.conflicts import EditConflict
from corpus.models import Membership
from tests.factories import make_annotation, make_document, make_project, make_user

TEXT = "El Chapo 😀 escaped.\n\nThe tunnel was a mile long."


@pytest.fixture
def doc(project):
    return make_document(project=project, paragraphs=TEXT.split("\n\n"))


def _create(doc, author, exact="tunnel", **kwargs):
    return make_annotation(doc, author, exact, **kwargs)


def test_create_stores_the_quote_and_its_context(doc, owner):
    annotation = _create(doc, owner, "escaped", body="**Twice**")
    annotation.refresh_from_db()
    assert doc.text[annotation.start : annotation.end] == "escaped"
    assert annotation.prefix == "El Chapo 😀 "
    assert annotation.suffix.startswith(".\n\nThe tunnel")
    assert annotation.version == 1
    assert annotation.status == "submitted"


def test_offsets_count_code_points_after_an_astral_character(doc, owner):
    annotation = _create(doc, owner, "escaped")
    # "El Chapo " is 9 code points, the emoji one more, then a space.
    assert annotation.start == 11


def test_create_rejects_quote_that_does_not_match_text(doc, owner):
    with pytest.raises(ValidationError, match="does not match the document"):
        services.create_annotation(
            document=doc, author=owner, start=0, end=8, exact="El Chapx"
        )
    assert not Annotation.objects.exists()


@pytest.mark.parametrize(
    ("start", "end"), [(-1, 3), (5, 5), (8, 3), (0, len(TEXT) + 1)]
)
def test_create_rejects_ranges_outside_the_text(doc, owner, start, end):
    with pytest.raises(ValidationError):
        services.create_annotation(
            document=doc,
            author=owner,
            start=start,
            end=end,
            exact=doc.text[max(start, 0) : max(end, 0)],
        )
    assert not Annotation.objects.exists()


def test_create_rejects_a_selection_of_spaces_only(project, owner):
    doc = make_document(project=project, paragraphs=["a   b"])
    with pytest.raises(ValidationError, match="not only spaces"):
        services.create_annotation(
            document=doc, author=owner, start=1, end=4, exact="   "
        )


def test_database_refuses_an_empty_range(doc, owner):
    annotation = _create(doc, owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.filter(pk=annotation.pk).update(end=annotation.start)


def test_tags_of_another_project_are_refused(doc, owner):
    foreign = Tag.objects.create(project=make_project(), name="elsewhere")
    with pytest.raises(ValidationError, match="another project"):
        _create(doc, owner, tags=[foreign])
    assert not Annotation.objects.exists()


def test_every_change_bumps_the_document_revision(doc, owner):
    annotation = _create(doc, owner)
    first = DocumentCounters.objects.get(document=doc).every
    assert annotation.revision == first > 0
    services.create_reply(annotation=annotation, author=owner, body="Agreed.")
    assert DocumentCounters.objects.get(document=doc).every == first + 1
    assert Annotation.objects.get(pk=annotation.pk).revision == first + 1


def test_an_edit_from_an_old_version_is_refused_and_overwrites_nothing(doc, members):
    annotation = _create(doc, members["annotator"], body="First")
    services.update_annotation(
        annotation=annotation,
        editor=members["curator"],
        version=1,
        body="Curator's fix",
        tags=[],
        visibility=Visibility.PROJECT,
    )
    with pytest.raises(services.EditConflict) as conflict:
        services.update_annotation(
            annotation=annotation,
            editor=members["curator"],
            version=1,
            body="Stale edit",
            tags=[],
            visibility=Visibility.PROJECT,
        )
    assert conflict.value.current.body == "Curator's fix"
    fresh = Annotation.objects.get(pk=annotation.pk)
    assert (fresh.body, fresh.version) == ("Curator's fix", 2)


def test_delete_is_soft_and_recorded(doc, members):
    annotation = _create(doc, members["annotator"])
    services.delete_annotation(annotation=annotation, by=members["curator"])
    row = Annotation.objects.get(pk=annotation.pk)
    assert row.deleted_at is not None
    assert row.deleted_by == members["curator"]
    assert not Annotation.objects.visible_to(members["curator"]).exists()


def test_private_annotation_is_visible_to_its_author_only(doc, members):
    annotation = _create(doc, members["annotator"], visibility=Visibility.PRIVATE)
    assert list(Annotation.objects.visible_to(members["annotator"])) == [annotation]
    for other in ("owner", "curator", "viewer", "outsider"):
        assert not Annotation.objects.visible_to(members[other]).exists()


def test_reply_edit_conflict_and_soft_delete(doc, owner):
    annotation = _create(doc, owner)
    reply = services.create_reply(annotation=annotation, author=owner, body=" Hi ")
    assert reply.body == "Hi"
    services.update_reply(reply=reply, version=1, body="Hello")
    with pytest.raises(services.EditConflict):
        services.update_reply(reply=reply, version=1, body="Stale")
    services.delete_reply(reply=reply, by=owner)
    assert Reply.objects.get(pk=reply.pk).body == "Hello"
    assert not Reply.objects.visible_to(owner).exists()


def test_empty_reply_is_refused(doc, owner):
    annotation = _create(doc, owner)
    with pytest.raises(ValidationError):
        services.create_reply(annotation=annotation, author=owner, body="   ")
    assert not Reply.objects.exists()


def test_tags_are_matched_without_regard_to_case(project):
    first = services.get_or_create_tag(project=project, name="Prison  escapes")
    again = services.get_or_create_tag(project=project, name="prison escapes")
    assert first == again
    assert first.name == "Prison escapes"
    assert Tag.objects.count() == 1


def test_a_deletion_of_a_version_refuses_a_newer_one(project, members, document):
    note = make_annotation(document, members["annotator"], "First")
    read = note.version
    services.update_annotation(
        annotation=note,
        editor=members["curator"],
        version=read,
        body="Edited meanwhile.",
        tags=[],
        visibility=note.visibility,
    )
    with pytest.raises(EditConflict):
        services.delete_annotation(
            annotation=note, by=members["annotator"], version=read
        )
    assert Annotation.objects.get(pk=note.pk).deleted_at is None


@pytest.mark.django_db(transaction=True)
def test_a_row_read_in_an_earlier_transaction_is_read_again_before_a_write():
    """On SQLite a write does not read again a row its caller read in the same
    transaction (the database is the transaction's since it began); one read
    before it began may have changed, and is read again."""
    project = make_project()
    curator = make_user("cur", project=project, role="curator")
    document = make_document(project=project)
    note = make_annotation(document, curator, "First")
    membership = Membership.objects.select_related("project").get(user=curator)

    with transaction.atomic():
        stale = reading.member_annotation(membership, note.pk)
    Annotation.objects.filter(pk=note.pk).update(deleted_at=timezone.now())
    with transaction.atomic(), pytest.raises(ValidationError, match="deleted"):
        services.set_status(annotation=stale, by=curator, status="approved")

    Annotation.objects.filter(pk=note.pk).update(deleted_at=None)
    with transaction.atomic():
        fresh = reading.member_annotation(membership, note.pk)
        with CaptureQueriesContext(connection) as queries:
            decided = services.set_status(
                annotation=fresh, by=curator, status="approved"
            )
    row = 'SELECT "annotations_annotation"."id"'
    reads = [q for q in queries if q["sql"].startswith(row)]
    assert len(reads) == (1 if connection.features.has_select_for_update else 0)
    assert decided.status == "approved"
    assert Annotation.objects.get(pk=note.pk).status == "approved"
