"""The corpus admin follows the project roles: projects, memberships, documents
and pending imports are listed only to members (and superusers), changed only
as the role matrix allows; rows of other projects exist nowhere for them. Staff
users hold every model permission, so these tests prove the role check.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotations import services as annotation_services
from corpus.models import Membership, PendingImport, Project
from corpus.roles import Action, Role
from tests.conftest import ROLES as MEMBER_ROLES
from tests.conftest import STAFF_ROLES, roles_that
from tests.factories import make_document, make_project, make_user

ROLES = STAFF_ROLES


def staff_user(project: Project | None, role: str):
    """A staff account with every model permission: only the role differs.

    "outsider" is staff but no member of `project`; "superuser" is a superuser
    and no member either.
    """
    if role == "superuser":
        return make_user("root", is_staff=True, is_superuser=True)
    member = role != "outsider" and project is not None
    user = make_user(
        f"staff-{role}",
        project=project if member else None,
        role=role if member else Role.VIEWER,
        is_staff=True,
    )
    user.user_permissions.add(*Permission.objects.all())
    return user


class _FormReader(HTMLParser):
    """The data a browser sends for one form of a page, as it was rendered."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, {}
        self._textarea = self._select = None

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "name" not in attrs and tag != "option":
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(attrs["name"], attrs.get("value") or "on")
            elif kind not in ("submit", "button", "file"):
                self._add(attrs["name"], attrs.get("value") or "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self._add(self._textarea, "")
        elif tag == "select":
            self._select = attrs["name"]
            self.data.setdefault(self._select, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self._add(self._select, attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            # Browsers drop the newline that starts a textarea's text.
            text = self.data[self._textarea][-1] + data
            self.data[self._textarea][-1] = text.removeprefix("\n")


def form_data(response) -> dict[str, list[str]]:
    """What the browser sends back from an admin change page, as rendered."""
    reader = _FormReader(f"{response.context['opts'].model_name}_form")
    reader.feed(response.content.decode())
    assert reader.data, "no change form on the page"
    return reader.data


def changelist_rows(client, model: str, **params) -> set[int]:
    response = client.get(reverse(f"admin:corpus_{model}_changelist"), params)
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


def is_hidden(response) -> bool:
    """The admin's answer for a row that does not exist: back to the index."""
    return response.status_code == 302 and response["Location"] == reverse(
        "admin:index"
    )


def answers_as_for_a_missing_row(client, url_name: str, pk: int, **post) -> bool:
    """The page of row `pk` answers (a GET, or a POST of `post`) as the page of a
    row that does not exist: nothing tells that it does."""
    answers = []
    for key in (pk, 2**31 - 1):
        url = reverse(url_name, args=[key])
        answers.append(client.post(url, post) if post else client.get(url))
    mine, missing = ((a.status_code, a.get("Location")) for a in answers)
    return mine == missing


def run_action(client, model: str, action: str, rows, **fields):
    return client.post(
        reverse(f"admin:corpus_{model}_changelist"),
        {
            "action": action,
            "index": "0",
            ACTION_CHECKBOX_NAME: [row.pk for row in rows],
            **fields,
        },
        follow=True,
    )


@pytest.fixture
def world(db):
    """Two projects and one in the trash; staff users in every role of `here`
    (and the same role in the binned one), a document in each project, one in
    the trash, pending uploads."""
    here = make_project(name="Project Heron")
    there = make_project(name="Project Zanzibar")
    binned = make_project(name="Project Binned")
    staff = {role: staff_user(here, role) for role in ROLES}
    for role in ("owner", "curator", "annotator", "viewer"):
        Membership.objects.create(project=binned, user=staff[role], role=role)
    writer = make_user("writer", project=here, role=Role.ANNOTATOR)
    stranger = make_user("stranger", project=there, role=Role.OWNER)
    documents = {
        "here": make_document(project=here, title="Heron document"),
        "there": make_document(project=there, title="Zanzibar document"),
        "trashed": make_document(project=here, title="Trashed document"),
    }
    annotation_services.trash_document(document=documents["trashed"], by=writer)
    annotation_services.trash_project(project=binned, by=staff["owner"])
    uploads = {
        who: PendingImport.objects.create(
            project=here if who != "stranger" else there,
            uploaded_by=user,
            filename=f"{who}.txt",
            data=b"text",
        )
        for who, user in [*staff.items(), ("writer", writer), ("stranger", stranger)]
        if who != "outsider"
    }
    return {
        "here": here,
        "there": there,
        "binned": binned,
        "staff": staff,
        "writer": writer,
        "stranger": stranger,
        "documents": documents,
        "uploads": uploads,
    }


MEMBERS = set(MEMBER_ROLES)
MAY_EDIT_PROJECT = roles_that(Action.EDIT_PROJECT, superuser=True)
MAY_MANAGE_MEMBERS = roles_that(Action.MANAGE_MEMBERS, superuser=True)
MAY_EDIT_METADATA = roles_that(Action.EDIT_METADATA, superuser=True)
MAY_DELETE_DOCUMENTS = roles_that(Action.DELETE_DOCUMENT, superuser=True)


# What each role sees ---------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_project_list_shows_ones_projects_and_the_trash_to_owners(
    client, world, role
):
    client.force_login(world["staff"][role])
    expected = {
        "superuser": {"here", "there", "binned"},
        "owner": {"here", "binned"},
        "outsider": set(),
    }.get(role, {"here"})
    assert changelist_rows(client, "project") == {world[n].pk for n in expected}


@pytest.mark.parametrize("role", ROLES)
def test_the_membership_list_shows_the_members_of_ones_live_projects(
    client, world, role
):
    client.force_login(world["staff"][role])
    projects = {
        "superuser": [world["here"], world["there"]],
        "outsider": [],
    }.get(role, [world["here"]])
    expected = set(
        Membership.objects.filter(project__in=projects).values_list("pk", flat=True)
    )
    assert expected or role == "outsider"
    assert changelist_rows(client, "membership") == expected


@pytest.mark.parametrize("role", ROLES)
def test_the_document_list_shows_ones_documents_and_the_trash_to_its_restorers(
    client, world, role
):
    client.force_login(world["staff"][role])
    expected = {
        "superuser": {"here", "there", "trashed"},
        "owner": {"here", "trashed"},
        "outsider": set(),
    }.get(role, {"here"})
    documents = world["documents"]
    assert changelist_rows(client, "document") == {documents[n].pk for n in expected}


@pytest.mark.parametrize("role", ROLES)
def test_pending_imports_are_their_uploaders_alone(client, world, role):
    client.force_login(world["staff"][role])
    uploads = world["uploads"]
    if role == "superuser":
        expected = {upload.pk for upload in uploads.values()}
    else:
        expected = {uploads[role].pk} if role in uploads else set()
    assert changelist_rows(client, "pendingimport") == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", ["project", "membership", "document"])
def test_another_projects_row_is_not_reachable(client, world, role, model):
    row = {
        "project": world["there"],
        "membership": Membership.objects.get(user=world["stranger"]),
        "document": world["documents"]["there"],
    }[model]
    client.force_login(world["staff"][role])
    url = reverse(f"admin:corpus_{model}_change", args=[row.pk])
    response = client.get(url)
    if role == "superuser":
        assert response.status_code == 200
        return
    assert is_hidden(response)
    assert answers_as_for_a_missing_row(
        client, f"admin:corpus_{model}_change", row.pk, name="Taken over", role="viewer"
    )
    for page in ("change", "history", "delete"):
        assert answers_as_for_a_missing_row(
            client, f"admin:corpus_{model}_{page}", row.pk
        )
    row.refresh_from_db()
    assert "Taken over" not in str(row)


@pytest.mark.parametrize("role", ROLES)
def test_anothers_pending_import_is_not_reachable(client, world, role):
    upload = world["uploads"]["writer"]
    client.force_login(world["staff"][role])
    response = client.get(
        reverse("admin:corpus_pendingimport_change", args=[upload.pk])
    )
    assert response.status_code == 200 if role == "superuser" else is_hidden(response)


@pytest.mark.parametrize("role", ["owner", "viewer", "outsider"])
def test_list_filters_and_popups_offer_only_ones_projects(client, world, role):
    client.force_login(world["staff"][role])
    for model in ("membership", "document", "pendingimport"):
        html = client.get(reverse(f"admin:corpus_{model}_changelist")).content.decode()
        assert "Project Zanzibar" not in html
        assert ("Project Heron" in html) == (role != "outsider")
    popup = client.get(
        reverse("admin:corpus_project_changelist"), {"_popup": "1", "_to_field": "id"}
    )
    assert "Project Zanzibar" not in popup.content.decode()


# What each role may change ---------------------------------------------------


def _change(client, url: str, **changes):
    """Send the change form as loaded, with `changes`."""
    page = client.get(url)
    if page.status_code != 200 or "adminform" not in page.context:
        return page
    data = form_data(page)
    return client.post(url, data | {k: [v] for k, v in changes.items()})


@pytest.mark.parametrize("role", ROLES)
def test_project_settings_follow_the_role_matrix(client, world, role):
    here = world["here"]
    client.force_login(world["staff"][role])
    url = reverse("admin:corpus_project_change", args=[here.pk])
    response = _change(client, url, name="Renamed")
    here.refresh_from_db()
    if role in MAY_EDIT_PROJECT:
        assert response.status_code == 302
        assert (here.name, here.version) == ("Renamed", 2)
    else:
        assert response.status_code in (302, 403)
        assert (here.name, here.version) == ("Project Heron", 1)
        # A member sees the page, read-only; others are told it does not exist.
        page = client.post(url, {"name": "Renamed", "version": "1"})
        assert page.status_code == 403 if role in MEMBERS else is_hidden(page)


@pytest.mark.parametrize("role", ["owner", "superuser"])
def test_an_archived_project_is_read_only_for_its_owner(client, world, role):
    here = world["here"]
    Project.objects.filter(pk=here.pk).update(archived_at=timezone.now())
    client.force_login(world["staff"][role])
    url = reverse("admin:corpus_project_change", args=[here.pk])
    _change(client, url, name="Renamed")
    here.refresh_from_db()
    assert (here.name == "Renamed") == (role == "superuser")


@pytest.mark.parametrize("role", ROLES)
def test_document_metadata_follows_the_role_matrix(client, world, role):
    document = world["documents"]["here"]
    client.force_login(world["staff"][role])
    url = reverse("admin:corpus_document_change", args=[document.pk])
    response = _change(client, url, title="Corrected title")
    document.refresh_from_db()
    if role in MAY_EDIT_METADATA:
        assert response.status_code == 302
        assert (document.title, document.version) == ("Corrected title", 2)
        assert document.updated_by == world["staff"][role]
    else:
        assert (document.title, document.version) == ("Heron document", 1)
        page = client.post(url, {"title": "Corrected title", "version": "1"})
        assert page.status_code == 403 if role in MEMBERS else is_hidden(page)


def test_a_document_in_the_trash_is_read_only(client, world):
    document = world["documents"]["trashed"]
    client.force_login(world["staff"]["superuser"])
    url = reverse("admin:corpus_document_change", args=[document.pk])
    html = client.get(url).content.decode()
    assert "In the trash" in html
    assert 'name="title"' not in html
    assert client.post(url, {"title": "x", "version": "1"}).status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_changing_a_role_follows_the_role_matrix(client, world, role):
    membership = Membership.objects.get(user=world["writer"])
    client.force_login(world["staff"][role])
    url = reverse("admin:corpus_membership_change", args=[membership.pk])
    page = client.get(url)
    response = client.post(url, {"role": Role.CURATOR})
    membership.refresh_from_db()
    if role in MAY_MANAGE_MEMBERS:
        assert page.status_code == 200
        assert response.status_code == 302
        assert membership.role == Role.CURATOR
    else:
        assert membership.role == Role.ANNOTATOR
        assert response.status_code == 403 if role in MEMBERS else is_hidden(response)


@pytest.mark.parametrize("role", ROLES)
def test_adding_a_member_follows_the_role_matrix(client, world, role):
    newcomer = make_user("newcomer")
    here = world["here"]
    client.force_login(world["staff"][role])
    url = reverse("admin:corpus_membership_add")
    page = client.get(url)
    response = client.post(
        url, {"project": here.pk, "user": "newcomer", "role": Role.VIEWER}
    )
    added = Membership.objects.filter(project=here, user=newcomer).exists()
    assert added == (role in MAY_MANAGE_MEMBERS)
    if role in MAY_MANAGE_MEMBERS:
        assert response.status_code == 302
        choices = {
            p.pk for p in page.context["adminform"].form["project"].field.queryset
        }
        expected = {here.pk} if role == "owner" else {here.pk, world["there"].pk}
        assert choices == expected
    else:
        assert page.status_code == 403
        assert response.status_code == 403


def test_adding_a_member_to_a_project_one_does_not_manage_is_refused(client, world):
    make_user("newcomer")
    client.force_login(world["staff"]["owner"])
    response = client.post(
        reverse("admin:corpus_membership_add"),
        {"project": world["there"].pk, "user": "newcomer", "role": Role.OWNER},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Membership.objects.filter(user__username="newcomer").exists()


@pytest.mark.parametrize("role", ROLES)
def test_removing_members_follows_the_role_matrix(client, world, role):
    membership = Membership.objects.get(user=world["writer"])
    client.force_login(world["staff"][role])
    html = run_action(
        client, "membership", "remove_members", [membership]
    ).content.decode()
    removed = not Membership.objects.filter(pk=membership.pk).exists()
    assert removed == (role in MAY_MANAGE_MEMBERS)
    if role == "outsider":
        assert "Nothing was changed: some of the selected members are gone." in html
    elif not removed:
        assert "Nothing was changed: you may not remove 1 of the 1" in html


def test_the_last_owner_is_neither_removed_nor_demoted(client, world):
    owner = Membership.objects.get(project=world["here"], role=Role.OWNER)
    client.force_login(world["staff"]["superuser"])
    url = reverse("admin:corpus_membership_change", args=[owner.pk])
    response = client.post(url, {"role": Role.VIEWER})
    assert "at least one owner" in response.content.decode()
    html = run_action(client, "membership", "remove_members", [owner]).content.decode()
    assert "A project needs at least one owner." in html
    delete = reverse("admin:corpus_membership_delete", args=[owner.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_the_delete_page_of_a_member_goes_through_the_service(client, world):
    membership = Membership.objects.get(user=world["writer"])
    client.force_login(world["staff"]["owner"])
    delete = reverse("admin:corpus_membership_delete", args=[membership.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize("role", ROLES)
def test_nothing_changes_a_pending_import_and_only_its_uploader_deletes_it(
    client, world, role
):
    upload = world["uploads"].get(role) or world["uploads"]["writer"]
    client.force_login(world["staff"][role])
    url = reverse("admin:corpus_pendingimport_change", args=[upload.pk])
    response = client.post(url, {"filename": "renamed.txt"})
    assert response.status_code == 403 if role != "outsider" else is_hidden(response)
    upload.refresh_from_db()
    assert upload.filename != "renamed.txt"
    run_action(client, "pendingimport", "delete_selected", [upload], post="yes")
    deleted = not PendingImport.objects.filter(pk=upload.pk).exists()
    assert deleted == (role != "outsider")


# The site's own records ------------------------------------------------------


SYSTEM_MODELS = [
    ("axes", "accessattempt"),
    ("axes", "accesslog"),
    ("axes", "accessfailurelog"),
    ("django_tasks_database", "dbtaskresult"),
]


@pytest.mark.parametrize("role", ["owner", "outsider", "superuser"])
def test_sign_in_records_and_tasks_are_for_superusers_only(client, world, role):
    client.force_login(world["staff"][role])
    index = client.get(reverse("admin:index"))
    listed = {
        (app["app_label"], model["object_name"].lower())
        for app in index.context["app_list"]
        for model in app["models"]
    }
    for app_label, model in SYSTEM_MODELS:
        response = client.get(reverse(f"admin:{app_label}_{model}_changelist"))
        if role == "superuser":
            assert (app_label, model) in listed
            assert response.status_code == 200
        else:
            assert (app_label, model) not in listed
            assert response.status_code == 403


def test_the_admin_index_lists_every_model_checked_here(client, world):
    """Every model in the admin is covered by a role test: a new one must be too."""
    client.force_login(world["staff"]["superuser"])
    index = client.get(reverse("admin:index"))
    listed = {
        (app["app_label"], model["object_name"].lower())
        for app in index.context["app_list"]
        for model in app["models"]
    }
    covered = {("corpus", name) for name in ("project", "membership", "document")} | {
        ("corpus", "pendingimport"),
        # tests/corpus/test_invitations.py
        ("corpus", "invitation"),
        ("auth", "user"),
        ("auth", "group"),
    }
    covered |= set(SYSTEM_MODELS)
    covered |= {
        ("annotations", name)
        for name in (
            "annotation",
            "reply",
            "tag",
            "link",
            "relationtype",
            "annotationevent",
        )
    }
    assert listed == covered


# Lists stay cheap ------------------------------------------------------------


@pytest.mark.parametrize("model", ["project", "membership", "document"])
def test_changelist_queries_do_not_grow_with_rows_for_a_member(client, world, model):
    here = world["here"]
    client.force_login(world["staff"]["curator"])
    url = reverse(f"admin:corpus_{model}_changelist")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(4):
        make_document(project=here)
        make_user(f"extra{n}", project=here)
        Membership.objects.create(
            project=make_project(), user=world["staff"]["curator"], role=Role.VIEWER
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_the_trash_is_filterable(client, world):
    client.force_login(world["staff"]["owner"])
    documents = world["documents"]
    assert changelist_rows(client, "document", trash="yes") == {documents["trashed"].pk}
    assert changelist_rows(client, "document", trash="no") == {documents["here"].pk}
    assert changelist_rows(client, "project", state="trash") == {world["binned"].pk}


def test_a_project_added_in_the_admin_is_owned_by_who_adds_it(client, world):
    viewer = world["staff"]["viewer"]
    client.force_login(viewer)
    response = client.post(
        reverse("admin:corpus_project_add"),
        {"name": "Street trees", "description": "", "premoderation": ""},
    )
    assert response.status_code == 302
    project = Project.objects.get(name="Street trees")
    assert project.role_of(viewer) == Role.OWNER
    assert project.pk in changelist_rows(client, "project")


def test_members_are_shown_on_the_project_page_and_changed_elsewhere(client, world):
    client.force_login(world["staff"]["owner"])
    html = client.get(
        reverse("admin:corpus_project_change", args=[world["here"].pk])
    ).content.decode()
    assert "writer" in html
    assert 'name="memberships-0-role"' not in html
    assert "Project moved to the trash" not in html


@pytest.mark.parametrize("role", ["owner", "viewer", "outsider", "superuser"])
def test_autocomplete_offers_only_ones_projects_rows(client, world, role):
    client.force_login(world["staff"][role])
    # The rows of the project and document lists (the trash to its owners).
    projects, documents = {
        "superuser": ({"Heron", "Zanzibar", "Binned"}, {"Heron", "Zanzibar"}),
        "owner": ({"Heron", "Binned"}, {"Heron"}),
        "outsider": (set(), set()),
    }.get(role, ({"Heron"}, {"Heron"}))
    if role in ("owner", "superuser"):
        documents = documents | {"Trashed"}
    for model_name, field_name, titles in [
        ("membership", "project", {f"Project {name}" for name in projects}),
        ("annotation", "document", {f"{name} document" for name in documents}),
    ]:
        response = client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": "annotations" if model_name == "annotation" else "corpus",
                "model_name": model_name,
                "field_name": field_name,
                "term": "",
            },
        )
        assert response.status_code == 200
        assert {row["text"] for row in response.json()["results"]} == titles


def test_the_model_permissions_stay_required(client, world):
    owner = world["staff"]["owner"]
    owner.user_permissions.clear()
    client.force_login(owner)
    for model in ("project", "membership", "document", "pendingimport"):
        response = client.get(reverse(f"admin:corpus_{model}_changelist"))
        assert response.status_code == 403
