"""Relation types: a new project's defaults, the Relation types page (owners
and curators add, rename and retire them), names unique in a project."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from annotations import services
from annotations.models import DEFAULT_RELATIONS, RelationType
from corpus.models import Project
from corpus.services import create_project
from tests.conftest import CAN_MODERATE, HX, ROLES, expected_status
from tests.factories import make_project, make_user


def relation(project, name="supports"):
    return RelationType.objects.offered_in(project).get(name=name)


# A new project's relation types ---------------------------------------------------


def test_a_new_project_has_the_default_relation_types(project):
    assert sorted(
        RelationType.objects.offered_in(project).values_list("name", flat=True)
    ) == (sorted(DEFAULT_RELATIONS))
    RelationType.objects.offered_in(project)
    assert RelationType.objects.filter(project=project).count() == len(
        DEFAULT_RELATIONS
    )


def test_relation_types_leaves_out_retired_ones(project):
    supports = relation(project)
    services.update_relation_type(
        relation=supports, name="supports", description="", retired=True
    )
    assert "supports" not in RelationType.objects.offered_in(project).values_list(
        "name", flat=True
    )


def test_a_project_made_by_the_service_starts_with_the_defaults(db):
    project = create_project(name="Tunnels", owner=make_user("founder"))
    names = RelationType.objects.filter(project=project).values_list("name", flat=True)
    assert sorted(names) == sorted(DEFAULT_RELATIONS)


def test_reading_the_linking_pages_writes_no_relation_type(client, members, project):
    RelationType.objects.filter(project=project).delete()
    client.force_login(members["owner"])
    client.get(reverse("annotations:relation_types", args=[project.slug]))
    client.get(reverse("annotations:link_list", args=[project.slug]))
    assert not RelationType.objects.filter(project=project).exists()


def test_the_migration_seeds_projects_that_have_none(db):
    bare = Project.objects.create(name="Bare", slug="bare")
    custom = Project.objects.create(name="Custom", slug="custom")
    RelationType.objects.create(project=custom, name="refutes")
    migration = importlib.import_module(
        "annotations.migrations.0009_seed_relation_types"
    )
    migration.seed(apps, None)
    assert sorted(
        RelationType.objects.filter(project=bare).values_list("name", flat=True)
    ) == sorted(DEFAULT_RELATIONS)
    assert list(
        RelationType.objects.filter(project=custom).values_list("name", flat=True)
    ) == ["refutes"]


# The Relation types page ------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_relation_types_page_is_for_curators(client, members, project, who, htmx):
    client.force_login(members[who])
    url = reverse("annotations:relation_types", args=[project.slug])
    response = client.get(url, headers=HX if htmx else {})
    assert response.status_code == expected_status(who, CAN_MODERATE, 200)
    if response.status_code == 200:
        assert "contradicts" in response.content.decode()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_adding_a_relation_is_for_curators(client, members, project, who, htmx):
    client.force_login(members[who])
    url = reverse("annotations:relation_type_create", args=[project.slug])
    response = client.post(url, {"name": "refutes"}, headers=HX if htmx else {})
    assert response.status_code == expected_status(
        who, CAN_MODERATE, 200 if htmx else 302
    )
    added = RelationType.objects.filter(project=project, name="refutes").exists()
    assert added == (who in CAN_MODERATE)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_renaming_and_retiring_is_for_curators(client, members, project, who, htmx):
    supports = relation(project)
    client.force_login(members[who])
    url = reverse("annotations:relation_type_edit", args=[project.slug, supports.pk])
    response = client.post(
        url,
        {"name": "backs up", "retired": "on", "version": 1},
        headers=HX if htmx else {},
    )
    assert response.status_code == expected_status(
        who, CAN_MODERATE, 200 if htmx else 302
    )
    supports.refresh_from_db()
    changed = who in CAN_MODERATE
    assert (supports.name, supports.retired) == (
        ("backs up", True) if changed else ("supports", False)
    )


def test_relation_names_are_unique_whatever_the_case(client, owner, project):
    relation(project)
    client.force_login(owner)
    url = reverse("annotations:relation_type_create", args=[project.slug])
    response = client.post(url, {"name": "Supports"}, headers=HX)
    assert response.status_code == 400
    assert "already a relation" in response.content.decode()
    assert RelationType.objects.filter(name__iexact="supports").count() == 1


def test_relation_of_another_project_cannot_be_edited(client, owner, project):
    other = relation(make_project())
    client.force_login(owner)
    url = reverse("annotations:relation_type_edit", args=[project.slug, other.pk])
    assert client.post(url, {"name": "x"}).status_code == 404
