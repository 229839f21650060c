"""The containers' counts (total, startIndex, the last page, modified) are kept
per worker while the project stays as it is: every change that alters what a
member sees must show at once, and pages read in turn must start where a
fresh count says."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations import export, services
from annotations.models import Annotation, RelationType, Visibility
from annotations.views import protocol
from corpus.models import Document, Membership, Project
from corpus.roles import Role
from tests.factories import make_annotation, make_document

WORDS = ["tunnel", "mile", "long", "escape", "prison", "night", "guard"]


@pytest.fixture
def world(project, members, monkeypatch):
    monkeypatch.setattr(protocol, "PAGE_SIZE", 2)
    document = make_document(
        project=project,
        paragraphs=["The tunnel was a mile long.", "The escape from prison at night."],
    )
    other = make_document(project=project, paragraphs=["A guard at night."])
    notes = [make_annotation(document, members["annotator"], w) for w in WORDS[:6]]
    services.create_reply(annotation=notes[0], author=members["owner"], body="Yes.")
    return {"document": document, "other": other, "notes": notes}


def _total(client, project) -> int:
    url = reverse("annotations:w3c_container", args=[project.slug])
    return json.loads(client.get(url).content)["total"]


def _fresh(project, user) -> int:
    membership = Membership.objects.select_related("project").get(
        project=project, user=user
    )
    return export.Scope(membership).count()


def _changes(project, members, world):
    """Each change a member's view of the project may see, one after another."""
    owner, annotator = members["owner"], members["annotator"]
    notes, other = world["notes"], world["other"]
    relation = RelationType.objects.filter(project=project).first()
    yield "a note", lambda: make_annotation(other, annotator, "guard")
    yield (
        "a private note",
        lambda: make_annotation(other, owner, "night", visibility=Visibility.PRIVATE),
    )
    reply = {}
    yield (
        "a reply",
        lambda: reply.setdefault(
            "row", services.create_reply(annotation=notes[1], author=owner, body="Hm.")
        ),
    )
    yield "a reply deleted", lambda: services.delete_reply(reply=reply["row"], by=owner)
    link = {}
    yield (
        "a link",
        lambda: link.setdefault(
            "row",
            services.create_link(
                source=notes[2],
                author=owner,
                relation=relation,
                target_url="https://a.org",
            ),
        ),
    )
    yield "a link deleted", lambda: services.delete_link(link=link["row"], by=owner)
    yield (
        "a note deleted",
        lambda: services.delete_annotation(annotation=notes[3], by=annotator),
    )
    yield (
        "a document trashed",
        lambda: services.trash_document(document=other, by=owner),
    )
    yield (
        "a document restored",
        lambda: services.restore_document(
            document=Document.all_objects.get(pk=other.pk), by=owner
        ),
    )
    yield (
        "a document trashed again",
        lambda: services.trash_document(
            document=Document.all_objects.get(pk=other.pk), by=owner
        ),
    )
    yield (
        "a document purged",
        lambda: services.purge_document(
            document=Document.all_objects.get(pk=other.pk), by=owner
        ),
    )
    yield (
        "a note made private",
        lambda: services.update_annotation(
            annotation=Annotation.objects.get(pk=notes[4].pk),
            editor=annotator,
            version=Annotation.objects.get(pk=notes[4].pk).version,
            body="",
            tags=[],
            visibility=Visibility.PRIVATE,
        ),
    )
    yield "pre-moderation", lambda: services_update_premoderation(project, owner)


def services_update_premoderation(project, owner):
    from corpus import services as corpus_services

    project.refresh_from_db()
    corpus_services.update_project(
        project=project,
        version=project.version,
        editor=owner,
        name=project.name,
        description=project.description,
        premoderation=True,
    )


@pytest.mark.parametrize("who", ["owner", "viewer"])
def test_every_change_shows_in_the_total_at_once(client, project, members, world, who):
    client.force_login(members[who])
    assert _total(client, project) == _fresh(project, members[who])
    for change, make in _changes(project, members, world):
        before = _total(client, project)
        make()
        assert _total(client, project) == _fresh(project, members[who]), change
        if change != "pre-moderation" or who == "owner":
            continue
        assert _total(client, project) < before  # the viewer sees fewer


def test_a_role_change_shows_at_once(client, project, members, world):
    make_annotation(world["other"], members["curator"], "guard")
    Project.objects.filter(pk=project.pk).update(premoderation=True)
    viewer = members["viewer"]
    client.force_login(viewer)
    as_viewer = _total(client, project)
    Membership.objects.filter(project=project, user=viewer).update(role=Role.CURATOR)
    assert _total(client, project) == _fresh(project, viewer) > as_viewer


def test_pages_read_in_turn_start_where_a_fresh_count_says(
    client, project, members, world
):
    client.force_login(members["owner"])
    membership = Membership.objects.select_related("project").get(
        project=project, user=members["owner"]
    )
    url = reverse("annotations:w3c_container", args=[project.slug])
    page = json.loads(client.get(url).content)["first"]
    seen = 0
    while True:
        assert page["startIndex"] == seen
        seen += len(page["items"])
        if "next" not in page:
            break
        after = int(page["next"].rsplit("=", 1)[1])
        # A fresh count, with nothing kept.
        export.clear()
        assert export.Scope(membership).count(up_to=after) == seen
        page = json.loads(client.get(page["next"]).content)
    assert seen == page["partOf"]["total"]


def test_the_last_page_and_modified_follow_a_new_note(client, project, members, world):
    client.force_login(members["owner"])
    url = reverse("annotations:w3c_container", args=[project.slug])
    before = json.loads(client.get(url).content)
    later = timezone.now()
    make_annotation(world["other"], members["owner"], "guard")
    after = json.loads(client.get(url).content)
    assert after["last"] != before["last"]
    assert after["modified"] >= later.isoformat(timespec="seconds")[:19]
