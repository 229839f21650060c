"""Every corpus view, for every role, a non-member and an anonymous user.

The expected outcome comes from the role matrix in corpus/roles.py; the test
checks the view enforces it (not only the template), plain and with htmx.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from corpus import services
from corpus.models import Document, Invitation, Membership, PendingImport
from corpus.roles import Action, Role, can
from tests.conftest import ROLES
from tests.factories import make_document, make_project, make_user

PENDING_VIEWS = {"import_confirm", "import_choices", "import_retry", "import_discard"}
INVITATION_VIEWS = {"invitation_resend", "invitation_revoke"}

# (url name, method, action required, kwargs builder)
VIEWS = [
    ("project_detail", "get", Action.READ),
    ("project_members", "get", Action.READ),
    ("project_settings", "get", Action.EDIT_PROJECT),
    ("project_settings", "post", Action.EDIT_PROJECT),
    ("member_add", "post", Action.MANAGE_MEMBERS),
    ("member_role", "post", Action.MANAGE_MEMBERS),
    ("member_remove", "post", Action.MANAGE_MEMBERS),
    ("member_invite", "post", Action.MANAGE_MEMBERS),
    ("invitation_resend", "post", Action.MANAGE_MEMBERS),
    ("invitation_revoke", "post", Action.MANAGE_MEMBERS),
    ("import_upload", "get", Action.IMPORT),
    ("import_upload", "post", Action.IMPORT),
    ("import_review", "get", Action.IMPORT),
    ("import_progress_hx", "get", Action.IMPORT),
    ("import_all", "post", Action.IMPORT),
    ("import_clear", "post", Action.IMPORT),
    ("import_confirm", "post", Action.IMPORT),
    ("import_choices", "post", Action.IMPORT),
    ("import_retry", "post", Action.IMPORT),
    ("import_discard", "post", Action.IMPORT),
    ("document_edit", "get", Action.EDIT_METADATA),
    ("document_edit", "post", Action.EDIT_METADATA),
]


def _url(name: str, project, document, pending, victim) -> str:
    kwargs = {"slug": project.slug}
    if name.startswith("document_"):
        kwargs["pk"] = document.pk
    elif name in PENDING_VIEWS:
        kwargs["pk"] = pending.pk
    elif name in {"member_role", "member_remove"}:
        kwargs["pk"] = victim.pk
    elif name in INVITATION_VIEWS:
        kwargs["pk"] = project.invitations.get().pk
    return reverse(f"corpus:{name}", kwargs=kwargs)


@pytest.fixture
def setting(project, members, document):
    victim = Membership.objects.create(
        project=project, user=make_user("victim"), role=Role.VIEWER
    )
    services.create_invitation(
        project=project,
        email="invited@example.org",
        role=Role.VIEWER,
        invited_by=members["owner"],
    )
    return project, members, document, victim


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*ROLES, "outsider", "anonymous"])
@pytest.mark.parametrize(
    ("name", "method", "action"), VIEWS, ids=[f"{v[0]}-{v[1]}" for v in VIEWS]
)
def test_view_enforces_role_matrix(client, setting, name, method, action, who, htmx):
    project, members, document, victim = setting
    user = members.get(who)
    if user is not None:
        client.force_login(user)
    # Pending uploads belong to their uploader: give this user one (read, and
    # ready for review).
    pending = services.stage_upload(
        project=project,
        user=user or members["owner"],
        filename="p.txt",
        data=b"Some text.",
        budget=services.InlineBudget(),
    )
    url = _url(name, project, document, pending, victim)
    headers = {"HX-Request": "true"} if htmx else {}
    documents_before = Document.objects.count()
    members_before = sorted(Membership.objects.values_list("pk", "role"))
    pendings_before = _pendings()
    invitations_before = _invitations()

    response = getattr(client, method)(url, headers=headers)

    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif who == "outsider":
        assert response.status_code == 404
    elif can(who, action):
        # Allowed: a page, a redirect, or a form error for the empty POST.
        assert response.status_code in {200, 302, 400}, response.content[:500]
    else:
        assert response.status_code == 403
    if who in {"anonymous", "outsider"} or not can(who, action):
        # A refused request changes nothing.
        assert Document.objects.count() == documents_before
        assert sorted(Membership.objects.values_list("pk", "role")) == members_before
        assert _pendings() == pendings_before
        assert _invitations() == invitations_before


def _invitations() -> list:
    return list(Invitation.objects.values_list("pk", "token_hash", "revoked_at"))


def _pendings() -> list:
    return list(
        PendingImport.objects.values_list("pk", "status", "revision", "choices")
    )


@pytest.mark.parametrize("name", ["project_detail", "project_members"])
def test_other_projects_object_urls_answer_404(client, members, name):
    other_document = make_document(project=_other_project())
    client.force_login(members["owner"])
    url = reverse(f"corpus:{name}", kwargs={"slug": other_document.project.slug})
    assert client.get(url).status_code == 404


def _other_project():
    return make_project(name="Elsewhere")


def test_document_of_other_project_is_404_even_with_own_slug(client, project, members):
    """A member of project A cannot reach B's document by putting it under A's slug."""
    foreign = make_document(project=_other_project())
    client.force_login(members["owner"])
    url = reverse(
        "annotations:document_detail", kwargs={"slug": project.slug, "pk": foreign.pk}
    )
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", sorted(PENDING_VIEWS))
def test_pending_import_of_another_member_is_404(client, project, members, name):
    theirs = PendingImport.objects.create(
        project=project, uploaded_by=members["curator"], filename="c.txt", data=b"Text."
    )
    client.force_login(members["owner"])
    url = reverse(f"corpus:{name}", kwargs={"slug": project.slug, "pk": theirs.pk})
    assert client.post(url, {"action": "import"}).status_code == 404
    assert PendingImport.objects.filter(pk=theirs.pk).exists()


def test_members_page_shows_the_role_matrix(client, project, members):
    client.force_login(members["viewer"])
    html = client.get(
        reverse("corpus:project_members", args=[project.slug])
    ).content.decode()
    assert "What each role may do" in html
    assert "Import texts" in html
    # One row per action, one cell per role.
    assert html.count('<th scope="row">') == len(Action)
