"""Projects, members, reading, metadata: what a user sees and what is stored."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from corpus.models import Membership, Project
from corpus.roles import Role
from tests.factories import PASSWORD, make_document, make_project, make_user


def test_project_list_shows_only_the_users_projects(client, project, members):
    make_project(name="Someone else's project")
    client.force_login(members["annotator"])
    html = client.get(reverse("corpus:project_list")).content.decode()
    assert project.name in html
    assert "Someone else" not in html


def test_anonymous_user_is_sent_to_sign_in(client, project):
    # The front page answers monitors directly, and offers nothing but sign-in.
    front = client.get(reverse("corpus:project_list"))
    assert front.status_code == 200
    assert reverse("login") in front.content.decode()
    assert project.name not in front.content.decode()
    response = client.get(project.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_creating_a_project_makes_the_creator_its_owner(client):
    user = make_user("founder")
    client.force_login(user)
    response = client.post(
        reverse("corpus:project_create"), {"name": "Cartel reporting"}
    )
    project = Project.objects.get(name="Cartel reporting")
    assert response.status_code == 302
    assert response["Location"] == project.get_absolute_url()
    assert project.slug == "cartel-reporting"
    assert project.memberships.get().role == Role.OWNER


@pytest.mark.django_db
def test_creating_a_project_without_a_name_shows_the_error_and_stores_nothing(client):
    client.force_login(make_user("founder"))
    response = client.post(reverse("corpus:project_create"), {"name": ""})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Project.objects.exists()


def _detail(client, project, **params):
    return client.get(reverse("corpus:project_detail", args=[project.slug]), params)


def test_project_page_filters_by_title_keyword_and_source(client, project, members):
    make_document(project=project, title="Tunnel escape", keywords=["Prisons"])
    make_document(project=project, title="Extradition", publisher="Foreign Affairs")
    make_document(project=project, title="Cooperation", keywords=["Guzmán", "Mérida"])
    client.force_login(members["viewer"])
    assert "Tunnel escape" in _detail(client, project, q="tunnel").content.decode()
    by_keyword = _detail(client, project, q="mérida").content.decode()
    assert "Cooperation" in by_keyword and "Tunnel escape" not in by_keyword
    by_source = _detail(client, project, q="foreign").content.decode()
    assert "Extradition" in by_source and "Cooperation" not in by_source


def test_project_page_sorts_by_date_with_undated_last(client, project, members):
    make_document(
        project=project, title="Old", published_date=datetime.date(2015, 7, 21)
    )
    make_document(
        project=project, title="New", published_date=datetime.date(2017, 1, 19)
    )
    make_document(project=project, title="Undated")
    client.force_login(members["viewer"])
    html = _detail(client, project, sort="-date").content.decode()
    assert html.index(">New</a>") < html.index(">Old</a>") < html.index(">Undated</a>")
    html = _detail(client, project, sort="date").content.decode()
    assert html.index(">Old</a>") < html.index(">New</a>") < html.index(">Undated</a>")


def test_project_page_paginates_and_htmx_gets_only_the_list(client, project, members):
    for n in range(30):
        make_document(project=project, title=f"Report {n:02d}")
    client.force_login(members["viewer"])
    first = _detail(client, project).content.decode()
    assert "Report 24" in first and "Report 25" not in first
    assert "Page 1 of 2" in first
    response = client.get(
        reverse("corpus:project_detail", args=[project.slug]),
        {"page": 2},
        headers={"HX-Request": "true"},
    )
    fragment = response.content.decode()
    assert "Report 25" in fragment and "Report 24" not in fragment
    assert "<html" not in fragment
    assert response["Vary"].count("HX-Request") == 1


def test_project_page_query_count_does_not_grow_with_documents(
    client, project, members
):
    client.force_login(members["viewer"])
    make_document(project=project)
    with CaptureQueriesContext(connection) as few:
        _detail(client, project)
    for _ in range(20):
        make_document(project=project)
    with CaptureQueriesContext(connection) as many:
        _detail(client, project)
    assert len(many) == len(few)


# Members ---------------------------------------------------------------------


def test_owner_adds_a_member_with_a_role(client, project, owner):
    newcomer = make_user("newcomer")
    client.force_login(owner)
    response = client.post(
        reverse("corpus:member_add", args=[project.slug]),
        {"username": "newcomer", "role": "curator"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "newcomer" in response.content.decode()
    assert Membership.objects.get(project=project, user=newcomer).role == Role.CURATOR


def test_adding_an_unknown_user_says_so_and_adds_nobody(client, project, owner):
    client.force_login(owner)
    before = Membership.objects.count()
    response = client.post(
        reverse("corpus:member_add", args=[project.slug]),
        {"username": "ghost", "role": "viewer"},
    )
    assert response.status_code == 400
    assert "No active user is called “ghost”" in response.content.decode()
    assert Membership.objects.count() == before


def test_adding_an_existing_member_twice_is_refused(client, project, members):
    client.force_login(members["owner"])
    response = client.post(
        reverse("corpus:member_add", args=[project.slug]),
        {"username": "viewer-user", "role": "owner"},
    )
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert Membership.objects.get(user=members["viewer"]).role == Role.VIEWER


def test_owner_changes_a_role(client, project, members):
    client.force_login(members["owner"])
    target = Membership.objects.get(user=members["viewer"])
    response = client.post(
        reverse("corpus:member_role", args=[project.slug, target.pk]),
        {"role": "annotator"},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == Role.ANNOTATOR


def test_invalid_role_is_refused(client, project, members):
    client.force_login(members["owner"])
    target = Membership.objects.get(user=members["viewer"])
    response = client.post(
        reverse("corpus:member_role", args=[project.slug, target.pk]),
        {"role": "emperor"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "Choose one of the roles" in response.content.decode()
    target.refresh_from_db()
    assert target.role == Role.VIEWER


def test_last_owner_cannot_step_down_or_leave(client, project, members):
    client.force_login(members["owner"])
    mine = Membership.objects.get(user=members["owner"])
    response = client.post(
        reverse("corpus:member_role", args=[project.slug, mine.pk]),
        {"role": "viewer"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "at least one owner" in response.content.decode()
    response = client.post(
        reverse("corpus:member_remove", args=[project.slug, mine.pk]),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    mine.refresh_from_db()
    assert mine.role == Role.OWNER


def test_owner_removes_a_member_who_then_gets_404(client, project, members):
    client.force_login(members["owner"])
    target = Membership.objects.get(user=members["annotator"])
    client.post(reverse("corpus:member_remove", args=[project.slug, target.pk]))
    assert not Membership.objects.filter(pk=target.pk).exists()
    client.force_login(members["annotator"])
    assert _detail(client, project).status_code == 404


def test_membership_of_another_project_cannot_be_changed_through_mine(
    client, project, owner
):
    elsewhere = make_project(name="Elsewhere")
    theirs = Membership.objects.create(
        project=elsewhere, user=make_user("t"), role="viewer"
    )
    client.force_login(owner)
    response = client.post(
        reverse("corpus:member_role", args=[project.slug, theirs.pk]), {"role": "owner"}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.role == Role.VIEWER


def test_owner_renames_the_project(client, project, owner):
    client.force_login(owner)
    client.post(
        reverse("corpus:project_settings", args=[project.slug]),
        {"name": "Renamed", "description": "About cartels.", "version": 1},
    )
    project.refresh_from_db()
    assert (project.name, project.description) == ("Renamed", "About cartels.")


# Reading ---------------------------------------------------------------------


def _reading(client, document):
    return client.get(document.get_absolute_url())


def test_document_page_renders_blocks_with_their_offsets(client, project, members):
    document = make_document(
        project=project,
        text="Heading\n\nFirst paragraph.\n\nItem one",
        blocks=[
            {"kind": "heading", "start": 0, "end": 7, "level": 1},
            {"kind": "paragraph", "start": 9, "end": 25, "level": 0},
            {"kind": "list_item", "start": 27, "end": 35, "level": 0},
        ],
    )
    client.force_login(members["viewer"])
    html = _reading(client, document).content.decode()
    assert (
        '<h2 class="block block-heading" id="b0" data-start="0" data-end="7">'
        "Heading</h2>" in html
    )
    assert 'data-start="9" data-end="25">First paragraph.</p>' in html
    assert '<ul class="doc-list">' in html and ">Item one</li>" in html
    # The table of contents links to the heading.
    assert '<a href="#b0">Heading</a>' in html


def test_document_text_and_metadata_are_escaped(client, project, members):
    evil = '<script>alert("x")</script> & <b>bold</b>'
    document = make_document(
        project=project, title=evil, paragraphs=[evil], keywords=[evil]
    )
    client.force_login(members["viewer"])
    html = _reading(client, document).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


def test_kept_links_render_and_unsafe_schemes_do_not(client, project, members):
    text = "See the report and this trap."
    document = make_document(
        project=project,
        text=text,
        blocks=[{"kind": "paragraph", "start": 0, "end": len(text), "level": 0}],
        links=[
            {
                "start": text.index("the report"),
                "end": text.index(" and"),
                "url": "https://www.crs.gov/report",
            },
            {
                "start": text.index("trap"),
                "end": text.index("."),
                "url": "javascript:alert(1)",
            },
        ],
    )
    client.force_login(members["viewer"])
    html = _reading(client, document).content.decode()
    assert (
        '<a href="https://www.crs.gov/report" rel="noopener noreferrer nofollow">'
        "the report</a>" in html
    )
    assert "javascript:" not in html
    assert "trap." in html


def test_document_page_query_count_does_not_depend_on_size(client, project, members):
    client.force_login(members["viewer"])
    small = make_document(project=project, paragraphs=["One."])
    large = make_document(
        project=project, paragraphs=[f"Paragraph {n}." for n in range(2000)]
    )
    with CaptureQueriesContext(connection) as small_queries:
        assert _reading(client, small).status_code == 200
    with CaptureQueriesContext(connection) as large_queries:
        assert _reading(client, large).status_code == 200
    assert len(large_queries) == len(small_queries)


def test_curator_edits_metadata(client, project, members, document):
    client.force_login(members["curator"])
    response = client.post(
        reverse("corpus:document_edit", args=[project.slug, document.pk]),
        {
            "title": "Corrected title",
            "authors": "June S. Beittel, Clare Ribando Seelke",
            "publisher": "CRS",
            "source_url": "https://crsreports.congress.gov/",
            "published_date": "2015-07-21",
            "keywords": "Mexico, security",
            "language": "en",
            "version": 1,
        },
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.title == "Corrected title"
    assert document.authors == ["June S. Beittel", "Clare Ribando Seelke"]
    assert document.keywords == ["Mexico", "security"]
    assert document.keywords_text == "Mexico, security"
    assert document.published_date == datetime.date(2015, 7, 21)


def test_bad_metadata_is_refused_and_nothing_changes(
    client, project, members, document
):
    client.force_login(members["owner"])
    response = client.post(
        reverse("corpus:document_edit", args=[project.slug, document.pk]),
        {"title": "", "source_url": "not a url", "published_date": "31/31/2015"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required" in html
    assert "Enter a valid URL" in html
    assert "Enter a valid date" in html
    title = document.title
    document.refresh_from_db()
    assert document.title == title


# Accounts --------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_sign_out_and_change_password(client):
    make_user("reader")
    response = client.post(
        reverse("login"), {"username": "reader", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("corpus:project_list")).status_code == 200
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-42",
            "new_password2": "another-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    client.post(reverse("logout"))
    assert "reader" not in client.get(reverse("corpus:project_list")).content.decode()
    assert client.get(reverse("password_change")).status_code == 302
    assert client.login(username="reader", password="another-long-passphrase-42")


@pytest.mark.django_db
def test_wrong_password_shows_an_error(client):
    make_user("reader")
    response = client.post(reverse("login"), {"username": "reader", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_csrf_is_enforced(project, owner):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    response = strict.post(
        reverse("corpus:project_settings", args=[project.slug]), {"name": "Hijacked"}
    )
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.name != "Hijacked"


def test_settings_page_manages_members_too(client, project, members):
    client.force_login(members["owner"])
    html = client.get(
        reverse("corpus:project_settings", args=[project.slug])
    ).content.decode()
    target = Membership.objects.get(user=members["viewer"])
    assert reverse("corpus:member_role", args=[project.slug, target.pk]) in html
    assert reverse("corpus:member_add", args=[project.slug]) in html
