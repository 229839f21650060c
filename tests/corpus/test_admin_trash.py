"""Nothing is hard-deleted from the admin: projects and documents go to the trash
and come back through the trash services (recorded), by those the role matrix
allows; purging is offered only for what is already in the trash, after a
confirmation page.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations.services import trash_project
from corpus.models import Document, Project, ProjectEvent, ProjectEventKind
from corpus.roles import Action, Role
from tests.conftest import roles_that
from tests.corpus.test_admin_roles import ROLES, run_action, staff_user
from tests.factories import make_annotation, make_document

MAY_TRASH = roles_that(Action.DELETE_DOCUMENT, superuser=True)


@pytest.fixture
def doc(project):
    return make_document(project=project, paragraphs=["Alpha beta gamma."])


@pytest.fixture
def annotated(doc, members):
    return make_annotation(doc, members["annotator"], "beta")


def _events(project, kind) -> list:
    return list(ProjectEvent.objects.filter(project=project, kind=kind))


def _actions(client, model: str) -> list[str]:
    form = client.get(reverse(f"admin:corpus_{model}_changelist")).context[
        "action_form"
    ]
    return [name for name, _label in form.fields["action"].choices]


# No hard delete ----------------------------------------------------------------


@pytest.mark.parametrize("model", ["project", "document"])
def test_a_superuser_cannot_hard_delete_a_project_or_document(
    client, project, doc, annotated, model
):
    row = project if model == "project" else doc
    client.force_login(staff_user(None, "superuser"))
    change = reverse(f"admin:corpus_{model}_change", args=[row.pk])
    delete = reverse(f"admin:corpus_{model}_delete", args=[row.pk])
    assert delete not in client.get(change).content.decode()
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert "delete_selected" not in _actions(client, model)
    run_action(client, model, "delete_selected", [row], post="yes")
    assert type(row).objects.filter(pk=row.pk).exists()
    assert annotated.__class__.objects.filter(pk=annotated.pk).exists()


# Projects ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_moving_a_project_to_the_trash_follows_the_role_matrix(
    client, project, annotated, role
):
    staff = staff_user(project, role)
    client.force_login(staff)
    html = run_action(client, "project", "move_to_trash", [project]).content.decode()
    project.refresh_from_db()
    trashed = _events(project, ProjectEventKind.PROJECT_TRASHED)
    if role in MAY_TRASH:
        assert "Moved 1 project to the trash" in html
        assert (project.in_trash, project.trashed_by) == (True, staff)
        assert [(e.actor, e.detail["annotations"]) for e in trashed] == [(staff, 1)]
    else:
        assert "Nothing was changed" in html
        assert not project.in_trash
        assert trashed == []


@pytest.mark.parametrize("role", ROLES)
def test_restoring_a_project_follows_the_role_matrix(client, project, role):
    staff = staff_user(project, role)
    trash_project(project=project, by=staff)
    client.force_login(staff)
    html = run_action(
        client, "project", "restore_from_trash", [project]
    ).content.decode()
    project.refresh_from_db()
    restored = _events(project, ProjectEventKind.PROJECT_RESTORED)
    if role in MAY_TRASH:
        assert "Restored 1 project from the trash." in html
        assert not project.in_trash
        assert [e.actor for e in restored] == [staff]
    else:
        # Only its owners see a project in the trash at all.
        assert "are gone" in html
        assert project.in_trash
        assert restored == []


def test_a_project_in_the_trash_is_marked_and_read_only(client, project):
    owner = staff_user(project, Role.OWNER)
    trash_project(project=project, by=owner)
    client.force_login(owner)
    html = client.get(reverse("admin:corpus_project_changelist")).content.decode()
    assert "<strong>In the trash</strong> since" in html
    change = reverse("admin:corpus_project_change", args=[project.pk])
    assert 'name="name"' not in client.get(change).content.decode()
    assert client.post(change, {"name": "x", "version": "1"}).status_code == 403


def test_an_owner_may_trash_an_archived_project(client, project):
    Project.objects.filter(pk=project.pk).update(archived_at=timezone.now())
    client.force_login(staff_user(project, Role.OWNER))
    run_action(client, "project", "move_to_trash", [project])
    project.refresh_from_db()
    assert project.in_trash


def test_a_project_is_purged_only_from_the_trash_after_confirming(
    client, project, annotated
):
    owner = staff_user(project, Role.OWNER)
    client.force_login(owner)
    html = run_action(client, "project", "purge", [project]).content.decode()
    assert "1 of the selected projects is not in the trash." in html
    trash_project(project=project, by=owner)
    page = run_action(client, "project", "purge", [project])
    assert page.templates[0].name == "admin/corpus/purge.html"
    assert "1 document(s), 1 annotation(s), 5 member(s)" in page.content.decode()
    unconfirmed = run_action(client, "project", "purge", [project], apply="yes")
    assert "Tick the box" in unconfirmed.content.decode()
    assert Project.objects.filter(pk=project.pk).exists()
    done = run_action(
        client, "project", "purge", [project], apply="yes", confirm="on"
    ).content.decode()
    assert "Purged 1 project for good" in done
    assert not Project.objects.filter(pk=project.pk).exists()
    purged = ProjectEvent.objects.get(kind=ProjectEventKind.PROJECT_PURGED)
    assert (purged.actor, purged.detail["annotations"]) == (owner, 1)


def test_a_curator_cannot_purge(client, project):
    curator = staff_user(project, Role.CURATOR)
    trash_project(project=project, by=curator)
    client.force_login(curator)
    run_action(client, "project", "purge", [project], apply="yes", confirm="on")
    assert Project.objects.filter(pk=project.pk).exists()


# Documents -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_moving_a_document_to_the_trash_and_back_follows_the_role_matrix(
    client, project, doc, annotated, role
):
    staff = staff_user(project, role)
    client.force_login(staff)
    html = run_action(client, "document", "move_to_trash", [doc]).content.decode()
    doc.refresh_from_db()
    if role not in MAY_TRASH:
        assert "Nothing was changed" in html
        assert not doc.in_trash
        assert not ProjectEvent.objects.exists()
        return
    assert "Moved 1 document to the trash" in html
    assert (doc.in_trash, doc.trashed_by) == (True, staff)
    # Its annotations go with it, everywhere.
    notes = client.get(reverse("admin:annotations_annotation_changelist"))
    assert list(notes.context["cl"].result_list) == []
    listed = client.get(reverse("admin:corpus_document_changelist")).content
    assert b"<strong>In the trash</strong> since" in listed
    html = run_action(client, "document", "restore_from_trash", [doc]).content.decode()
    assert "Restored 1 document from the trash." in html
    doc.refresh_from_db()
    assert not doc.in_trash
    assert [
        (e.kind, e.actor)
        for e in ProjectEvent.objects.filter(project=project).order_by("pk")
    ] == [
        (ProjectEventKind.DOCUMENT_TRASHED, staff),
        (ProjectEventKind.DOCUMENT_RESTORED, staff),
    ]


def test_documents_of_an_archived_project_stay_out_of_the_trash(client, project, doc):
    Project.objects.filter(pk=project.pk).update(archived_at=timezone.now())
    client.force_login(staff_user(project, Role.OWNER))
    html = run_action(client, "document", "move_to_trash", [doc]).content.decode()
    assert "Nothing was changed" in html
    doc.refresh_from_db()
    assert not doc.in_trash


def test_a_document_is_purged_only_from_the_trash_after_confirming(
    client, project, doc, annotated
):
    owner = staff_user(project, Role.OWNER)
    client.force_login(owner)
    html = run_action(
        client, "document", "purge", [doc], apply="yes", confirm="on"
    ).content.decode()
    assert "1 of the selected documents is not in the trash." in html
    run_action(client, "document", "move_to_trash", [doc])
    page = run_action(client, "document", "purge", [doc])
    assert "1 annotation(s)" in page.content.decode()
    run_action(client, "document", "purge", [doc], apply="yes", confirm="on")
    assert not Document.all_objects.filter(pk=doc.pk).exists()
    purged = ProjectEvent.objects.get(kind=ProjectEventKind.DOCUMENT_PURGED)
    assert (purged.actor, purged.detail["document"]) == (owner, doc.title)
