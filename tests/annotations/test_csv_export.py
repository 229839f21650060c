"""The CSV tables: what a member sees, as a zip of tidy tables that join, safe
to open in a spreadsheet; for a project, a document, or the margin's filter."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import RelationType, Visibility
from tests.conftest import ROLES, expected_status
from tests.factories import make_annotation, make_document

ASTRAL = "𝔊uzmán 🚇"


@pytest.fixture
def work(project, members):
    document = make_document(
        project=project,
        paragraphs=[f"The tunnel of {ASTRAL} was long.", "-1 metre, @night."],
        title="=cmd|' /C calc'!A0",
    )
    other = make_document(project=project, paragraphs=["Another source."])
    note = make_annotation(
        document,
        members["annotator"],
        ASTRAL,
        body='=HYPERLINK("http://evil.example/", "click")',
        tags=["person", "method"],
    )
    minus = make_annotation(document, members["owner"], "-1 metre", tags=["method"])
    hidden = make_annotation(
        document, members["curator"], "tunnel", visibility=Visibility.PRIVATE
    )
    target = make_annotation(other, members["owner"], "Another")
    services.create_reply(annotation=note, author=members["owner"], body="+1, agreed")
    services.create_link(
        source=note,
        author=members["owner"],
        relation=RelationType.objects.filter(project=project).first(),
        target_annotation=target,
    )
    return {
        "document": document,
        "other": other,
        "note": note,
        "minus": minus,
        "hidden": hidden,
        "target": target,
    }


def _tables(response) -> dict[str, list[dict]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        found = {}
        for name in zipped.namelist():
            if name.endswith(".csv"):
                text = zipped.read(name).decode("utf-8")
                found[name[:-4]] = list(csv.DictReader(io.StringIO(text)))
        found["README"] = zipped.read("README.txt").decode()
    return found


def _url(project, document=None, **query) -> str:
    if document is None:
        url = reverse("annotations:project_export_csv", args=[project.slug])
    else:
        url = reverse(
            "annotations:document_export_csv", args=[project.slug, document.pk]
        )
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_every_member_downloads_what_they_see(client, project, members, work, who):
    status = expected_status(who, set(ROLES), 200)
    client.force_login(members[who])
    response = client.get(_url(project))
    assert response.status_code == status
    if status != 200:
        return
    tables = _tables(response)
    quotes = {row["exact"] for row in tables["annotations"]}
    expected = {ASTRAL, "'-1 metre", "Another"}
    if who == "curator":
        expected.add("tunnel")  # the curator's own private note
    assert quotes == expected


def test_the_tables_join_and_keep_every_character(client, project, owner, work):
    client.force_login(owner)
    tables = _tables(client.get(_url(project)))
    notes = {row["annotation_id"]: row for row in tables["annotations"]}
    note = notes[str(work["note"].pk)]
    assert note["document_id"] == str(work["document"].pk)
    assert (int(note["start"]), int(note["end"])) == (
        work["note"].start,
        work["note"].end,
    )
    assert note["tags"] == "method; person"
    assert note["author"] == "annotator-user"
    assert note["reply_count"] == "1"
    assert note["created"].endswith("+00:00")
    assert note["url"].startswith("http://testserver/p/")
    tags = {row["tag_id"]: row for row in tables["tags"]}
    joined = sorted(
        tags[pair["tag_id"]]["name"]
        for pair in tables["annotation_tags"]
        if pair["annotation_id"] == str(work["note"].pk)
    )
    assert joined == ["method", "person"]
    assert {row["name"]: row["uses"] for row in tables["tags"]} == {
        "method": "2",
        "person": "1",
    }
    (reply,) = tables["replies"]
    assert reply["annotation_id"] == note["annotation_id"]
    (link,) = tables["links"]
    assert link["source_annotation_id"] == note["annotation_id"]
    assert link["target_kind"] == "annotation"
    assert link["target_annotation_id"] in notes
    documents = {row["document_id"] for row in tables["documents"]}
    assert {row["document_id"] for row in tables["annotations"]} <= documents


def test_cells_a_spreadsheet_would_run_are_neutralised(client, project, owner, work):
    client.force_login(owner)
    tables = _tables(client.get(_url(project)))
    note = next(r for r in tables["annotations"] if r["exact"] == ASTRAL)
    assert note["note"] == """'=HYPERLINK("http://evil.example/", "click")"""
    assert tables["replies"][0]["body"] == "'+1, agreed"
    titles = {row["title"] for row in tables["documents"]}
    assert "'=cmd|' /C calc'!A0" in titles
    # Numbers stay numbers; the README says how to undo the apostrophe.
    assert all(not row["start"].startswith("'") for row in tables["annotations"])
    assert "apostrophe" in tables["README"]


def test_a_document_and_the_margins_filter(client, project, owner, work):
    client.force_login(owner)
    only_document = _tables(client.get(_url(project, work["document"])))
    assert {r["exact"] for r in only_document["annotations"]} == {ASTRAL, "'-1 metre"}
    assert len(only_document["documents"]) == 1
    tagged = _tables(client.get(_url(project, work["document"], tag="PERSON")))
    assert [r["exact"] for r in tagged["annotations"]] == [ASTRAL]
    assert "tagged PERSON" in tagged["README"]
    assert {p["annotation_id"] for p in tagged["annotation_tags"]} == {
        str(work["note"].pk)
    }
    mine = _tables(client.get(_url(project, mine="on")))
    assert {r["exact"] for r in mine["annotations"]} == {"'-1 metre", "Another"}
    # The replies and links follow the notes chosen.
    assert mine["replies"] == [] and mine["links"] == []


def test_a_filter_that_cannot_be_used_is_refused_clearly(client, project, owner):
    client.force_login(owner)
    response = client.get(_url(project, status="bogus"))
    assert response.status_code == 400
    assert "status" in response.text


def test_the_export_page_and_the_margin_send_to_the_tables(
    client, project, owner, work
):
    client.force_login(owner)
    page = reverse("annotations:project_export", args=[project.slug])
    response = client.get(page, {"document": "", "format": "csv", "approved": "on"})
    assert response.status_code == 302
    assert response["Location"] == _url(project, approved=1)
    reading = client.get(work["document"].get_absolute_url(), {"tag": "person"})
    assert _url(project, work["document"], tag="person") in reading.text


def test_the_export_page_carries_the_margins_filters(client, project, owner, work):
    client.force_login(owner)
    response = client.post(
        reverse("annotations:export_prepare", args=[project.slug]),
        {"document": "", "format": "csv", "tag": "person", "mine": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == _url(project, tag="person", mine="on")
    tables = _tables(client.get(response["Location"]))
    assert tables["annotations"] == []  # the owner tagged nothing "person"
    w3c = client.post(
        reverse("annotations:export_prepare", args=[project.slug]),
        {"document": "", "format": "w3c", "tag": "person"},
    )
    data = json.loads(b"".join(client.get(w3c["Location"]).streaming_content))
    # Notes target their passage (replies and links target a note's IRI).
    passages = [
        i["target"] for i in data["first"]["items"] if isinstance(i["target"], dict)
    ]
    assert [passage["selector"][0]["exact"] for passage in passages] == [ASTRAL]
