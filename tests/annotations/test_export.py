"""The W3C export: every note a member sees, with its tags, replies, links and
history, as one AnnotationCollection; nothing they may not see."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import export, services, w3c
from annotations.models import Annotation, RelationType, Visibility
from corpus.roles import Role
from tests import w3c_model
from tests.factories import make_annotation, make_document, make_project

ASTRAL = "Chapo 𝔊uzmán 🚇 escaped"


@pytest.fixture
def work(project, members):
    document = make_document(
        project=project, paragraphs=[f"The tunnel was a mile long. {ASTRAL}.", "Next."]
    )
    other = make_document(project=project, paragraphs=["Another source."])
    note = make_annotation(
        document,
        members["annotator"],
        "𝔊uzmán 🚇",
        body="Two **astral** characters.",
        tags=["person", "method"],
    )
    services.set_status(
        annotation=note, by=members["curator"], status="approved", reason="Checked."
    )
    hidden = make_annotation(
        document, members["curator"], "tunnel", visibility=Visibility.PRIVATE
    )
    target = make_annotation(other, members["owner"], "Another")
    reply = services.create_reply(
        annotation=note, author=members["owner"], body="Agreed, see *the map*."
    )
    relation = RelationType.objects.filter(project=project).first()
    to_note = services.create_link(
        source=note,
        author=members["owner"],
        relation=relation,
        target_annotation=target,
    )
    to_source = services.create_link(
        source=note,
        author=members["owner"],
        relation=relation,
        target_url="https://example.org/report",
        target_title="A report",
    )
    return {
        "document": document,
        "other": other,
        "note": note,
        "hidden": hidden,
        "target": target,
        "reply": reply,
        "links": [to_note, to_source],
    }


def _export(client, project, document=None, **query) -> dict:
    if document is None:
        url = reverse("annotations:project_export_annotations", args=[project.slug])
    else:
        url = reverse(
            "annotations:document_export_annotations", args=[project.slug, document.pk]
        )
    response = client.get(url, query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    assert "attachment" in response["Content-Disposition"]
    return json.loads(b"".join(response.streaming_content))


def _by_id(collection: dict) -> dict[str, dict]:
    return {item["id"]: item for item in collection["first"]["items"]}


def test_a_note_comes_out_whole(client, project, members, work):
    client.force_login(members["annotator"])
    collection = _export(client, project)
    note = work["note"]
    items = _by_id(collection)
    base = "http://testserver"
    item = items[f"{base}/p/{project.slug}/annotations/{note.pk}"]
    assert item["type"] == "Annotation"
    assert item["motivation"] == "commenting"
    assert item["creator"]["nickname"] == "annotator-user"
    assert item["creator"]["type"] == "Person"
    assert item["body"] == [
        {
            "type": "TextualBody",
            "value": "Two **astral** characters.",
            "format": "text/markdown",
            "purpose": "commenting",
        },
        {"type": "TextualBody", "value": "method", "purpose": "tagging"},
        {"type": "TextualBody", "value": "person", "purpose": "tagging"},
    ]
    target = item["target"]
    assert target["source"] == f"{base}/p/{project.slug}/d/{note.document_id}/"
    quote, position = target["selector"]
    text = work["document"].text
    # Code points, astral characters counted as one, as our offsets are.
    assert text[position["start"] : position["end"]] == quote["exact"] == "𝔊uzmán 🚇"
    assert quote["prefix"] == text[: position["start"]][-32:]
    assert item["apparatus:status"] == "approved"
    assert item["apparatus:visibility"] == "project"
    kinds = [entry["apparatus:kind"] for entry in item["apparatus:history"]]
    assert kinds[:2] == ["created", "status"]
    assert item["apparatus:history"][1]["apparatus:reason"] == "Checked."
    assert item["apparatus:history"][1]["apparatus:after"] == "approved"


def test_replies_and_links_follow_their_note(client, project, members, work):
    client.force_login(members["viewer"])
    collection = _export(client, project)
    order = [
        item["id"].rsplit("/annotations/", 1)[1]
        for item in collection["first"]["items"]
    ]
    note, reply = work["note"], work["reply"]
    to_note, to_source = work["links"]
    start = order.index(str(note.pk))
    assert order[start : start + 4] == [
        str(note.pk),
        f"replies/{reply.pk}",
        f"links/{to_note.pk}",
        f"links/{to_source.pk}",
    ]
    items = _by_id(collection)
    base = f"http://testserver/p/{project.slug}/annotations/"
    answer = items[f"{base}replies/{reply.pk}"]
    assert answer["motivation"] == "replying"
    assert answer["target"] == f"{base}{note.pk}"
    assert answer["body"]["value"] == "Agreed, see *the map*."
    linked = items[f"{base}links/{to_note.pk}"]
    assert linked["motivation"] == "linking"
    assert linked["target"] == f"{base}{note.pk}"
    assert linked["body"] == f"{base}{work['target'].pk}"
    outside = items[f"{base}links/{to_source.pk}"]
    assert outside["body"] == {
        "id": "https://example.org/report",
        "type": "Text",
        "title": "A report",
    }
    # The note, its reply and two links, and the linked note (not the private one).
    assert collection["total"] == len(collection["first"]["items"]) == 5
    assert collection["first"]["partOf"] == {"id": collection["id"], "total": 5}


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_each_member_gets_what_they_see(client, project, members, work, role):
    client.force_login(members[role])
    items = _by_id(_export(client, project))
    hidden = f"http://testserver/p/{project.slug}/annotations/{work['hidden'].pk}"
    # A private note is its author's alone (the curator's, here).
    assert (hidden in items) == (role == "curator")


def test_a_document_export_holds_its_notes_only(client, project, members, work):
    client.force_login(members["owner"])
    collection = _export(client, project, work["document"])
    sources = {
        item["target"]["source"]
        for item in collection["first"]["items"]
        if item["motivation"] not in {"replying", "linking"}
    }
    assert sources == {f"http://testserver/p/{project.slug}/d/{work['document'].pk}/"}
    assert collection["id"].endswith(f"/annotations/documents/{work['document'].pk}/")


def test_approved_only(client, project, members, work):
    client.force_login(members["owner"])
    items = _export(client, project, approved="1")["first"]["items"]
    notes = [item for item in items if item["motivation"] == "commenting"]
    assert [item["apparatus:status"] for item in notes] == ["approved"]


@pytest.mark.parametrize("scope", ["project", "document"])
def test_outsiders_get_404(client, project, members, work, scope):
    client.force_login(members["outsider"])
    args = [project.slug] + ([work["document"].pk] if scope == "document" else [])
    url = reverse(f"annotations:{scope}_export_annotations", args=args)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_a_document_of_another_project_is_404(client, project, members, work):
    elsewhere = make_document(project=make_project())
    client.force_login(members["owner"])
    url = reverse(
        "annotations:document_export_annotations", args=[project.slug, elsewhere.pk]
    )
    assert client.get(url).status_code == 404


def test_batches_cover_every_note_once(project, members, work, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 2)
    for word in ["mile", "long", "Next"]:
        make_annotation(work["document"], members["annotator"], word)
    membership = project.memberships.get(user=members["owner"])
    notes = export.Scope(membership).notes
    ids = [
        item["id"]
        for item in export.items(membership, w3c.Iris("http://x", project.slug), notes)
        if item["motivation"] not in {"replying", "linking"}
    ]
    expected = Annotation.objects.shown_to_member(membership).count()
    # Two notes of the fixture and three new ones (not the curator's private one).
    assert len(ids) == len(set(ids)) == expected == 5


def test_a_gzipped_export_is_the_same(client, project, members, work):
    client.force_login(members["owner"])
    url = reverse("annotations:project_export_annotations", args=[project.slug])
    plain = json.loads(b"".join(client.get(url).streaming_content))
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(b"".join(response.streaming_content))) == plain


def test_queries_grow_with_batches_not_notes(project, members, work, monkeypatch):
    """Five queries a batch (notes, tags, replies, links, history), whatever the
    number of notes in it."""
    for word in ["mile", "long", "Next", "was", "The"]:
        make_annotation(work["document"], members["annotator"], word)
    membership = project.memberships.select_related("project").get(
        user=members["owner"]
    )
    iris = w3c.Iris("http://x", project.slug)

    def queries(batch: int) -> int:
        monkeypatch.setattr(export, "BATCH", batch)
        with CaptureQueriesContext(connection) as captured:
            list(
                export.collection(
                    export.Scope(membership), iris, address="http://x/export"
                )
            )
        return len(captured)

    # 7 notes: one batch and an empty one, or four and an empty one.
    assert queries(100) + 3 * 5 == queries(2)


@pytest.mark.parametrize("scope", ["project", "document"])
def test_the_export_passes_every_must_of_the_w3c_suite(
    client, project, members, work, scope
):
    client.force_login(members["curator"])
    collection = _export(
        client, project, work["document"] if scope == "document" else None
    )
    assert w3c_model.must_failures(collection, "AnnotationCollection") == []
    page = {"@context": collection["@context"], **collection["first"]}
    assert w3c_model.must_failures(page, "AnnotationPage") == []
    kinds = set()
    for item in collection["first"]["items"]:
        kinds.add(item["motivation"])
        alone = {"@context": collection["@context"], **item}
        assert w3c_model.must_failures(alone, "Annotation") == [], item["id"]
    assert kinds == {"commenting", "highlighting", "replying", "linking"}


def test_history_tells_no_earlier_text_or_hidden_end(client, project, members, work):
    """A private draft, edited, then shared: a colleague's export shows that it
    changed, not what it said before; a link deleted to a private note leaves
    no trace of that note."""
    draft = make_annotation(
        work["document"],
        members["annotator"],
        "mile long",
        body="Secret first thoughts.",
        tags=["hunch"],
        visibility=Visibility.PRIVATE,
    )
    services.update_annotation(
        annotation=draft,
        editor=members["annotator"],
        version=draft.version,
        body="Checked: a mile.",
        tags=["distance"],
        visibility=Visibility.PROJECT,
    )
    client.force_login(members["viewer"])
    text = json.dumps(_export(client, project))
    assert "Checked: a mile." in text
    assert "Secret first thoughts" not in text
    assert "hunch" not in text
    assert f"/annotations/{work['hidden'].pk}" not in text


def test_pending_notes_stay_hidden_under_premoderation(client, project, members, work):
    project.premoderation = True
    project.save()
    pending = make_annotation(work["document"], members["curator"], "long")
    services.create_reply(annotation=pending, author=members["owner"], body="Hm.")
    client.force_login(members["viewer"])
    text = json.dumps(_export(client, project))
    assert f'/annotations/{pending.pk}"' not in text
    assert "Hm." not in text
    client.force_login(members["owner"])
    assert f'/annotations/{pending.pk}"' in json.dumps(_export(client, project))


def test_the_page_is_the_file_it_came_in(client, project, members, work):
    client.force_login(members["viewer"])
    collection = _export(client, project, approved="1")
    assert (
        collection["first"]["id"]
        == collection["last"]
        == (f"http://testserver/p/{project.slug}/export/annotations.jsonld?approved=1")
    )


def _page(project) -> str:
    return reverse("annotations:project_export", args=[project.slug])


@pytest.mark.parametrize("role", [*(role.value for role in Role), "outsider"])
def test_every_member_finds_the_export_page(client, project, members, work, role):
    client.force_login(members[role])
    response = client.get(_page(project))
    if role == "outsider":
        assert response.status_code == 404
        return
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{_page(project)}" aria-current="page">Export</a>' in html
    assert f"http://testserver/p/{project.slug}/annotations/" in html
    assert reverse("corpus:api_tokens") in html


def test_the_export_page_sends_to_the_chosen_download(client, project, members, work):
    client.force_login(members["viewer"])
    whole = client.get(_page(project), {"document": ""})
    assert whole.status_code == 302
    assert whole["Location"] == reverse(
        "annotations:project_export_annotations", args=[project.slug]
    )
    one = client.get(
        _page(project), {"document": work["document"].pk, "approved": "on"}
    )
    assert one["Location"] == (
        reverse(
            "annotations:document_export_annotations",
            args=[project.slug, work["document"].pk],
        )
        + "?approved=1"
    )


def test_a_document_of_another_project_is_not_offered(client, project, members, work):
    elsewhere = make_document(project=make_project())
    client.force_login(members["viewer"])
    response = client.get(_page(project), {"document": elsewhere.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert client.get(_page(project)).status_code == 200
    client.logout()
    assert client.get(_page(project)).status_code == 302


def test_every_apparatus_term_is_explained_at_its_namespace(
    client, project, members, work
):
    client.force_login(members["owner"])
    collection = _export(client, project)
    used = set(re.findall(r'"apparatus:(\w+)"', json.dumps(collection)))
    assert {"status", "visibility", "history", "kind", "actor", "relation"} <= used
    client.logout()
    page = client.get(reverse("annotations:vocabulary"))
    assert page.status_code == 200
    assert "http://testserver/ns#" in page.text
    for term in used | {"before", "after", "reason", "citation", "note", "accessed"}:
        assert f'id="{term}"' in page.text, term
    # The namespace the export declares is this page.
    assert collection["@context"][1]["apparatus"] == "http://testserver/ns#"
