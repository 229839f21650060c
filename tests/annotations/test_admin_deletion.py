"""Nothing is hard-deleted from the admin: annotations, replies and links are
deleted through their services (rows kept, for curators), by those who may
moderate the project; replies are read-only there, as their service edits them.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse

from annotations import links as link_reads
from annotations import services
from annotations.models import (
    Annotation,
    AnnotationEvent,
    EventKind,
    Link,
    RelationType,
    Reply,
    Visibility,
)
from corpus.models import Membership
from tests.annotations.test_admin import (
    MAY_MODERATE,
    STAFF_ROLES,
    _annotate,
    _change_form,
    _staff,
    _superuser,
)
from tests.factories import make_document, make_project, make_user

CHANGELISTS = {
    Annotation: "admin:annotations_annotation_changelist",
    Reply: "admin:annotations_reply_changelist",
    Link: "admin:annotations_link_changelist",
}


@pytest.fixture
def doc(project):
    return make_document(project=project, paragraphs=["Alpha beta gamma delta."])


@pytest.fixture
def thread(doc, members):
    """A note with a reply, linked to and from another note."""
    author = members["annotator"]
    note = _annotate(doc, author, "beta")
    other = _annotate(doc, author, "gamma")
    supports = RelationType.objects.offered_in(doc.project).get(name="supports")
    return {
        "note": note,
        "other": other,
        "reply": services.create_reply(annotation=note, author=author, body="Yes."),
        "link_out": services.create_link(
            source=note, author=author, relation=supports, target_annotation=other
        ),
        "link_in": services.create_link(
            source=other, author=author, relation=supports, target_annotation=note
        ),
    }


def _delete(client, rows):
    """Run the soft-delete action on `rows` (all of one model), as from the list."""
    return client.post(
        reverse(CHANGELISTS[type(rows[0])]),
        {
            "action": "soft_delete",
            "index": "0",
            ACTION_CHECKBOX_NAME: [row.pk for row in rows],
        },
        follow=True,
    )


def _live_links(project, user) -> set[int]:
    """The links `user` sees in the app."""
    membership = Membership.objects.select_related("project").get(
        project=project, user=user
    )
    return set(link_reads.live_links_for(membership).values_list("pk", flat=True))


def _refusal(role: str, noun: str) -> str:
    """Why nothing was deleted: a member's role; for a non-member, the row does
    not exist."""
    if role == "outsider":
        return f"Nothing was changed: some of the selected {noun} are gone."
    return "Nothing was changed: you may not delete 1 of the 1"


def _action_names(client, model) -> list[str]:
    form = client.get(reverse(CHANGELISTS[model])).context["action_form"]
    if form is None:  # no action left at all
        return []
    return [name for name, _ in form.fields["action"].choices]


# The role matrix ---------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_deleting_annotations_follows_the_role_matrix(
    client, project, members, thread, role
):
    note, links = thread["note"], {thread["link_out"].pk, thread["link_in"].pk}
    staff = _staff(project, role)
    client.force_login(staff)
    html = _delete(client, [note]).content.decode()
    note.refresh_from_db()
    deleted = AnnotationEvent.objects.filter(annotation=note, kind=EventKind.DELETED)
    seen = _live_links(project, members["owner"])
    if role in MAY_MODERATE:
        assert "Deleted 1 annotation;" in html
        assert note.deleted_at is not None
        assert note.deleted_by == staff
        assert [event.actor for event in deleted] == [staff]
        # As in the app: the links keep their rows but drop out with the note.
        assert links.isdisjoint(seen)
        assert Link.objects.filter(pk__in=links, deleted_at=None).count() == 2
    else:
        assert _refusal(role, "annotations") in html
        assert (note.deleted_at, note.deleted_by) == (None, None)
        assert not deleted.exists()
        assert links <= seen


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_deleting_replies_follows_the_role_matrix(
    client, project, members, thread, role
):
    reply = thread["reply"]
    staff = _staff(project, role)
    client.force_login(staff)
    html = _delete(client, [reply]).content.decode()
    reply.refresh_from_db()
    shown = Reply.objects.visible_to(members["owner"])
    if role in MAY_MODERATE:
        assert "Deleted 1 reply;" in html
        assert reply.deleted_at is not None
        assert reply.deleted_by == staff
        assert not shown.filter(pk=reply.pk).exists()
    else:
        assert _refusal(role, "replies") in html
        assert (reply.deleted_at, reply.deleted_by) == (None, None)
        assert shown.filter(pk=reply.pk).exists()
    assert reply.body == "Yes."


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_deleting_links_follows_the_role_matrix(client, project, members, thread, role):
    link = thread["link_out"]
    staff = _staff(project, role)
    client.force_login(staff)
    html = _delete(client, [link]).content.decode()
    link.refresh_from_db()
    unlinked = AnnotationEvent.objects.filter(
        annotation=thread["note"], kind=EventKind.UNLINK
    )
    seen = _live_links(project, members["owner"])
    if role in MAY_MODERATE:
        assert "Deleted 1 link;" in html
        assert link.deleted_at is not None
        assert link.deleted_by == staff
        assert [event.actor for event in unlinked] == [staff]
        assert seen == {thread["link_in"].pk}
    else:
        assert _refusal(role, "links") in html
        assert (link.deleted_at, link.deleted_by) == (None, None)
        assert not unlinked.exists()
        assert link.pk in seen


# All or nothing ----------------------------------------------------------------


def test_deleting_several_annotations_says_how_many(client, doc, members):
    notes = [_annotate(doc, members["annotator"], word) for word in ("beta", "delta")]
    client.force_login(_staff(doc.project, "curator"))
    html = _delete(client, notes).content.decode()
    assert "Deleted 2 annotations;" in html
    assert Annotation.objects.filter(pk__in=[n.pk for n in notes]).count() == 2
    assert not Annotation.objects.filter(
        pk__in=[n.pk for n in notes], deleted_at=None
    ).exists()


def test_deleting_rows_of_a_project_one_is_not_a_member_of_deletes_none(
    client, doc, members
):
    mine = _annotate(doc, members["annotator"], "beta")
    other_project = make_project()
    stranger = make_user("stranger", project=other_project, role="annotator")
    theirs = _annotate(
        make_document(project=other_project, paragraphs=["Far away."]), stranger, "Far"
    )
    client.force_login(_staff(doc.project, "curator"))
    html = _delete(client, [mine, theirs]).content.decode()
    assert "some of the selected annotations are gone" in html
    assert not Annotation.objects.exclude(deleted_at=None).exists()


def test_deleting_a_selection_with_a_deleted_annotation_deletes_none(
    client, doc, members
):
    live = _annotate(doc, members["annotator"], "beta")
    gone = _annotate(doc, members["annotator"], "gamma")
    services.delete_annotation(annotation=gone, by=members["annotator"])
    client.force_login(_staff(doc.project, "owner"))
    html = _delete(client, [live, gone]).content.decode()
    assert "Nothing was changed: 1 of the selected annotations was already" in html
    live.refresh_from_db()
    gone.refresh_from_db()
    assert live.deleted_at is None
    assert gone.deleted_by == members["annotator"]
    assert AnnotationEvent.objects.filter(kind=EventKind.DELETED).count() == 1


def test_deleting_an_already_deleted_link_keeps_who_deleted_it(client, members, thread):
    link = thread["link_out"]
    services.delete_link(link=link, by=members["annotator"])
    link.refresh_from_db()
    when = link.deleted_at
    client.force_login(_superuser())
    html = _delete(client, [link, thread["link_in"]]).content.decode()
    assert "Nothing was changed: 1 of the selected links was already" in html
    link.refresh_from_db()
    assert (link.deleted_at, link.deleted_by) == (when, members["annotator"])
    assert Link.objects.get(pk=thread["link_in"].pk).deleted_at is None
    assert AnnotationEvent.objects.filter(kind=EventKind.UNLINK).count() == 1


def test_deleting_a_hidden_annotation_deletes_none(client, doc, members):
    shared = _annotate(doc, members["annotator"], "beta")
    private = _annotate(
        doc, members["annotator"], "gamma", visibility=Visibility.PRIVATE
    )
    client.force_login(_staff(doc.project, "curator"))
    html = _delete(client, [shared, private]).content.decode()
    assert "some of the selected annotations are gone" in html
    assert not Annotation.objects.exclude(deleted_at=None).exists()


# No hard delete ----------------------------------------------------------------


@pytest.mark.parametrize("model", list(CHANGELISTS))
def test_the_built_in_delete_action_is_gone(client, project, model):
    staff = _staff(project, "owner")
    for user in (staff, _superuser()):
        client.force_login(user)
        names = _action_names(client, model)
        assert "delete_selected" not in names
        assert "soft_delete" in names


def test_the_delete_action_needs_the_models_delete_permission(client, project):
    staff = _staff(project, "owner")
    staff.user_permissions.remove(
        *Permission.objects.filter(codename__startswith="delete_")
    )
    client.force_login(staff)
    for model in CHANGELISTS:
        assert "soft_delete" not in _action_names(client, model)


@pytest.mark.parametrize("name", ["note", "reply", "link_out"])
def test_the_delete_page_removes_nothing(client, thread, name):
    row = thread[name]
    client.force_login(_superuser())
    opts = row._meta
    change = reverse(f"admin:annotations_{opts.model_name}_change", args=[row.pk])
    delete = reverse(f"admin:annotations_{opts.model_name}_delete", args=[row.pk])
    assert delete not in client.get(change).content.decode()
    assert client.post(delete, {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert row.deleted_at is None


# Replies are read-only -----------------------------------------------------------


def test_the_reply_inline_shows_the_body_but_does_not_edit_it(client, thread):
    note, reply = thread["note"], thread["reply"]
    client.force_login(_superuser())
    url = reverse("admin:annotations_annotation_change", args=[note.pk])
    html = client.get(url).content.decode()
    assert "Yes." in html
    assert 'name="replies-0-body"' not in html
    assert 'name="replies-0-DELETE"' not in html
    assert html.count("<textarea") == 1
    form = _change_form(note) | {
        "replies-TOTAL_FORMS": "1",
        "replies-INITIAL_FORMS": "1",
        "replies-0-id": str(reply.pk),
        "replies-0-annotation": str(note.pk),
        "replies-0-body": "Rewritten.",
        "replies-0-DELETE": "on",
    }
    assert client.post(url, form).status_code == 302
    reply.refresh_from_db()
    assert (reply.body, reply.version, reply.deleted_at) == ("Yes.", 1, None)


def test_the_reply_page_is_read_only(client, thread):
    reply = thread["reply"]
    client.force_login(_superuser())
    url = reverse("admin:annotations_reply_change", args=[reply.pk])
    html = client.get(url).content.decode()
    assert "Yes." in html
    assert 'name="body"' not in html
    assert client.post(url, {"body": "Rewritten."}).status_code == 403
    reply.refresh_from_db()
    assert (reply.body, reply.version) == ("Yes.", 1)
