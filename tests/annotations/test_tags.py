"""Tag governance: rename, merge (recorded), parent, retire; curators and owners."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import AnnotationEvent, EventKind, Tag
from corpus.roles import Role
from tests.conftest import HX
from tests.factories import make_annotation, make_document


@pytest.fixture
def doc(project):
    return make_document(project=project, paragraphs=["The tunnel was a mile long."])


def _tag(project, name):
    return services.get_or_create_tag(project=project, name=name)


def _manage(project):
    return reverse("annotations:tag_manage", args=[project.slug])


def _edit(tag):
    return reverse("annotations:tag_edit", args=[tag.project.slug, tag.pk])


def _fields(tag) -> dict:
    return {
        "name": tag.name,
        "colour": tag.colour,
        "description": tag.description,
        "parent": tag.parent.name if tag.parent else "",
        **({"retired": "on"} if tag.retired else {}),
    }


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*(role.value for role in Role), "outsider"])
def test_tag_governance_is_for_curators_and_owners(client, project, members, who, htmx):
    tag = _tag(project, "escape")
    client.force_login(members[who])
    headers = HX if htmx else {}
    allowed = who in {"owner", "curator"}
    refused = 404 if who == "outsider" else 403
    assert client.get(_manage(project), headers=headers).status_code == (
        200 if allowed else refused
    )
    response = client.post(
        _edit(tag),
        {**_fields(tag), "name": "Escapes", "version": tag.version},
        headers=headers,
    )
    assert response.status_code == (302 if allowed else refused)
    tag.refresh_from_db()
    assert tag.name == ("Escapes" if allowed else "escape")
    response = client.post(
        _manage(project),
        {"action": "retire", "tag": tag.pk, "version": tag.version},
        headers=headers,
    )
    assert response.status_code == ((200 if htmx else 302) if allowed else refused)
    tag.refresh_from_db()
    assert tag.retired == allowed


def test_merge_retags_every_annotation_and_records_it(client, doc, members):
    project = doc.project
    prison, prisons, jail = (_tag(project, n) for n in ("prison", "prisons", "jail"))
    first = make_annotation(doc, members["annotator"], "tunnel", tags=[prisons])
    second = make_annotation(doc, members["annotator"], "mile", tags=[jail, prison])
    client.force_login(members["curator"])
    response = client.post(
        _manage(project),
        {"action": "merge", "merge": [prisons.pk, jail.pk], "into": "Prison"},
        headers=HX,
    )
    assert response.status_code == 200
    assert list(first.tags.values_list("name", flat=True)) == ["prison"]
    assert list(second.tags.values_list("name", flat=True)) == ["prison"]
    assert list(Tag.objects.values_list("name", flat=True)) == ["prison"]
    event = AnnotationEvent.objects.get(annotation=second, kind=EventKind.TAGS)
    assert (event.before, event.after) == (["jail", "prison"], ["prison"])
    assert "merged into “prison”" in event.reason


def test_renaming_changes_the_highlight_labels(client, doc, members):
    tag = _tag(doc.project, "escape")
    make_annotation(doc, members["owner"], "tunnel", tags=[tag])
    client.force_login(members["viewer"])
    assert "owner-user (escape)" in client.get(doc.get_absolute_url()).content.decode()
    services.rename_tag(tag=tag, name="Prison escapes")
    page = client.get(doc.get_absolute_url()).content.decode()
    assert "owner-user (Prison escapes)" in page


def test_rename_to_a_taken_name_is_refused(client, project, members):
    _tag(project, "escape")
    other = _tag(project, "tunnel")
    client.force_login(members["owner"])
    response = client.post(
        _edit(other), {**_fields(other), "name": "ESCAPE", "version": 1}
    )
    assert response.status_code == 400
    assert "already has a tag" in response.content.decode()
    other.refresh_from_db()
    assert other.name == "tunnel"


def test_parent_makes_a_hierarchy_without_loops(client, doc, members):
    project = doc.project
    crime, escape = _tag(project, "crime"), _tag(project, "escape")
    make_annotation(doc, members["owner"], "tunnel", tags=[escape])
    client.force_login(members["curator"])
    client.post(_edit(escape), {**_fields(escape), "parent": "Crime", "version": 1})
    escape.refresh_from_db()
    assert escape.parent == crime
    response = client.post(
        _edit(crime), {**_fields(crime), "parent": "escape", "version": 1}
    )
    assert response.status_code == 400
    assert "loop" in response.content.decode()
    crime.refresh_from_db()
    assert crime.parent is None
    page = client.get(doc.get_absolute_url()).content.decode()
    assert "crime › escape" in page  # the margin's tag filter shows the hierarchy


def test_retired_tag_stays_on_annotations_but_is_not_offered(client, doc, members):
    tag = _tag(doc.project, "escape")
    note = make_annotation(doc, members["owner"], "tunnel", tags=[tag])
    services.retire_tag(tag=tag)
    client.force_login(members["annotator"])
    url = reverse("annotations:tag_search_hx", args=[doc.project.slug])
    assert 'value="escape"' not in client.get(url, {"tags": "esc"}).content.decode()
    assert list(note.tags.values_list("name", flat=True)) == ["escape"]


def test_tags_of_another_project_cannot_be_touched(client, project, members):
    from tests.factories import make_project

    foreign = _tag(make_project(), "elsewhere")
    client.force_login(members["owner"])
    response = client.post(
        _manage(project),
        {"action": "retire", "tag": foreign.pk, "version": 1},
        headers=HX,
    )
    assert response.status_code == 400
    edit = reverse("annotations:tag_edit", args=[project.slug, foreign.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, {**_fields(foreign), "version": 1}).status_code == 404
    foreign.refresh_from_db()
    assert not foreign.retired


def test_the_tags_page_stays_light_with_five_thousand_tags(client, doc, members):
    """The page of tags and its queries do not grow with the vocabulary."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    project = doc.project
    Tag.objects.bulk_create([Tag(project=project, name=f"t{n:04d}") for n in range(60)])
    client.force_login(members["curator"])
    with CaptureQueriesContext(connection) as few:
        small = client.get(_manage(project))
    Tag.objects.bulk_create(
        [Tag(project=project, name=f"tag {n:04d}") for n in range(5_000)]
    )
    make_annotation(doc, members["annotator"], "tunnel", tags=["tag 0001"])
    with CaptureQueriesContext(connection) as many:
        large = client.get(_manage(project))
    assert large.status_code == 200
    assert len(many) == len(few)
    # A full page either way: the same size, give or take the counts shown.
    assert len(large.content) < 1.1 * len(small.content) < 100_000
    html = large.content.decode()
    assert "5060 tags" in html and "page 1 of 102" in html
    found = client.get(_manage(project), {"q": "tag 4999"}).content.decode()
    assert "tag 4999" in found and "1 tag matching" in found
    search = reverse("annotations:tag_search_hx", args=[project.slug])
    assert (
        client.get(search, {"tags": "tag 00"}).content.decode().count("<option") == 20
    )


def test_new_tags_take_distinct_colours_from_the_palette(project):
    names = [f"code {n}" for n in range(len(services.PALETTE) + 1)]
    colours = [_tag(project, name).colour for name in names]
    assert colours[: len(services.PALETTE)] == list(services.PALETTE)
    assert colours[-1] == services.PALETTE[0]  # then round again
    assert _tag(project, "CODE 1").colour == colours[1]  # an existing tag keeps its
