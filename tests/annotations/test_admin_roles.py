"""The annotations admin follows the project roles and the one visibility rule
(visible_filter): each role sees exactly the annotations, replies, links,
history, tags and relation types the app shows it (deleted rows too, for
curators and owners), changes them as the role matrix allows, and meets rows of
other projects nowhere. Staff users hold every model permission, so these
tests prove the role check.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotations import services
from annotations.models import (
    Annotation,
    AnnotationEvent,
    Link,
    RelationType,
    Reply,
    Tag,
    Visibility,
)
from corpus.models import Project
from corpus.roles import Action, Role
from tests.conftest import ROLES as MEMBER_ROLES
from tests.conftest import roles_that
from tests.corpus.test_admin_roles import (
    ROLES,
    answers_as_for_a_missing_row,
    form_data,
    is_hidden,
    staff_user,
)
from tests.factories import make_annotation, make_document, make_project, make_user

MEMBERS = set(MEMBER_ROLES)
MODERATORS = roles_that(Action.MODERATE, superuser=True)


@pytest.fixture
def world(db):
    """Two projects; staff users in every role of `here`; in each project
    annotations, replies, links, tags and relation types, shared, private and
    deleted."""
    here = make_project(name="Project Heron")
    there = make_project(name="Project Zanzibar")
    staff = {role: staff_user(here, role) for role in ROLES}
    writer = make_user("writer", project=here, role=Role.ANNOTATOR)
    stranger = make_user("stranger", project=there, role=Role.OWNER)
    doc = make_document(project=here, paragraphs=["Alpha beta gamma delta epsilon."])
    far = make_document(project=there, paragraphs=["Far away words."])
    claim = services.get_or_create_tag(project=here, name="claim")
    foreign = services.get_or_create_tag(project=there, name="foreign")
    notes = {
        "shared": make_annotation(doc, writer, "beta", tags=[claim]),
        "private": make_annotation(
            doc, writer, "gamma", tags=[claim], visibility=Visibility.PRIVATE
        ),
        "deleted": make_annotation(doc, writer, "delta"),
        "own": make_annotation(
            doc, staff["annotator"], "Alpha", tags=[claim], visibility="private"
        ),
        "far": make_annotation(far, stranger, "Far", tags=[foreign]),
    }
    replies = {
        "live": services.create_reply(
            annotation=notes["shared"], author=writer, body="A live reply."
        ),
        "deleted": services.create_reply(
            annotation=notes["shared"], author=writer, body="A deleted reply."
        ),
        "on_deleted": services.create_reply(
            annotation=notes["deleted"], author=writer, body="On a deleted note."
        ),
        "on_private": services.create_reply(
            annotation=notes["private"], author=writer, body="On a private note."
        ),
        "far": services.create_reply(
            annotation=notes["far"], author=stranger, body="Far away."
        ),
    }
    supports = RelationType.objects.offered_in(here).get(name="supports")
    links = {
        "live": services.create_link(
            source=notes["shared"],
            author=writer,
            relation=supports,
            target_document=doc,
        ),
        "to_private": services.create_link(
            source=notes["shared"],
            author=writer,
            relation=supports,
            target_annotation=notes["private"],
        ),
        "deleted": services.create_link(
            source=notes["shared"],
            author=writer,
            relation=supports,
            target_url="https://example.org/",
        ),
        "far": services.create_link(
            source=notes["far"],
            author=stranger,
            relation=RelationType.objects.offered_in(there).get(name="supports"),
            target_document=far,
        ),
    }
    services.delete_reply(reply=replies["deleted"], by=writer)
    services.delete_annotation(annotation=notes["deleted"], by=writer)
    services.delete_link(link=links["deleted"], by=writer)
    return {
        "here": here,
        "there": there,
        "staff": staff,
        "writer": writer,
        "doc": doc,
        "tags": {"claim": claim, "foreign": foreign},
        "notes": notes,
        "replies": replies,
        "links": links,
    }


def _expected(role: str, table: dict[str, set[str]]) -> set[str]:
    if role in table:
        return table[role]
    return table["moderator" if role in ("owner", "curator") else "member"]


SEEN = {
    "annotation": {
        "superuser": {"shared", "deleted", "far"},
        "moderator": {"shared", "deleted"},
        "annotator": {"shared", "own"},
        "member": {"shared"},
        "outsider": set(),
    },
    "reply": {
        "superuser": {"live", "deleted", "on_deleted", "far"},
        "moderator": {"live", "deleted", "on_deleted"},
        "member": {"live"},
        "outsider": set(),
    },
    "link": {
        "superuser": {"live", "deleted", "far"},
        "moderator": {"live", "deleted"},
        "member": {"live"},
        "outsider": set(),
    },
}


def _rows(client, model: str, **params) -> set[int]:
    response = client.get(reverse(f"admin:annotations_{model}_changelist"), params)
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


def _action(client, model: str, action: str, rows, **fields):
    return client.post(
        reverse(f"admin:annotations_{model}_changelist"),
        {
            "action": action,
            "index": "0",
            ACTION_CHECKBOX_NAME: [row.pk for row in rows],
            **fields,
        },
        follow=True,
    )


def _change(client, model: str, row, **changes):
    """Send the change form of `row` as loaded, with `changes`; a page that
    offers no form is posted to as it is (the admin refuses it)."""
    url = reverse(f"admin:annotations_{model}_change", args=[row.pk])
    page = client.get(url)
    data = form_data(page) if page.status_code == 200 else {}
    return client.post(url, data | {k: [v] for k, v in changes.items()})


# What each role sees ---------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", ["annotation", "reply", "link"])
def test_each_role_sees_exactly_what_the_app_shows_it(client, world, model, role):
    client.force_login(world["staff"][role])
    rows = world[{"annotation": "notes", "reply": "replies", "link": "links"}[model]]
    expected = {rows[name].pk for name in _expected(role, SEEN[model])}
    assert _rows(client, model) == expected


@pytest.mark.parametrize("role", ROLES)
def test_the_history_is_seen_with_its_annotation(client, world, role):
    client.force_login(world["staff"][role])
    notes = [world["notes"][n] for n in _expected(role, SEEN["annotation"])]
    expected = set(
        AnnotationEvent.objects.filter(annotation__in=notes).values_list(
            "pk", flat=True
        )
    )
    assert expected or role == "outsider"
    assert _rows(client, "annotationevent") == expected


@pytest.mark.parametrize("role", ROLES)
def test_tags_and_relation_types_are_listed_to_their_projects_members(
    client, world, role
):
    client.force_login(world["staff"][role])
    projects = {
        "superuser": [world["here"], world["there"]],
        "outsider": [],
    }.get(role, [world["here"]])
    for model in (Tag, RelationType):
        expected = set(
            model.objects.filter(project__in=projects).values_list("pk", flat=True)
        )
        assert _rows(client, model._meta.model_name) == expected


@pytest.mark.parametrize("role", ROLES)
def test_the_tag_list_counts_only_annotations_one_may_see(client, world, role):
    claim = world["tags"]["claim"]
    client.force_login(world["staff"][role])
    response = client.get(reverse("admin:annotations_tag_changelist"))
    usage = {tag.pk: tag.usage for tag in response.context["cl"].result_list}
    # "claim" is on a shared note, the writer's private note and the staff
    # annotator's own private note.
    expected = {"annotator": 2, "outsider": None}.get(role, 1)
    assert usage.get(claim.pk) == expected


def test_the_relation_list_counts_only_links_one_may_see(client, world):
    supports = world["links"]["live"].relation
    client.force_login(world["staff"]["curator"])
    response = client.get(reverse("admin:annotations_relationtype_changelist"))
    usage = {row.pk: row.usage for row in response.context["cl"].result_list}
    # The live link to a document; not the deleted one, nor the one that ends
    # on the writer's private note.
    assert usage[supports.pk] == 1


ROWS_OF_THERE = {
    "annotation": lambda w: w["notes"]["far"],
    "reply": lambda w: w["replies"]["far"],
    "link": lambda w: w["links"]["far"],
    "tag": lambda w: w["tags"]["foreign"],
    "relationtype": lambda w: RelationType.objects.filter(project=w["there"]).first(),
    "annotationevent": lambda w: w["notes"]["far"].events.first(),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", list(ROWS_OF_THERE))
def test_another_projects_row_is_not_reachable(client, world, role, model):
    row = ROWS_OF_THERE[model](world)
    client.force_login(world["staff"][role])
    url = reverse(f"admin:annotations_{model}_change", args=[row.pk])
    if role == "superuser":
        assert client.get(url).status_code == 200
        return
    assert is_hidden(client.get(url))
    assert answers_as_for_a_missing_row(
        client, f"admin:annotations_{model}_change", row.pk, body="Taken over"
    )
    for page in ("change", "history", "delete"):
        assert answers_as_for_a_missing_row(
            client, f"admin:annotations_{model}_{page}", row.pk
        )


@pytest.mark.parametrize("role", ROLES)
def test_others_private_annotations_are_not_reachable_even_by_superusers(
    client, world, role
):
    private = world["notes"]["private"]
    client.force_login(world["staff"][role])
    for model, row in [
        ("annotation", private),
        ("reply", world["replies"]["on_private"]),
        ("link", world["links"]["to_private"]),
    ]:
        url = reverse(f"admin:annotations_{model}_change", args=[row.pk])
        assert is_hidden(client.get(url))


@pytest.mark.parametrize("role", ["owner", "viewer", "outsider"])
def test_list_filters_offer_only_ones_projects_tags_and_relations(client, world, role):
    client.force_login(world["staff"][role])
    ours = {world["here"].pk} if role != "outsider" else set()
    for model in ("annotation", "link", "tag", "relationtype"):
        response = client.get(reverse(f"admin:annotations_{model}_changelist"))
        assert "Project Zanzibar" not in response.content.decode()
        for spec in response.context["cl"].filter_specs:
            field = getattr(spec, "field", None)
            if field is None or not field.is_relation or field.name == "author":
                continue
            offered = {pk for pk, _label in spec.lookup_choices}
            related = field.related_model
            if related is Project:
                assert offered == ours
            else:
                assert (
                    set(
                        related.objects.filter(pk__in=offered).values_list(
                            "project", flat=True
                        )
                    )
                    <= ours
                )


# What each role may change ---------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_editing_anothers_note_follows_the_role_matrix(client, world, role):
    note = world["notes"]["shared"]
    client.force_login(world["staff"][role])
    response = _change(client, "annotation", note, body="Edited in the admin.")
    note.refresh_from_db()
    if role in MODERATORS:
        assert response.status_code == 302
        assert (note.body, note.version) == ("Edited in the admin.", 2)
        assert note.updated_by == world["staff"][role]
    else:
        assert (note.body, note.version) == ("", 1)
        assert response.status_code == 403 if role in MEMBERS else is_hidden(response)


def test_an_author_edits_their_own_note(client, world):
    own = world["notes"]["own"]
    client.force_login(world["staff"]["annotator"])
    assert _change(client, "annotation", own, body="Mine.").status_code == 302
    own.refresh_from_db()
    assert own.body == "Mine."


def test_nothing_is_edited_in_an_archived_project(client, world):
    Project.objects.filter(pk=world["here"].pk).update(archived_at=timezone.now())
    note = world["notes"]["shared"]
    client.force_login(world["staff"]["curator"])
    assert _change(client, "annotation", note, body="Late.").status_code == 403
    tag = world["tags"]["claim"]
    assert _change(client, "tag", tag, name="late").status_code == 403
    note.refresh_from_db()
    tag.refresh_from_db()
    assert (note.body, tag.name) == ("", "claim")


@pytest.mark.parametrize("role", ROLES)
def test_replies_links_and_history_are_never_edited_here(client, world, role):
    client.force_login(world["staff"][role])
    for model, row in [
        ("reply", world["replies"]["live"]),
        ("link", world["links"]["live"]),
        ("annotationevent", world["notes"]["shared"].events.first()),
    ]:
        url = reverse(f"admin:annotations_{model}_change", args=[row.pk])
        response = client.post(url, {"body": "Rewritten.", "note": "Rewritten."})
        if role == "outsider":
            assert answers_as_for_a_missing_row(
                client, f"admin:annotations_{model}_change", row.pk, body="x"
            )
        else:
            assert response.status_code == 403
    assert Reply.objects.get(pk=world["replies"]["live"].pk).body == "A live reply."
    assert Link.objects.get(pk=world["links"]["live"].pk).note == ""


@pytest.mark.parametrize("role", ROLES)
def test_tags_and_relation_types_are_changed_by_curators(client, world, role):
    tag = world["tags"]["claim"]
    relation = world["links"]["live"].relation
    client.force_login(world["staff"][role])
    tag_response = _change(client, "tag", tag, name="assertion")
    relation_response = _change(client, "relationtype", relation, name="backs")
    tag.refresh_from_db()
    relation.refresh_from_db()
    if role in MODERATORS:
        assert tag_response.status_code == relation_response.status_code == 302
        assert (tag.name, tag.version) == ("assertion", 2)
        assert (relation.name, relation.version) == ("backs", 2)
    else:
        assert (tag.name, tag.version) == ("claim", 1)
        assert (relation.name, relation.version) == ("supports", 1)


@pytest.mark.parametrize("role", ROLES)
def test_adding_tags_and_relation_types_follows_the_role_matrix(client, world, role):
    here = world["here"]
    client.force_login(world["staff"][role])
    page = client.get(reverse("admin:annotations_tag_add"))
    client.post(
        reverse("admin:annotations_tag_add"),
        {"project": here.pk, "name": "method", "colour": "#336699"},
    )
    client.post(
        reverse("admin:annotations_relationtype_add"),
        {"project": here.pk, "name": "refutes"},
    )
    added_tag = Tag.objects.filter(project=here, name="method").exists()
    added_relation = RelationType.objects.filter(project=here, name="refutes").exists()
    assert added_tag == added_relation == (role in MODERATORS)
    if role in MODERATORS:
        choices = page.context["adminform"].form["project"].field.queryset
        expected = {here.pk} if role != "superuser" else {here.pk, world["there"].pk}
        assert {p.pk for p in choices} == expected
    else:
        assert page.status_code == 403


def test_a_tag_is_not_added_to_a_project_one_does_not_curate(client, world):
    client.force_login(world["staff"]["curator"])
    response = client.post(
        reverse("admin:annotations_tag_add"),
        {"project": world["there"].pk, "name": "intruder", "colour": "#336699"},
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Tag.objects.filter(name="intruder").exists()


def test_a_tags_parent_is_chosen_among_its_projects_tags(client, world):
    claim = world["tags"]["claim"]
    method = services.get_or_create_tag(project=world["here"], name="method")
    client.force_login(world["staff"]["superuser"])
    page = client.get(reverse("admin:annotations_tag_change", args=[claim.pk]))
    choices = page.context["adminform"].form["parent"].field.queryset
    assert list(choices) == [method]


def test_an_author_deletes_their_own_reply_and_link(client, world):
    annotator = world["staff"]["annotator"]
    own = world["notes"]["own"]
    reply = services.create_reply(annotation=own, author=annotator, body="Mine.")
    link = services.create_link(
        source=own,
        author=annotator,
        relation=world["links"]["live"].relation,
        target_document=world["doc"],
    )
    client.force_login(annotator)
    assert (
        "Deleted 1 reply;"
        in _action(client, "reply", "soft_delete", [reply]).content.decode()
    )
    assert (
        "Deleted 1 link;"
        in _action(client, "link", "soft_delete", [link]).content.decode()
    )
    assert (
        "Deleted 1 annotation;"
        in _action(client, "annotation", "soft_delete", [own]).content.decode()
    )
    for row in (reply, link, own):
        row.refresh_from_db()
        assert row.deleted_by == annotator


# Lists stay cheap ------------------------------------------------------------


@pytest.mark.parametrize(
    "model", ["annotation", "tag", "reply", "link", "relationtype", "annotationevent"]
)
def test_changelist_queries_do_not_grow_with_rows_for_a_member(client, world, model):
    writer, doc = world["writer"], world["doc"]
    client.force_login(world["staff"]["curator"])
    url = reverse(f"admin:annotations_{model}_changelist")
    with CaptureQueriesContext(connection) as few:
        shown = client.get(url).context["cl"].result_count
    for word in ("Alpha", "gamma", "epsilon"):
        tag = services.get_or_create_tag(project=doc.project, name=f"t-{word}")
        note = make_annotation(doc, writer, word, tags=[tag])
        services.create_reply(annotation=note, author=writer, body="ok")
        relation = RelationType.objects.create(project=doc.project, name=f"r-{word}")
        services.create_link(
            source=note, author=writer, relation=relation, target_document=doc
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).context["cl"].result_count > shown
    assert len(many) == len(few)
    assert Annotation.objects.count() > 5
