"""The one visibility rule (annotations/permissions.py) says the same in each of
its forms: for a user across projects, for one membership, for one row
(audience_of, which the polling counters use, and shown_to, which a write's
answer counts with), and over the search index's copy of what it reads."""

from __future__ import annotations

import pytest

from annotations import permissions
from annotations.models import Annotation, SearchEntry, SearchKind, Status, Visibility
from annotations.permissions import Audience
from corpus.models import Membership
from tests.conftest import ROLES
from tests.factories import make_annotation, make_document


@pytest.mark.parametrize("premoderation", [False, True])
def test_each_form_of_the_rule_shows_the_same_annotations(
    project, members, premoderation
):
    project.premoderation = premoderation
    project.save()
    document = make_document(
        project=project, paragraphs=["one two three four five six seven eight"]
    )
    author = members["annotator"]
    made = []
    for word, visibility, status in [
        ("one", Visibility.PROJECT, Status.SUBMITTED),
        ("two", Visibility.PROJECT, Status.APPROVED),
        ("three", Visibility.PROJECT, Status.REJECTED),
        ("four", Visibility.PRIVATE, Status.SUBMITTED),
        ("five", Visibility.PRIVATE, Status.APPROVED),
    ]:
        annotation = make_annotation(document, author, word, visibility=visibility)
        Annotation.objects.filter(pk=annotation.pk).update(status=status)
        annotation.status = status
        made.append(annotation)
    for role in ROLES:
        user = members[role]
        membership = Membership.objects.select_related("project").get(
            project=project, user=user
        )
        across = set(
            Annotation.objects.visible_to(user)
            .filter(project=project)
            .values_list("pk", flat=True)
        )
        member = set(
            Annotation.objects.shown_to_member(membership).values_list("pk", flat=True)
        )
        one_by_one = {a.pk for a in made if permissions.shown_to(membership, a)}
        # Each note's search entry copies what the rule reads (the status was
        # written straight to the table above: a trigger copied it).
        in_the_index = set(
            SearchEntry.objects.filter(kind=SearchKind.NOTE)
            .filter(permissions.shown_to_member_filter(membership))
            .values_list("annotation_id", flat=True)
        )
        by_row = set()
        for annotation in made:
            audience = permissions.audience_of(
                visibility=annotation.visibility,
                status=annotation.status,
                premoderation=premoderation,
            )
            if (
                user.pk == annotation.author_id
                or audience == Audience.EVERYONE
                or (audience == Audience.CURATORS and membership.moderates)
            ):
                by_row.add(annotation.pk)
        assert across == member == by_row == one_by_one == in_the_index, role
    gone = made[1]
    gone.deleted_at = gone.created_at
    assert not permissions.shown_to(membership, gone)
