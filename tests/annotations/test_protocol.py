"""The W3C Web Annotation Protocol, read side: containers, pages, annotations."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Visibility
from annotations.views import protocol
from corpus.roles import Role
from tests import w3c_model
from tests.factories import make_annotation, make_document

WORDS = ["tunnel", "mile", "long", "escape", "prison", "night", "guard"]


@pytest.fixture
def notes(project, members):
    document = make_document(
        project=project,
        paragraphs=["The tunnel was a mile long.", "The escape from prison at night."],
    )
    made = [make_annotation(document, members["annotator"], word) for word in WORDS[:5]]
    services.create_reply(annotation=made[0], author=members["owner"], body="Yes.")
    return made


def _container(project, document=None) -> str:
    if document is None:
        return reverse("annotations:w3c_container", args=[project.slug])
    return reverse(
        "annotations:w3c_document_container", args=[project.slug, document.pk]
    )


def _get(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.content[:300]
    return response, json.loads(response.content)


def test_the_container_says_what_it_is(client, project, members, notes):
    client.force_login(members["viewer"])
    response, collection = _get(client, _container(project))
    assert response["Content-Type"] == (
        'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
    )
    assert '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"' in response["Link"]
    assert 'rel="http://www.w3.org/ns/ldp#constrainedBy"' in response["Link"]
    assert response["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert response["Accept-Post"].startswith("application/ld+json")
    assert {"Accept", "Prefer"} <= set(response["Vary"].split(", "))
    assert response["ETag"].startswith('"')
    assert collection["type"] == ["BasicContainer", "AnnotationCollection"]
    assert collection["total"] == 6  # five notes and a reply
    assert len(collection["first"]["items"]) == 6
    assert "modified" in collection
    assert w3c_model.must_failures(collection, "AnnotationCollection") == []


def test_pages_walk_every_item_once_and_stay_put(
    client, project, members, notes, monkeypatch
):
    monkeypatch.setattr(protocol, "PAGE_SIZE", 2)
    client.force_login(members["annotator"])
    _, collection = _get(client, _container(project))
    pages, url, previous = [], collection["first"]["id"], None
    while url:
        _, page = _get(client, url)
        assert page["type"] == "AnnotationPage"
        assert page["partOf"]["id"] == collection["id"]
        assert page.get("prev") == previous
        assert w3c_model.must_failures(page, "AnnotationPage") == []
        pages.append(page)
        previous, url = page["id"], page.get("next")
        if len(pages) == 2:
            # A note made meanwhile comes last: the pages already read stay.
            make_annotation(notes[0].document, members["annotator"], "night")
    # Two notes a page (the first with the first note's reply), the new note
    # on the last page, which the collection named before it came.
    assert [len(page["items"]) for page in pages] == [3, 2, 2]
    assert [page["startIndex"] for page in pages] == [0, 3, 5]
    assert [page["partOf"]["total"] for page in pages] == [6, 6, 7]
    assert collection["last"] == pages[-1]["id"]
    seen = [item["id"] for page in pages for item in page["items"]]
    assert len(seen) == len(set(seen)) == 7
    _, again = _get(client, pages[0]["id"])
    assert again["items"] == pages[0]["items"]


def test_page_start_indices_count_replies(client, project, members, notes, monkeypatch):
    monkeypatch.setattr(protocol, "PAGE_SIZE", 2)
    client.force_login(members["annotator"])
    _, collection = _get(client, _container(project))
    first = collection["first"]
    # The first note's reply follows it on the first page.
    assert [item["motivation"] for item in first["items"]] == [
        "highlighting",
        "replying",
        "highlighting",
    ]
    _, second = _get(client, first["next"])
    assert second["startIndex"] == 3
    assert second["prev"] == first["id"]
    _, last = _get(client, collection["last"])
    assert "next" not in last
    assert last["startIndex"] + len(last["items"]) == collection["total"]


def test_prefer_iris_and_minimal(client, project, members, notes):
    client.force_login(members["viewer"])
    iris = 'return=representation;include="http://www.w3.org/ns/oa#PreferContainedIRIs"'
    response, collection = _get(client, _container(project), Prefer=iris)
    assert response["Preference-Applied"] == "return=representation"
    assert all(isinstance(item, str) for item in collection["first"]["items"])
    minimal = 'return=representation;include="http://www.w3.org/ns/ldp#PreferMinimalContainer"'
    _, bare = _get(client, _container(project), Prefer=minimal)
    assert isinstance(bare["first"], str)
    assert w3c_model.must_failures(bare, "AnnotationCollection") == []


def test_etags_answer_304_until_something_changes(client, project, members, notes):
    client.force_login(members["viewer"])
    response, _ = _get(client, _container(project))
    etag = response["ETag"]
    again = client.get(_container(project), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again["ETag"] == etag
    services.create_reply(annotation=notes[1], author=members["owner"], body="And?")
    changed = client.get(_container(project), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_head_and_options(client, project, members, notes):
    client.force_login(members["viewer"])
    head = client.head(_container(project))
    assert head.status_code == 200
    assert head["Content-Type"].startswith("application/ld+json")
    assert head["ETag"] == client.get(_container(project))["ETag"]
    options = client.options(_container(project))
    assert options.status_code == 200
    assert options["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert options["Accept-Post"].startswith("application/ld+json")


def test_a_document_container_holds_its_notes(client, project, members, notes):
    other = make_document(project=project, paragraphs=["Elsewhere entirely."])
    make_annotation(other, members["annotator"], "Elsewhere")
    client.force_login(members["viewer"])
    _, collection = _get(client, _container(project, notes[0].document))
    assert collection["total"] == 6
    assert collection["id"].endswith(f"/documents/{notes[0].document_id}/")


@pytest.mark.parametrize("kind", ["note", "reply", "link"])
def test_each_annotation_at_its_iri(client, project, members, notes, kind):
    relation = project.relation_types.first()
    link = services.create_link(
        source=notes[0],
        author=members["owner"],
        relation=relation,
        target_annotation=notes[1],
    )
    reply = notes[0].replies.get()
    pk = {"note": notes[0].pk, "reply": reply.pk, "link": link.pk}[kind]
    client.force_login(members["viewer"])
    url = reverse(f"annotations:w3c_{kind}", args=[project.slug, pk])
    response, item = _get(client, url)
    assert item["id"] == f"http://testserver{url}"
    assert response["Link"] == '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
    assert w3c_model.must_failures(item, "Annotation") == []
    assert (
        client.get(url, headers={"If-None-Match": response["ETag"]}).status_code == 304
    )


@pytest.mark.parametrize("role", [*(role.value for role in Role), "outsider"])
def test_who_sees_a_private_note(client, project, members, notes, role):
    private = make_annotation(
        notes[0].document, members["annotator"], "prison", visibility=Visibility.PRIVATE
    )
    client.force_login(members[role])
    url = reverse("annotations:w3c_note", args=[project.slug, private.pk])
    assert client.get(url).status_code == (200 if role == "annotator" else 404)
    container = client.get(_container(project))
    assert container.status_code == (404 if role == "outsider" else 200)


def test_strangers_are_asked_to_sign_in(client, project, notes):
    for url in (
        _container(project),
        reverse("annotations:w3c_note", args=[project.slug, notes[0].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 401
        assert "Bearer" in response["WWW-Authenticate"]


@pytest.mark.parametrize("page", ["abc", "-1", "1e9"])
def test_a_malformed_page_is_404(client, project, members, notes, page):
    client.force_login(members["viewer"])
    assert client.get(_container(project), {"page": page}).status_code == 404


def test_prefer_omit_is_not_read_as_include(client, project, members, notes):
    client.force_login(members["viewer"])
    omit = 'return=representation;omit="http://www.w3.org/ns/oa#PreferContainedDescriptions"'
    response, collection = _get(client, _container(project), Prefer=omit)
    assert isinstance(collection["first"], dict)
    assert "Preference-Applied" not in response


def test_a_reply_or_link_on_a_note_hidden_from_the_reader_is_404(
    client, project, members, notes
):
    private = make_annotation(
        notes[0].document, members["curator"], "prison", visibility=Visibility.PRIVATE
    )
    reply = services.create_reply(
        annotation=private, author=members["curator"], body="x"
    )
    relation = project.relation_types.first()
    link = services.create_link(
        source=notes[0],
        author=members["owner"],
        relation=relation,
        target_annotation=private,
    )
    client.force_login(members["viewer"])
    for name, pk in (("w3c_reply", reply.pk), ("w3c_link", link.pk)):
        url = reverse(f"annotations:{name}", args=[project.slug, pk])
        assert client.get(url).status_code == 404
    client.force_login(members["curator"])
    for name, pk in (("w3c_reply", reply.pk), ("w3c_link", link.pk)):
        url = reverse(f"annotations:{name}", args=[project.slug, pk])
        assert client.get(url).status_code == 200
