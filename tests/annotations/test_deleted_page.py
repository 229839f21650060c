"""A gone annotation's URL (issue 9): deleted, or on a document in the trash, it
says so with who and when (410, the project's page) to the members who could
see it before, and stays a plain 404 to everyone else."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone

from annotations import services
from annotations.models import Annotation, Visibility
from corpus.models import Project
from corpus.roles import Role
from tests.conftest import HX
from tests.factories import make_annotation, make_document, make_project, make_user

WHO = [*(role.value for role in Role), "outsider"]
NOTE = "A secret note body"


@pytest.fixture
def doc(project):
    return make_document(
        project=project,
        title="Prison report",
        paragraphs=["The tunnel was a mile long.", "Dug by hand at night."],
    )


def _url(annotation: Annotation) -> str:
    return reverse(
        "annotations:annotation_detail",
        args=[annotation.project.slug, annotation.pk],
    )


def _deleted(doc, author, exact="tunnel", *, by=None, **kwargs) -> Annotation:
    annotation = make_annotation(doc, author, exact, body=NOTE, **kwargs)
    services.delete_annotation(annotation=annotation, by=by or author)
    annotation.refresh_from_db()
    return annotation


def _on(annotation: Annotation) -> str:
    return dateformat.format(timezone.localtime(annotation.deleted_at), "j F Y")


def _get(client, user, annotation, htmx=False):
    client.force_login(user)
    return client.get(_url(annotation), headers=HX if htmx else {})


@pytest.mark.parametrize("who", WHO)
def test_a_deleted_shared_annotation_says_who_deleted_it_and_when(
    client, members, doc, who
):
    gone = _deleted(doc, members["annotator"])
    response = _get(client, members[who], gone)
    if who == "outsider":
        assert response.status_code == 404
        return
    assert response.status_code == 410
    html = response.content.decode()
    assert "Deleted by annotator-user on <time datetime=" in html
    assert f">{_on(gone)}</time>." in html
    assert "This annotation was deleted" in html
    assert f'<a class="button" href="{doc.get_absolute_url()}">' in html
    assert "Back to “Prison report”" in html
    assert 'class="project-nav"' in html  # the project's page, with its menu
    assert '<blockquote class="quote">tunnel</blockquote>' in html
    assert NOTE not in html  # the note itself is gone


def test_it_names_whoever_deleted_it(client, members, doc):
    gone = _deleted(doc, members["annotator"], by=members["curator"])
    html = _get(client, members["viewer"], gone).content.decode()
    assert "Deleted by curator-user on" in html


@pytest.mark.parametrize("who", WHO)
def test_a_deleted_private_annotation_is_404_to_all_but_its_author(
    client, members, doc, who
):
    gone = _deleted(doc, members["annotator"], visibility=Visibility.PRIVATE)
    response = _get(client, members[who], gone)
    assert response.status_code == (410 if who == "annotator" else 404)
    assert ("Deleted by" in response.content.decode()) == (who == "annotator")


@pytest.mark.parametrize("who", [*WHO, "other annotator"])
@pytest.mark.parametrize("approved", [False, True], ids=["unapproved", "approved"])
def test_under_premoderation_an_unapproved_one_is_known_to_author_and_curators(
    client, members, doc, project, who, approved
):
    Project.objects.filter(pk=project.pk).update(premoderation=True)
    users = {
        **members,
        "other annotator": make_user("other", project=project, role=Role.ANNOTATOR),
    }
    note = make_annotation(doc, members["annotator"], "tunnel")
    if approved:
        services.set_status(annotation=note, by=members["curator"], status="approved")
    services.delete_annotation(annotation=note, by=members["annotator"])
    knew = who != "outsider" and (approved or who in {"annotator", "curator", "owner"})
    assert _get(client, users[who], note).status_code == (410 if knew else 404)


def test_curators_are_told_where_the_record_is(client, members, doc):
    gone = _deleted(doc, members["annotator"])
    admin = reverse("admin:annotations_annotation_change", args=[gone.pk])
    curator = _get(client, members["curator"], gone).content.decode()
    assert "kept for curators" in curator and admin not in curator
    staff = make_user("staff-curator", project=doc.project, role=Role.CURATOR)
    staff.is_staff = True
    staff.save()
    assert admin in _get(client, staff, gone).content.decode()
    viewer = _get(client, members["viewer"], gone).content.decode()
    assert "kept for curators" not in viewer and admin not in viewer


@pytest.mark.parametrize("who", WHO)
def test_the_thread_panel_says_so_in_place_of_the_thread(client, members, doc, who):
    gone = _deleted(doc, members["annotator"])
    response = _get(client, members[who], gone, htmx=True)
    if who == "outsider":
        assert response.status_code == 404
        return
    assert response.status_code == 200  # swapped into the panel
    html = response.content.decode()
    assert "<h2" in html and "Deleted annotation" in html
    assert "Deleted by annotator-user on" in html
    assert "data-close-thread" in html
    assert 'id="thread-state" name="thread" value="" hx-swap-oob="true"' in html
    assert "<html" not in html and NOTE not in html


def test_the_thread_panel_keeps_a_private_one_secret(client, members, doc):
    gone = _deleted(doc, members["annotator"], visibility=Visibility.PRIVATE)
    assert _get(client, members["owner"], gone, htmx=True).status_code == 404
    assert _get(client, members["annotator"], gone, htmx=True).status_code == 200


def test_another_projects_deleted_annotation_is_404(client, members, project):
    elsewhere = make_project()
    stranger = make_user("stranger", project=elsewhere, role=Role.ANNOTATOR)
    foreign = _deleted(make_document(project=elsewhere), stranger, "First")
    client.force_login(members["owner"])
    url = reverse("annotations:annotation_detail", args=[project.slug, foreign.pk])
    assert client.get(url).status_code == 404


def test_a_live_annotation_still_opens_the_document(client, members, doc):
    live = make_annotation(doc, members["annotator"], "tunnel")
    response = _get(client, members["viewer"], live)
    assert response.status_code == 302
    assert response["Location"].startswith(doc.get_absolute_url())


# On a document in the trash ----------------------------------------------------


@pytest.fixture
def trashed(doc, members):
    shared = make_annotation(doc, members["annotator"], "tunnel", body=NOTE)
    private = make_annotation(
        doc, members["annotator"], "mile", visibility=Visibility.PRIVATE
    )
    services.trash_document(document=doc, by=members["owner"])
    return {"shared": shared, "private": private}


@pytest.mark.parametrize("who", WHO)
def test_an_annotation_on_a_document_in_the_trash_says_so(
    client, members, doc, trashed, who
):
    response = _get(client, members[who], trashed["shared"])
    if who == "outsider":
        assert response.status_code == 404
        return
    assert response.status_code == 410
    html = response.content.decode()
    assert "This annotation is in the trash" in html
    assert "Its document, “Prison report”, is in the trash" in html
    assert "moved there by owner-user on" in html
    assert doc.get_absolute_url() + '"' not in html  # no link to a page that is gone
    trash = reverse("annotations:project_trash", args=[doc.project.slug])
    if who == "owner":
        assert f'href="{trash}">Restore it from the project\'s Trash' in html
    else:
        assert trash not in html
        assert "An owner of the project can restore it" in html
    assert 'class="project-nav"' in html and NOTE not in html


@pytest.mark.parametrize("who", WHO)
def test_a_private_one_in_the_trash_is_404_to_all_but_its_author(
    client, members, trashed, who
):
    response = _get(client, members[who], trashed["private"])
    assert response.status_code == (410 if who == "annotator" else 404)


def test_deleted_and_in_the_trash_says_both(client, members, doc):
    gone = _deleted(doc, members["annotator"])
    services.trash_document(document=doc, by=members["owner"])
    html = _get(client, members["owner"], gone).content.decode()
    assert "Deleted by annotator-user" in html
    assert "is in the trash" in html


def test_in_the_trash_the_thread_panel_stays_404(client, members, trashed):
    # The reading view of a document in the trash is gone too.
    response = _get(client, members["owner"], trashed["shared"], htmx=True)
    assert response.status_code == 404
