"""Admin screens for annotations: private ones stay private, lists stay cheap,
curation actions follow the project roles and leave their record.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services
from annotations.models import (
    AnnotationEvent,
    EventKind,
    RelationType,
    Status,
    Tag,
    Visibility,
)
from corpus.roles import Action, Role
from tests.conftest import STAFF_ROLES, roles_that
from tests.factories import make_annotation, make_document, make_project, make_user

MAY_MODERATE = roles_that(Action.MODERATE, superuser=True)
ANNOTATIONS = "admin:annotations_annotation_changelist"
TAGS = "admin:annotations_tag_changelist"
DECISIONS = [
    ("approve", Status.APPROVED),
    ("reject", Status.REJECTED),
    ("ask_for_revision", Status.NEEDS_REVISION),
]


@pytest.fixture
def doc(project):
    return make_document(project=project, paragraphs=["Alpha beta gamma delta."])


def _annotate(doc, author, exact, **kwargs):
    return make_annotation(doc, author, exact, **kwargs)


def _superuser(name="admin"):
    return make_user(name, is_staff=True, is_superuser=True)


def _staff(project, role: str):
    """A staff user with every annotations permission: only the role differs."""
    if role == "superuser":
        return _superuser("root")
    user = make_user(
        f"staff-{role}",
        project=None if role == "outsider" else project,
        role=Role.VIEWER if role == "outsider" else role,
        is_staff=True,
    )
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="annotations")
    )
    return user


def _choose(client, changelist, action, rows):
    """The first step: pick rows and an action on the change list."""
    return client.post(
        reverse(changelist),
        {"action": action, "index": "0", ACTION_CHECKBOX_NAME: [r.pk for r in rows]},
    )


def _confirm(client, changelist, action, rows, **fields):
    """The second step: the intermediate page's form, sent back."""
    return client.post(
        reverse(changelist),
        {
            "action": action,
            "apply": "yes",
            ACTION_CHECKBOX_NAME: [r.pk for r in rows],
            **fields,
        },
        follow=True,
    )


def _status_events(annotation):
    return list(
        AnnotationEvent.objects.filter(annotation=annotation, kind=EventKind.STATUS)
    )


def _row(html: str, text: str) -> str:
    """The change list row that contains `text`."""
    rows = [row for row in html.split("<tr") if text in row]
    assert len(rows) == 1, f"{len(rows)} rows contain {text!r}"
    return rows[0]


# Lists ---------------------------------------------------------------------------


def test_admin_list_hides_other_users_private_annotations(client, doc, members):
    _annotate(doc, members["annotator"], "Alpha", visibility=Visibility.PRIVATE)
    _annotate(doc, members["annotator"], "gamma")
    client.force_login(_superuser())
    html = client.get(reverse(ANNOTATIONS)).content.decode()
    assert "“gamma”" in html
    assert "“Alpha”" not in html


def test_list_shows_tags_and_live_reply_and_link_counts(client, doc, members):
    author = members["annotator"]
    tags = [
        services.get_or_create_tag(project=doc.project, name=name)
        for name in ("method", "claim")
    ]
    note = _annotate(doc, author, "beta", tags=tags)
    for body in ("one", "two", "gone"):
        reply = services.create_reply(annotation=note, author=author, body=body)
    services.delete_reply(reply=reply, by=author)
    supports = RelationType.objects.offered_in(doc.project).get(name="supports")
    other = _annotate(doc, author, "gamma")
    services.create_link(
        source=note, author=author, relation=supports, target_annotation=other
    )
    services.create_link(
        source=_annotate(doc, author, "delta"),
        author=author,
        relation=supports,
        target_annotation=note,
    )
    deleted = services.create_link(
        source=note, author=author, relation=supports, target_document=doc
    )
    services.delete_link(link=deleted, by=author)
    # A deleted passage's link is gone with it.
    dropped = _annotate(doc, author, "Alpha")
    services.create_link(
        source=dropped, author=author, relation=supports, target_annotation=note
    )
    services.delete_annotation(annotation=dropped, by=author)
    # Links with someone else's private passage: the admin does not count them.
    private = _annotate(doc, members["curator"], "gamma", visibility=Visibility.PRIVATE)
    services.create_link(
        source=private,
        author=members["curator"],
        relation=supports,
        target_annotation=note,
    )
    services.create_link(
        source=note, author=author, relation=supports, target_annotation=private
    )
    client.force_login(_superuser())
    row = _row(client.get(reverse(ANNOTATIONS)).content.decode(), "“beta”")
    assert '<td class="field-reply_count">2</td>' in row
    assert '<td class="field-link_count">2</td>' in row
    assert '<td class="field-tag_names">claim, method</td>' in row


def _grow(doc, author, words):
    """For each word: an annotation with a tag, a reply and a link of a new type."""
    for word in words:
        tag = services.get_or_create_tag(project=doc.project, name=f"tag-{word}")
        note = _annotate(doc, author, word, tags=[tag])
        services.create_reply(annotation=note, author=author, body="ok")
        relation = RelationType.objects.create(project=doc.project, name=f"r-{word}")
        services.create_link(
            source=note, author=author, relation=relation, target_document=doc
        )


@pytest.mark.parametrize(
    "name", ["annotation", "tag", "reply", "link", "relationtype", "annotationevent"]
)
def test_changelist_queries_do_not_grow_with_rows(client, doc, members, name):
    client.force_login(_superuser())
    url = reverse(f"admin:annotations_{name}_changelist")
    _grow(doc, members["owner"], ["beta"])
    with CaptureQueriesContext(connection) as few:
        shown = client.get(url).context["cl"].result_count
    _grow(doc, members["owner"], ["Alpha", "gamma", "delta"])
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).context["cl"].result_count > shown
    assert len(many) == len(few)


def test_link_admin_hides_links_touching_others_private_annotations(
    client, doc, members
):
    author = members["annotator"]
    supports = RelationType.objects.offered_in(doc.project).get(name="supports")
    shared = _annotate(doc, author, "beta")
    private = _annotate(doc, author, "gamma", visibility=Visibility.PRIVATE)
    for source, target, note in [
        (shared, None, "shown-link"),
        (private, None, "hidden-from-private"),
        (shared, private, "hidden-to-private"),
    ]:
        services.create_link(
            source=source,
            author=author,
            relation=supports,
            target_annotation=target,
            target_document=None if target else doc,
            note=note,
        )
    client.force_login(_superuser())
    html = client.get(
        reverse("admin:annotations_link_changelist"), {"q": "link"}
    ).content.decode()
    assert "“beta”" in html
    assert "1 link" in html
    author.is_staff = author.is_superuser = True
    author.save()
    client.force_login(author)
    html = client.get(reverse("admin:annotations_link_changelist")).content.decode()
    assert "3 links" in html


# The annotation page -----------------------------------------------------------


def test_quote_in_context_is_escaped(client, project, members):
    doc = make_document(
        project=project,
        paragraphs=["<script>alert(1)</script> <i>quoted</i> words <b>after</b>."],
    )
    note = _annotate(doc, members["annotator"], "<i>quoted</i>")
    client.force_login(_superuser())
    html = client.get(
        reverse("admin:annotations_annotation_change", args=[note.pk])
    ).content.decode()
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; <mark>&lt;i&gt;quoted&lt;/i&gt;</mark>"
        " words &lt;b&gt;after&lt;/b&gt;." in html
    )
    assert "<script>alert(1)" not in html


def test_history_is_read_only_in_the_admin(client, doc, members):
    note = _annotate(doc, members["owner"], "beta")
    client.force_login(_superuser())
    assert (
        client.get(reverse("admin:annotations_annotationevent_changelist")).status_code
        == 200
    )
    event = note.events.get()
    change = reverse("admin:annotations_annotationevent_change", args=[event.pk])
    response = client.post(change, {"reason": "rewritten"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.reason == ""
    html = client.get(
        reverse("admin:annotations_annotation_change", args=[note.pk])
    ).content.decode()
    assert "Created" in html


def _change_form(annotation, **fields) -> dict:
    data = {
        "body": annotation.body,
        "visibility": annotation.visibility,
        "tags": [tag.pk for tag in annotation.tags.all()],
        "version": annotation.version,
    }
    for prefix in ("replies", "links_out", "events"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data | fields


def test_editing_a_note_in_the_admin_is_recorded_in_its_history(client, doc, members):
    note = _annotate(doc, members["annotator"], "beta", body="old")
    admin = _superuser()
    client.force_login(admin)
    url = reverse("admin:annotations_annotation_change", args=[note.pk])
    response = client.post(url, _change_form(note, body="new", status="approved"))
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.body, note.version, note.status) == ("new", 2, Status.SUBMITTED)
    event = note.events.get(kind=EventKind.NOTE)
    assert (event.actor, event.before, event.after) == (admin, "old", "new")


def test_a_deleted_annotation_is_read_only_in_the_admin(client, doc, members):
    note = _annotate(doc, members["annotator"], "beta", body="kept")
    services.delete_annotation(annotation=note, by=members["annotator"])
    client.force_login(_superuser())
    url = reverse("admin:annotations_annotation_change", args=[note.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, _change_form(note, body="new")).status_code == 403
    note.refresh_from_db()
    assert note.body == "kept"


def test_admin_edit_refuses_a_tag_of_another_project(client, doc, members):
    note = _annotate(doc, members["annotator"], "beta")
    elsewhere = services.get_or_create_tag(project=make_project(), name="foreign")
    client.force_login(_superuser())
    url = reverse("admin:annotations_annotation_change", args=[note.pk])
    response = client.post(url, _change_form(note, tags=[elsewhere.pk]))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert list(note.tags.all()) == []


# Curation actions --------------------------------------------------------------


@pytest.mark.parametrize(("action", "status"), DECISIONS)
@pytest.mark.parametrize("role", STAFF_ROLES)
def test_decision_actions_follow_the_role_matrix(
    client, doc, members, project, role, action, status
):
    note = _annotate(doc, members["annotator"], "beta")
    staff = _staff(project, role)
    client.force_login(staff)
    page = _choose(client, ANNOTATIONS, action, [note])
    response = _confirm(client, ANNOTATIONS, action, [note], reason="Checked it.")
    note.refresh_from_db()
    events = _status_events(note)
    if role in MAY_MODERATE:
        assert page.status_code == 200
        assert 'name="reason"' in page.content.decode()
        assert note.status == status
        assert [(e.actor, e.before, e.after, e.reason) for e in events] == [
            (staff, Status.SUBMITTED, status, "Checked it.")
        ]
    else:
        assert page.status_code == 302
        assert note.status == Status.SUBMITTED
        assert events == []
        assert "Nothing was changed" in response.content.decode()


@pytest.mark.parametrize("action", ["reject", "ask_for_revision"])
def test_decision_without_a_reason_changes_nothing_and_says_why(
    client, doc, members, action
):
    note = _annotate(doc, members["annotator"], "beta")
    client.force_login(_staff(doc.project, "curator"))
    response = _confirm(client, ANNOTATIONS, action, [note], reason="   ")
    assert response.status_code == 200
    assert "Say why" in response.content.decode()
    assert response.templates[0].name == "admin/annotations/annotation/decide.html"
    note.refresh_from_db()
    assert note.status == Status.SUBMITTED
    assert _status_events(note) == []


def test_approval_needs_no_reason(client, doc, members):
    notes = [_annotate(doc, members["annotator"], word) for word in ("beta", "gamma")]
    client.force_login(_staff(doc.project, "curator"))
    response = _confirm(client, ANNOTATIONS, "approve", notes, reason="")
    assert "2 annotation(s) marked “Approved”" in response.content.decode()
    for note in notes:
        note.refresh_from_db()
        assert note.status == Status.APPROVED
        assert [e.reason for e in _status_events(note)] == [""]


def test_the_reason_shows_in_the_annotation_history(client, doc, members):
    note = _annotate(doc, members["annotator"], "beta")
    client.force_login(_staff(doc.project, "owner"))
    _confirm(client, ANNOTATIONS, "ask_for_revision", [note], reason="Cite the page.")
    html = client.get(
        reverse("admin:annotations_annotation_change", args=[note.pk])
    ).content.decode()
    assert "Cite the page." in html
    assert "Needs revision" in html


def test_a_decision_on_rows_of_a_project_one_is_not_a_member_of_changes_none(
    client, doc, members
):
    mine = _annotate(doc, members["annotator"], "beta")
    other_project = make_project()
    stranger = make_user("stranger", project=other_project, role=Role.ANNOTATOR)
    theirs = _annotate(
        make_document(project=other_project, paragraphs=["Far away."]), stranger, "Far"
    )
    client.force_login(_staff(doc.project, "curator"))
    response = _confirm(client, ANNOTATIONS, "approve", [mine, theirs], reason="")
    assert "some of the selected annotations are gone" in response.content.decode()
    for note in (mine, theirs):
        note.refresh_from_db()
        assert note.status == Status.SUBMITTED


def test_a_decision_including_a_hidden_annotation_changes_none(client, doc, members):
    shared = _annotate(doc, members["annotator"], "beta")
    private = _annotate(
        doc, members["annotator"], "gamma", visibility=Visibility.PRIVATE
    )
    client.force_login(_staff(doc.project, "curator"))
    response = _confirm(client, ANNOTATIONS, "approve", [shared, private], reason="")
    assert "some of the selected annotations are gone" in response.content.decode()
    for note in (shared, private):
        note.refresh_from_db()
        assert note.status == Status.SUBMITTED


def test_a_decision_including_a_deleted_annotation_changes_none(client, doc, members):
    live = _annotate(doc, members["annotator"], "beta")
    gone = _annotate(doc, members["annotator"], "gamma")
    services.delete_annotation(annotation=gone, by=members["annotator"])
    client.force_login(_staff(doc.project, "curator"))
    response = _confirm(client, ANNOTATIONS, "reject", [live, gone], reason="No.")
    assert "This annotation was deleted." in response.content.decode()
    live.refresh_from_db()
    assert live.status == Status.SUBMITTED
    assert _status_events(live) == []


# Tag merge ---------------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_tag_merge_follows_the_role_matrix(client, doc, members, project, role):
    keep, merged = (
        services.get_or_create_tag(project=project, name=name)
        for name in ("evidence", "proof")
    )
    note = _annotate(doc, members["annotator"], "beta", tags=[merged])
    staff = _staff(project, role)
    client.force_login(staff)
    page = _choose(client, TAGS, "merge", [keep, merged])
    response = _confirm(client, TAGS, "merge", [keep, merged], into=keep.pk)
    if role in MAY_MODERATE:
        assert page.status_code == 200
        assert f'value="{keep.pk}"' in page.content.decode()
        assert list(note.tags.all()) == [keep]
        assert not Tag.objects.filter(pk=merged.pk).exists()
        event = note.events.get(kind=EventKind.TAGS)
        assert (event.actor, event.before, event.after) == (
            staff,
            ["proof"],
            ["evidence"],
        )
    else:
        assert page.status_code == 302
        assert "Nothing was changed" in response.content.decode()
        assert list(note.tags.all()) == [merged]
        assert Tag.objects.filter(pk__in=[keep.pk, merged.pk]).count() == 2


def test_tag_merge_refuses_tags_of_several_projects(client, doc, members, project):
    here = services.get_or_create_tag(project=project, name="here")
    there = services.get_or_create_tag(project=make_project(), name="there")
    client.force_login(_superuser())
    response = _confirm(client, TAGS, "merge", [here, there], into=here.pk)
    assert "tags of several cannot be merged" in response.content.decode()
    assert Tag.objects.filter(pk__in=[here.pk, there.pk]).count() == 2


def test_tag_merge_needs_a_chosen_tag(client, project):
    tags = [services.get_or_create_tag(project=project, name=n) for n in "ab"]
    client.force_login(_superuser())
    response = _confirm(client, TAGS, "merge", tags)
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert Tag.objects.filter(project=project).count() == 2


def test_tag_parent_must_be_of_the_same_project_and_not_a_loop(client, project):
    top = services.get_or_create_tag(project=project, name="top")
    child = services.get_or_create_tag(project=project, name="child")
    services.set_tag_parent(tag=child, parent=top)
    foreign = services.get_or_create_tag(project=make_project(), name="foreign")
    client.force_login(_superuser())
    url = reverse("admin:annotations_tag_change", args=[top.pk])
    form = {"name": "top", "colour": "#f2c94c", "description": "", "version": 1}
    response = client.post(url, form | {"parent": foreign.pk})
    assert "Select a valid choice" in response.content.decode()
    response = client.post(url, form | {"parent": child.pk})
    assert "a loop" in response.content.decode()
    top.refresh_from_db()
    assert top.parent is None
    assert client.post(url, form | {"parent": ""}).status_code == 302


def test_tag_list_shows_parent_and_live_usage(client, doc, members, project):
    top = services.get_or_create_tag(project=project, name="top")
    child = services.get_or_create_tag(project=project, name="child")
    services.set_tag_parent(tag=child, parent=top)
    _annotate(doc, members["annotator"], "beta", tags=[child])
    gone = _annotate(doc, members["annotator"], "gamma", tags=[child])
    services.delete_annotation(annotation=gone, by=members["annotator"])
    client.force_login(_superuser())
    row = _row(client.get(reverse(TAGS)).content.decode(), ">child<")
    assert '<td class="field-parent nowrap">top</td>' in row
    assert '<td class="field-usage">1</td>' in row
