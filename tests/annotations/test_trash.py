"""The trash: nothing a member wrote is lost when a document or project goes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import (
    Annotation,
    AnnotationEvent,
    EventKind,
    Link,
    RelationType,
    Reply,
)
from corpus.models import Document, Project, ProjectEvent, ProjectEventKind
from corpus.roles import Role
from tests.conftest import HX
from tests.factories import make_annotation, make_document, make_project, make_user


@pytest.fixture
def site(project, members):
    """A document with everyone's work on it, linked from another document."""
    doomed = make_document(
        project=project, paragraphs=["The tunnel was a mile long.", "Dug by hand."]
    )
    kept = make_document(project=project, paragraphs=["He escaped at night."])
    annotator, curator = members["annotator"], members["curator"]
    there = make_annotation(doomed, annotator, "tunnel", body="Dug for years")
    make_annotation(doomed, curator, "mile", tags=["distance"])
    secret = make_annotation(doomed, annotator, "hand", visibility="private")
    services.create_reply(annotation=there, author=curator, body="Source?")
    here = make_annotation(kept, annotator, "escaped")
    supports = RelationType.objects.offered_in(project).get(name="supports")
    to_passage = services.create_link(
        source=here, author=annotator, relation=supports, target_annotation=there
    )
    to_document = services.create_link(
        source=here, author=annotator, relation=supports, target_document=doomed
    )
    return {
        "doomed": doomed,
        "kept": kept,
        "there": there,
        "secret": secret,
        "here": here,
        "links": [to_passage, to_document],
    }


def _state(document: Document) -> dict:
    """Everything on a document, to compare before and after."""
    annotations = Annotation.objects.filter(document=document).order_by("pk")
    return {
        "annotations": list(
            annotations.values_list("pk", "body", "visibility", "status", "deleted_at")
        ),
        "replies": list(
            Reply.objects.filter(annotation__document=document).values_list(
                "pk", "body"
            )
        ),
        "events": AnnotationEvent.objects.filter(annotation__document=document).count(),
        "links": sorted(Link.objects.values_list("pk", "deleted_at")),
        "tags": sorted(
            Annotation.tags.through.objects.filter(
                annotation__document=document
            ).values_list("annotation_id", "tag_id")
        ),
    }


def _trash_url(document):
    return reverse(
        "annotations:document_trash", args=[document.project.slug, document.pk]
    )


def test_confirmation_says_what_the_trash_hides(client, site, members):
    client.force_login(members["owner"])
    html = client.get(_trash_url(site["doomed"])).content.decode()
    # The owner counts what they may see: two shared annotations by two
    # members, one reply, two links; the private one goes uncounted.
    assert "2 annotations</strong> by 2 members" in html
    assert "1 reply" in html
    assert "2 links</strong>" in html
    assert "private annotations on it go with it" in html
    assert "Nothing is deleted" in html


def test_trashing_hides_the_document_everywhere_and_keeps_everything(
    client, site, members, project
):
    doomed = site["doomed"]
    before = _state(doomed)
    client.force_login(members["owner"])
    response = client.post(_trash_url(doomed))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "annotations:project_trash", args=[project.slug]
    )

    assert _state(doomed) == before  # nothing deleted or changed
    assert Annotation.objects.filter(document=doomed, in_trash=False).count() == 0
    for who in ("owner", "annotator", "viewer"):
        client.force_login(members[who])
        assert client.get(doomed.get_absolute_url()).status_code == 404
        listing = client.get(project.get_absolute_url()).content.decode()
        assert doomed.title not in listing
        thread = reverse(
            "annotations:annotation_detail", args=[project.slug, site["there"].pk]
        )
        assert client.get(thread, headers=HX).status_code == 404
    client.force_login(members["curator"])
    queue = client.get(
        reverse("annotations:curation_queue", args=[project.slug]), {"status": ""}
    ).content.decode()
    assert "Dug for years" not in queue
    picker = reverse("annotations:link_search_hx", args=[project.slug, site["here"].pk])
    found = client.get(picker, {"q": "tunnel"}).content.decode()
    assert "No annotation matches" in found
    assert "Dug for years" not in found
    tags = client.get(reverse("annotations:tag_manage", args=[project.slug]))
    assert "distance" in tags.content.decode()  # the tag stays, unused now
    projects = client.get(reverse("corpus:project_list")).content.decode()
    assert "1 document" in projects
    event = ProjectEvent.objects.get(kind=ProjectEventKind.DOCUMENT_TRASHED)
    assert event.actor == members["owner"]
    assert event.detail["annotations"] == 2  # the shared ones


def test_links_into_the_trash_show_as_such_in_threads(client, site, members, project):
    services.trash_document(document=site["doomed"], by=members["owner"])
    client.force_login(members["annotator"])
    url = reverse("annotations:annotation_detail", args=[project.slug, site["here"].pk])
    response = client.get(url, headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("document in trash") == 2
    assert site["doomed"].get_absolute_url() not in html  # no dead link
    links_page = client.get(reverse("annotations:link_list", args=[project.slug]))
    assert links_page.status_code == 200
    assert "tunnel" not in links_page.content.decode()


def test_restore_brings_everything_back_as_it_was(client, site, members, project):
    doomed = site["doomed"]
    before = _state(doomed)
    services.trash_document(document=doomed, by=members["owner"])
    client.force_login(members["owner"])
    trash = client.get(reverse("annotations:project_trash", args=[project.slug]))
    assert doomed.title in trash.content.decode()
    restore = reverse("annotations:document_restore", args=[project.slug, doomed.pk])
    assert client.post(restore).status_code == 302
    assert _state(doomed) == before
    assert not Annotation.objects.filter(in_trash=True).exists()
    client.force_login(members["annotator"])
    page = client.get(doomed.get_absolute_url()).content.decode()
    assert f'data-ids="{site["there"].pk}"' in page
    assert f'data-ids="{site["secret"].pk}"' in page  # the author's private note
    kinds = list(ProjectEvent.objects.values_list("kind", flat=True))
    assert kinds == [
        ProjectEventKind.DOCUMENT_RESTORED,
        ProjectEventKind.DOCUMENT_TRASHED,
    ]


def test_purge_is_explicit_recorded_and_takes_everything(
    client, site, members, project
):
    doomed = site["doomed"]
    client.force_login(members["owner"])
    purge = reverse("annotations:document_purge", args=[project.slug, doomed.pk])
    assert client.get(purge).status_code == 404  # only from the trash
    services.trash_document(document=doomed, by=members["owner"])
    page = client.get(purge)
    assert "cannot be undone" in page.content.decode()
    wrong = client.post(purge, {"confirm": "something else"})
    assert wrong.status_code == 400
    assert Document.all_objects.filter(pk=doomed.pk).exists()
    assert client.post(purge, {"confirm": doomed.title}).status_code == 302
    assert not Document.all_objects.filter(pk=doomed.pk).exists()
    assert not Annotation.objects.filter(document_id=doomed.pk).exists()
    assert not Link.objects.exists()
    # The annotation elsewhere keeps its history, which now records the loss.
    unlinked = AnnotationEvent.objects.filter(
        annotation=site["here"], kind=EventKind.UNLINK
    )
    assert unlinked.count() == 2
    assert "purged" in unlinked.first().reason
    event = ProjectEvent.objects.get(kind=ProjectEventKind.DOCUMENT_PURGED)
    assert event.detail["document"] == doomed.title
    assert event.detail["annotations"] == 2  # the shared ones
    thread = reverse(
        "annotations:annotation_detail", args=[project.slug, site["here"].pk]
    )
    assert client.get(thread, headers=HX).status_code == 200


TRASH_VIEWS = [
    ("annotations:document_trash", "get", "live"),
    ("annotations:document_trash", "post", "live"),
    ("annotations:project_trash", "get", None),
    ("annotations:document_restore", "post", "trashed"),
    ("annotations:document_purge", "get", "trashed"),
    ("annotations:document_purge", "post", "trashed"),
    ("annotations:project_delete", "get", None),
    ("annotations:project_delete", "post", None),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*(role.value for role in Role), "outsider"])
@pytest.mark.parametrize(("name", "method", "which"), TRASH_VIEWS)
def test_trash_views_are_for_owners(
    client, project, members, who, name, method, which, htmx
):
    live = make_document(project=project, paragraphs=["Alive and well."])
    trashed = make_document(project=project, paragraphs=["Gone for now."])
    services.trash_document(document=trashed, by=members["owner"])
    args = [project.slug]
    if which:
        args.append((live if which == "live" else trashed).pk)
    before = (
        Document.all_objects.filter(trashed_at__isnull=True).count(),
        Document.all_objects.count(),
        Project.objects.filter(trashed_at__isnull=True).count(),
    )
    client.force_login(members[who])
    data = {"confirm": trashed.title} if method == "post" else None
    response = getattr(client, method)(
        reverse(name, args=args), data, headers=HX if htmx else {}
    )
    after = (
        Document.all_objects.filter(trashed_at__isnull=True).count(),
        Document.all_objects.count(),
        Project.objects.filter(trashed_at__isnull=True).count(),
    )
    if who == "outsider":
        assert response.status_code == 404
    elif who == "owner":
        assert response.status_code in {200, 302}
    else:
        assert response.status_code == 403
    if who != "owner" or method == "get":
        assert after == before


def test_archived_project_is_read_only_and_listed_apart(client, project, members):
    document = make_document(project=project, paragraphs=["The tunnel was long."])
    client.force_login(members["owner"])
    archive = reverse("corpus:project_archive", args=[project.slug])
    assert client.post(archive, {"archive": "1"}).status_code == 302
    project.refresh_from_db()
    assert project.is_archived
    client.force_login(members["annotator"])
    listing = client.get(reverse("corpus:project_list")).content.decode()
    assert project.get_absolute_url() not in listing
    assert "1 archived project" in listing
    archived = client.get(reverse("corpus:project_list"), {"archived": "1"})
    assert project.name in archived.content.decode()
    page = client.get(document.get_absolute_url())
    assert page.status_code == 200
    assert "data-create-url" not in page.content.decode()  # no annotating
    create = reverse("annotations:annotation_create", args=[project.slug, document.pk])
    refused = client.post(
        create,
        {
            "sb": 0,
            "so": 4,
            "eb": 0,
            "eo": 10,
            "exact": "tunnel",
            "visibility": "project",
        },
    )
    assert refused.status_code == 403
    assert "archived" in refused.content.decode()
    assert not Annotation.objects.exists()
    client.force_login(members["owner"])
    assert client.post(archive, {"archive": "0"}).status_code == 302
    project.refresh_from_db()
    assert not project.is_archived
    kinds = set(ProjectEvent.objects.values_list("kind", flat=True))
    assert kinds == {
        ProjectEventKind.PROJECT_ARCHIVED,
        ProjectEventKind.PROJECT_UNARCHIVED,
    }


def test_project_trash_restore_and_purge(client, site, members, project):
    owner = members["owner"]
    client.force_login(owner)
    delete = reverse("annotations:project_delete", args=[project.slug])
    assert "Nothing is deleted" in client.get(delete).content.decode()
    assert client.post(delete).status_code == 302
    for who in ("owner", "curator", "viewer"):
        client.force_login(members[who])
        assert client.get(project.get_absolute_url()).status_code == 404
        assert project.name not in client.get("/").content.decode()
    client.force_login(members["curator"])  # not an owner: not theirs to restore
    restore = reverse("annotations:project_restore", args=[project.pk])
    assert client.post(restore).status_code == 404
    trashed = client.get(reverse("annotations:trashed_projects")).content.decode()
    assert project.name not in trashed
    client.force_login(owner)
    assert (
        project.name
        in client.get(reverse("annotations:trashed_projects")).content.decode()
    )
    assert client.post(restore).status_code == 302
    assert client.get(site["doomed"].get_absolute_url()).status_code == 200
    services.trash_project(project=project, by=owner)
    purge = reverse("annotations:project_purge", args=[project.pk])
    assert client.post(purge, {"confirm": "not its name"}).status_code == 400
    assert Project.objects.filter(pk=project.pk).exists()
    assert client.post(purge, {"confirm": project.name}).status_code == 302
    assert not Project.objects.filter(pk=project.pk).exists()
    assert not Annotation.objects.exists()
    assert not Link.objects.exists()
    record = ProjectEvent.objects.get(kind=ProjectEventKind.PROJECT_PURGED)
    assert record.detail["project"] == project.name
    assert record.actor == owner
    # The earlier records outlive the project too.
    assert (
        ProjectEvent.objects.filter(kind=ProjectEventKind.PROJECT_TRASHED).count() == 2
    )


def test_a_stranger_cannot_restore_or_purge_a_trashed_project(client, project, owner):
    services.trash_project(project=project, by=owner)
    stranger = make_user("stranger")
    other = make_project()
    from corpus.models import Membership

    Membership.objects.create(project=other, user=stranger, role=Role.OWNER)
    client.force_login(stranger)
    for name in ("annotations:project_restore", "annotations:project_purge"):
        assert client.post(reverse(name, args=[project.pk])).status_code == 404
    assert Project.objects.get(pk=project.pk).in_trash


def test_a_restored_documents_margin_shows_its_tags_as_they_are_now(
    client, members, project
):
    """A tag renamed while the document was in the trash: the margin entries a
    worker drew before must not come back with the old name."""
    document = make_document(project=project, paragraphs=["The long tunnel."])
    note = make_annotation(document, members["annotator"], "tunnel", body="See.")
    tag = services.get_or_create_tag(project=project, name="passages")
    note.tags.add(tag)
    client.force_login(members["owner"])
    margin = reverse("annotations:annotation_list_hx", args=[project.slug, document.pk])
    assert "passages" in client.get(margin, headers=HX).content.decode()
    services.trash_document(document=document, by=members["owner"])
    services.rename_tag(tag=tag, name="corridors")
    services.restore_document(document=document, by=members["owner"])
    html = client.get(margin, headers=HX).content.decode()
    assert "corridors" in html and "passages" not in html
