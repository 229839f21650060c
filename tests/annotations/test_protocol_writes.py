"""The W3C Web Annotation Protocol, write side: POST to a container, PUT and
DELETE with If-Match, by session (with CSRF) or by a personal API token."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, RelationType, Reply, Tag
from corpus.models import ApiToken
from corpus.roles import Role
from corpus.services import tokens
from tests import w3c_model
from tests.factories import make_annotation, make_document, make_project, revise_block

TEXT = "The tunnel was a mile long. The tunnel had light and air. 𝔊uzmán left."
JSONLD = "application/ld+json"


@pytest.fixture
def document(project):
    return make_document(project=project, paragraphs=[TEXT])


def _container(project, document=None) -> str:
    if document is None:
        return reverse("annotations:w3c_container", args=[project.slug])
    return reverse(
        "annotations:w3c_document_container", args=[project.slug, document.pk]
    )


def _doc_iri(project, document) -> str:
    return f"http://testserver/p/{project.slug}/d/{document.pk}/"


def _new(project, document, **selector) -> dict:
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "id": "urn:uuid:9b0a2c7e-0000-4000-8000-000000000001",
        "body": [
            {"type": "TextualBody", "value": "A *mile*.", "purpose": "commenting"},
            {"type": "TextualBody", "value": "distance", "purpose": "tagging"},
        ],
        "target": {
            "source": _doc_iri(project, document),
            "selector": selector
            or [
                {"type": "TextQuoteSelector", "exact": "a mile long"},
                {"type": "TextPositionSelector", "start": 15, "end": 26},
            ],
        },
    }


def _token_client(user) -> tuple[Client, str]:
    _token, text = tokens.create_token(user=user, name="tests")
    return Client(enforce_csrf_checks=True), text


def _post(client, url, data, token=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return client.post(url, body, content_type=JSONLD, headers=headers)


def test_a_token_posts_a_note_that_comes_back_whole(project, members, document):
    client, token = _token_client(members["annotator"])
    response = _post(client, _container(project), _new(project, document), token)
    assert response.status_code == 201, response.content
    made = json.loads(response.content)
    assert response["Location"] == made["id"]
    assert made["id"].startswith(f"http://testserver/p/{project.slug}/annotations/")
    assert made["via"] == "urn:uuid:9b0a2c7e-0000-4000-8000-000000000001"
    assert w3c_model.must_failures(made, "Annotation") == []
    note = Annotation.objects.get()
    assert (note.start, note.end, note.exact) == (15, 26, "a mile long")
    assert note.body == "A *mile*."
    assert [tag.name for tag in note.tags.all()] == ["distance"]
    assert note.author == members["annotator"]
    # What the server gives back is what a GET gives, ETag and all.
    again = client.get(made["id"], headers={"Authorization": f"Bearer {token}"})
    assert json.loads(again.content) == made
    assert again["ETag"] == response["ETag"]


def test_a_quote_alone_is_found_if_it_is_there_once(project, members, document):
    client, token = _token_client(members["annotator"])
    once = _new(project, document, type="TextQuoteSelector", exact="𝔊uzmán")
    response = _post(client, _container(project), once, token)
    assert response.status_code == 201
    note = Annotation.objects.get()
    assert document.text[note.start : note.end] == "𝔊uzmán"
    twice = _new(project, document, type="TextQuoteSelector", exact="The tunnel")
    refused = _post(client, _container(project), twice, token)
    assert refused.status_code == 400
    assert "more than once" in refused.json()["error"]
    told = _new(
        project,
        document,
        type="TextQuoteSelector",
        exact="The tunnel",
        prefix="long. ",
    )
    assert _post(client, _container(project), told, token).status_code == 201
    assert Annotation.objects.order_by("pk").last().start == 28


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        (lambda data: "{not json", 400, "not JSON"),
        (lambda data: [data], 400, "JSON object"),
        (lambda data: {**data, "type": "Note"}, 400, "not an annotation"),
        (
            lambda data: {
                **data,
                "target": {
                    **data["target"],
                    "selector": [
                        {"type": "TextQuoteSelector", "exact": "a mile wide"},
                        {"type": "TextPositionSelector", "start": 15, "end": 26},
                    ],
                },
            },
            400,
            "does not match",
        ),
        (
            lambda data: {
                **data,
                "target": {
                    **data["target"],
                    "selector": {
                        "type": "TextPositionSelector",
                        "start": 5,
                        "end": 999,
                    },
                },
            },
            400,
            "outside the text",
        ),
        (
            lambda data: {
                **data,
                "target": {**data["target"], "selector": {"type": "XPathSelector"}},
            },
            400,
            "Selectors taken",
        ),
        (
            lambda data: {
                **data,
                "target": {**data["target"], "source": "http://elsewhere.org/d/1/"},
            },
            404,
            "No such document",
        ),
        (lambda data: {**data, "body": {"type": "Image", "id": "x"}}, 400, "Textual"),
        (lambda data: {**data, "apparatus:visibility": "world"}, 400, "visibility"),
    ],
)
def test_bad_input_is_a_clear_json_error_and_stores_nothing(
    project, members, document, change, status, says
):
    client, token = _token_client(members["annotator"])
    response = _post(
        client, _container(project), change(_new(project, document)), token
    )
    assert response.status_code == status
    assert says in response.json()["error"]
    assert not Annotation.objects.exists()


def test_a_mismatch_says_what_the_text_holds(project, members, document):
    client, token = _token_client(members["annotator"])
    data = _new(project, document)
    data["target"]["selector"][0]["exact"] = "a mile wide"
    response = _post(client, _container(project), data, token)
    assert response.json()["expected"] == "a mile long"


def test_a_document_in_another_project_is_404(project, members, document):
    elsewhere = make_document(project=make_project(), paragraphs=[TEXT])
    client, token = _token_client(members["annotator"])
    data = _new(project, document)
    data["target"]["source"] = f"http://testserver/p/{project.slug}/d/{elsewhere.pk}/"
    assert _post(client, _container(project), data, token).status_code == 404
    other = _new(project, document)
    other["target"]["source"] = _doc_iri(elsewhere.project, elsewhere)
    assert _post(client, _container(project), other, token).status_code == 404
    assert not Annotation.objects.exists()


def test_a_document_container_takes_notes_on_its_document(project, members, document):
    other = make_document(project=project, paragraphs=[TEXT + " Again."])
    client, token = _token_client(members["annotator"])
    url = _container(project, other)
    assert _post(client, url, _new(project, document), token).status_code == 400
    assert _post(client, url, _new(project, other), token).status_code == 201


def test_a_reply_is_posted_to_its_note(project, members, document):
    note = make_annotation(document, members["curator"], "light and air")
    client, token = _token_client(members["annotator"])
    reply = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "replying",
        "body": {"type": "TextualBody", "value": "Where from?"},
        "target": f"http://testserver/p/{project.slug}/annotations/{note.pk}",
    }
    response = _post(client, _container(project), reply, token)
    assert response.status_code == 201
    assert Reply.objects.get().body == "Where from?"
    assert w3c_model.must_failures(response.json(), "Annotation") == []


def _read(client, url, token):
    response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    return response["ETag"], json.loads(response.content)


def test_put_replaces_with_if_match(project, members, document):
    client, token = _token_client(members["annotator"])
    made = _post(client, _container(project), _new(project, document), token).json()
    etag, current = _read(client, made["id"], token)
    current["body"] = [
        {"type": "TextualBody", "value": "Edited.", "purpose": "commenting"}
    ]
    auth = {"Authorization": f"Bearer {token}"}

    def put(headers):
        return client.put(
            made["id"], json.dumps(current), content_type=JSONLD, headers=headers
        )

    assert put(auth).status_code == 428
    assert put({**auth, "If-Match": '"stale"'}).status_code == 412
    response = put({**auth, "If-Match": etag})
    assert response.status_code == 200, response.content
    assert Annotation.objects.get().body == "Edited."
    assert response["ETag"] != etag
    assert put({**auth, "If-Match": etag}).status_code == 412
    moved = json.loads(json.dumps(current))
    moved["target"]["selector"] = [
        {"type": "TextPositionSelector", "start": 0, "end": 3}
    ]
    refused = client.put(
        made["id"],
        json.dumps(moved),
        content_type=JSONLD,
        headers={**auth, "If-Match": response["ETag"]},
    )
    assert refused.status_code == 400
    assert "keeps its passage" in refused.json()["error"]


def test_delete_with_if_match_takes_it_out_of_the_container(project, members, document):
    client, token = _token_client(members["annotator"])
    made = _post(client, _container(project), _new(project, document), token).json()
    etag, _ = _read(client, made["id"], token)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.delete(made["id"], headers=auth).status_code == 428
    assert (
        client.delete(made["id"], headers={**auth, "If-Match": etag}).status_code == 204
    )
    assert Annotation.objects.get().deleted_at is not None
    assert client.get(made["id"], headers=auth).status_code == 404
    listed = client.get(_container(project), headers=auth).json()
    assert listed["total"] == 0


@pytest.mark.parametrize("role", [*(role.value for role in Role), "outsider"])
def test_who_may_post(project, members, document, role):
    client, token = _token_client(members[role])
    response = _post(client, _container(project), _new(project, document), token)
    expected = {"viewer": 403, "outsider": 404}.get(role, 201)
    assert response.status_code == expected
    assert response["Content-Type"].startswith(
        "application/json" if expected != 201 else JSONLD
    )


def test_only_its_author_or_a_curator_changes_a_note(project, members, document):
    note = make_annotation(document, members["annotator"], "light and air")
    url = f"http://testserver/p/{project.slug}/annotations/{note.pk}"
    for role, expected in (("annotator", 204), ("curator", 204)):
        note.deleted_at = None
        note.save()
        client, token = _token_client(members[role])
        etag, _ = _read(client, url, token)
        auth = {"Authorization": f"Bearer {token}", "If-Match": etag}
        assert client.delete(url, headers=auth).status_code == expected
    other = make_annotation(document, members["owner"], "mile")
    client, token = _token_client(members["annotator"])
    url = f"http://testserver/p/{project.slug}/annotations/{other.pk}"
    etag, _ = _read(client, url, token)
    auth = {"Authorization": f"Bearer {token}", "If-Match": etag}
    assert client.delete(url, headers=auth).status_code == 403


def test_session_writes_need_csrf_token_writes_do_not(project, members, document):
    session = Client(enforce_csrf_checks=True)
    session.force_login(members["annotator"])
    refused = _post(session, _container(project), _new(project, document))
    assert refused.status_code == 403
    session.get(reverse("corpus:project_list"))
    csrf = session.cookies["csrftoken"].value
    accepted = _post(
        session, _container(project), _new(project, document), **{"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 201


def test_a_revoked_or_unknown_token_is_401(project, members, document):
    client, token = _token_client(members["annotator"])
    tokens.revoke_token(token=ApiToken.objects.get())
    for sent in (token, "apx_nothing_here", "garbage"):
        response = _post(client, _container(project), _new(project, document), sent)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Annotation.objects.exists()


def test_a_token_of_a_disabled_account_is_401(project, members, document):
    client, token = _token_client(members["annotator"])
    members["annotator"].is_active = False
    members["annotator"].save()
    response = client.get(
        _container(project), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


def test_a_gzipped_client_matches_its_etags(project, members, document):
    """The compression middleware marks a gzipped answer's ETag weak; the
    client sends back what it got, and it still matches."""
    client, token = _token_client(members["annotator"])
    made = _post(client, _container(project), _new(project, document), token).json()
    auth = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    read = client.get(made["id"], headers=auth)
    assert read["ETag"].startswith('W/"')
    assert (
        client.get(made["id"], headers={**auth, "If-None-Match": read["ETag"]})
    ).status_code == 304
    deleted = client.delete(made["id"], headers={**auth, "If-Match": read["ETag"]})
    assert deleted.status_code == 204


def test_put_without_visibility_keeps_a_private_note_private(
    project, members, document
):
    client, token = _token_client(members["annotator"])
    data = {**_new(project, document), "apparatus:visibility": "private"}
    made = _post(client, _container(project), data, token).json()
    etag, current = _read(client, made["id"], token)
    del current["apparatus:visibility"]
    current["body"] = [{"type": "TextualBody", "value": "Still mine."}]
    response = client.put(
        made["id"],
        json.dumps(current),
        content_type=JSONLD,
        headers={"Authorization": f"Bearer {token}", "If-Match": etag},
    )
    assert response.status_code == 200
    assert Annotation.objects.get().visibility == "private"


def test_a_common_quote_in_a_long_text_is_refused_at_once(project, members):
    """The quote's places are compared in place: a one-letter quote in a long
    text costs a search, not a copy of the text for each place."""
    long = make_document(project=project, paragraphs=["e" * 200_000 + " end."])
    client, token = _token_client(members["annotator"])
    data = _new(project, long, type="TextQuoteSelector", exact="e")
    response = _post(client, _container(project), data, token)
    assert response.status_code == 400
    assert "more than once" in response.json()["error"]


@pytest.mark.parametrize(
    "change",
    [
        lambda data: {**data, "body": {"type": "TextualBody", "value": "a\x00b"}},
        lambda data: {**data, "type": [{"nested": "object"}]},
        lambda data: {
            **data,
            "target": {
                **data["target"],
                "selector": {"type": "TextQuoteSelector", "exact": "mile", "prefix": 3},
            },
        },
        lambda data: {
            **data,
            "target": {**data["target"], "source": f"{data['target']['source']}²"},
        },
        lambda data: {
            **data,
            "target": {
                **data["target"],
                "selector": {"type": "TextPositionSelector", "start": True, "end": 3},
            },
        },
        lambda data: (
            json.dumps(data)[:-1] + ', "x": ' + "[" * 50_000 + "]" * 50_000 + "}"
        ),
    ],
    ids=["nul", "type-object", "prefix-number", "superscript-id", "bool-start", "deep"],
)
def test_odd_shapes_are_400_not_500(project, members, document, change):
    client, token = _token_client(members["annotator"])
    response = _post(
        client, _container(project), change(_new(project, document)), token
    )
    assert response.status_code in {400, 404}
    assert "error" in response.json()
    assert not Annotation.objects.exists()


def test_a_session_write_without_csrf_is_a_json_403(project, members, document):
    session = Client(enforce_csrf_checks=True)
    session.force_login(members["annotator"])
    refused = _post(session, _container(project), _new(project, document))
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]


def _reply_to(project, note, value="Me too.") -> dict:
    return {
        "type": "Annotation",
        "motivation": "replying",
        "body": {"type": "TextualBody", "value": value},
        "target": f"http://testserver/p/{project.slug}/annotations/{note.pk}",
    }


def _send(client, method, url, data, token, etag=None):
    headers = {"Authorization": f"Bearer {token}"}
    if etag:
        headers["If-Match"] = etag
    body = "" if data is None else json.dumps(data)
    return client.generic(method, url, body, content_type=JSONLD, headers=headers)


def test_a_reply_is_replaced_and_deleted_with_its_etag(project, members, document):
    note = make_annotation(document, members["annotator"], "light and air")
    client, token = _token_client(members["annotator"])
    made = _post(client, _container(project), _reply_to(project, note), token)
    assert made["Allow"] == "GET, HEAD, OPTIONS, PUT, DELETE"
    url, etag = made["Location"], made["ETag"]
    assert (
        _send(client, "PUT", url, _reply_to(project, note, "Now."), token).status_code
        == 428
    )
    replaced = _send(
        client, "PUT", url, _reply_to(project, note, "Me as well."), token, etag
    )
    assert replaced.status_code == 200, replaced.content
    assert json.loads(replaced.content)["body"]["value"] == "Me as well."
    assert Reply.objects.get().body == "Me as well."
    stale = _send(client, "DELETE", url, None, token, etag)
    assert stale.status_code == 412
    # A reply stays with its note.
    other = make_annotation(document, members["annotator"], "air")
    moved = _send(
        client, "PUT", url, _reply_to(project, other, "Here."), token, replaced["ETag"]
    )
    assert moved.status_code == 400
    assert "stays with its annotation" in moved.json()["error"]
    # Someone else's reply is theirs (a viewer may not annotate at all).
    viewer, viewers_token = _token_client(members["viewer"])
    refused = _send(viewer, "DELETE", url, None, viewers_token, replaced["ETag"])
    assert refused.status_code == 403
    gone = _send(client, "DELETE", url, None, token, replaced["ETag"])
    assert gone.status_code == 204
    assert Reply.objects.get().deleted_at is not None
    assert (
        client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 404
    )


def test_a_link_is_deleted_not_replaced(project, members, document):
    note = make_annotation(document, members["annotator"], "light and air")
    link = services.create_link(
        source=note,
        author=members["annotator"],
        relation=RelationType.objects.filter(project=project).first(),
        target_url="https://example.org/",
    )
    client, token = _token_client(members["annotator"])
    url = f"/p/{project.slug}/annotations/links/{link.pk}"
    read = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert read["Allow"] == "GET, HEAD, OPTIONS, DELETE"
    refused = _send(client, "PUT", url, {"type": "Annotation"}, token, read["ETag"])
    assert refused.status_code == 405
    assert refused["Allow"] == "GET, HEAD, OPTIONS, DELETE"
    assert _send(client, "DELETE", url, None, token, read["ETag"]).status_code == 204
    link.refresh_from_db()
    assert link.deleted_by == members["annotator"]


def test_a_reply_must_be_one_text(project, members, document):
    note = make_annotation(document, members["annotator"], "light and air")
    client, token = _token_client(members["annotator"])
    reply = _reply_to(project, note)
    other = make_document(project=project, paragraphs=["Another text here."])
    elsewhere = _post(client, _container(project, other), reply, token)
    assert elsewhere.status_code == 400
    tagged = {
        **reply,
        "body": [
            reply["body"],
            {"type": "TextualBody", "value": "t", "purpose": "tagging"},
        ],
    }
    assert _post(client, _container(project), tagged, token).status_code == 400
    assert not Reply.objects.exists()


@pytest.mark.parametrize("depth", [900, 990])
def test_json_nested_near_the_limit_is_400_not_500(project, members, document, depth):
    client, token = _token_client(members["annotator"])
    body = json.dumps(_new(project, document))[:-1]
    body += ', "x": ' + "[" * depth + "]" * depth + "}"
    response = _post(client, _container(project), body, token)
    assert response.status_code in {201, 400}


def test_a_form_post_is_told_to_send_json(project, members, document):
    client, token = _token_client(members["annotator"])
    response = client.post(
        _container(project),
        {"body": "not an annotation"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 415
    assert "JSON" in response.json()["error"]
    assert not Annotation.objects.exists()


def test_too_many_tags_are_refused_by_the_notes_own_rule(project, members, document):
    client, token = _token_client(members["annotator"])
    data = _new(project, document)
    data["body"] = [
        {"type": "TextualBody", "value": f"t{n}", "purpose": "tagging"}
        for n in range(51)
    ]
    response = _post(client, _container(project), data, token)
    assert response.status_code == 400
    assert "50" in response.json()["error"]
    assert not Annotation.objects.exists()
    assert not Tag.objects.exists()


def test_an_orphans_note_is_replaced_through_its_own_target(project, members, document):
    """An orphan comes out with its last quote and no position; sent back with a
    new note, it is taken (not looked for in a text it is no longer in)."""
    client, token = _token_client(members["annotator"])
    made = _post(client, _container(project), _new(project, document), token).json()
    revise_block(document, members["owner"], 0, "Zzzz qqqq. " + TEXT.split(". ", 1)[1])
    etag, orphan = _read(client, made["id"], token)
    assert orphan["target"]["apparatus:anchoring"] == "orphan"
    orphan["body"] = [
        {"type": "TextualBody", "value": "Kept.", "purpose": "commenting"}
    ]
    auth = {"Authorization": f"Bearer {token}", "If-Match": etag}
    response = client.put(
        made["id"], json.dumps(orphan), content_type=JSONLD, headers=auth
    )
    assert response.status_code == 200, response.content
    assert Annotation.objects.get().body == "Kept."
    orphan["target"]["selector"]["exact"] = "very long"
    refused = client.put(
        made["id"],
        json.dumps(orphan),
        content_type=JSONLD,
        headers={**auth, "If-Match": response["ETag"]},
    )
    assert refused.status_code == 400


def test_a_target_counted_in_an_older_text_is_refused(project, members, document):
    """Positions the export gave before a revision may point at other words
    now: a client that names the revision they count in is told (409)."""
    client, token = _token_client(members["annotator"])
    old = _new(project, document)
    old["target"]["apparatus:textRevision"] = 0
    revise_block(document, members["owner"], 0, "Now: " + TEXT)
    refused = _post(client, _container(project), old, token)
    assert refused.status_code == 409
    assert "it is at revision 1" in refused.json()["error"]
    assert not Annotation.objects.exists()
    old["target"]["apparatus:textRevision"] = 1
    assert _post(client, _container(project), old, token).status_code == 400
    old["target"]["apparatus:textRevision"] = "one"
    assert _post(client, _container(project), old, token).status_code == 400
