"""The annotated edition: a standalone HTML file of a document with numbered
notes beside their passages on screen and as endnotes in print, a citation
block, and nothing loaded from elsewhere."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from lxml import html

from annotations import services
from annotations.models import RelationType, Visibility
from tests.conftest import ROLES, expected_status
from tests.factories import make_annotation, make_document


@pytest.fixture
def work(project, members):
    document = make_document(
        project=project,
        paragraphs=["The tunnel of 𝔊uzmán 🚇 was long.", "Second <b>paragraph</b>."],
        title="The escape",
        authors=["A. Writer"],
        publisher="CRS",
        source_url="https://example.org/report",
    )
    first = make_annotation(
        document,
        members["annotator"],
        "tunnel of 𝔊uzmán 🚇",
        body="A **bold** note <script>alert(1)</script>",
        tags=["person"],
    )
    inner = make_annotation(document, members["owner"], "𝔊uzmán")
    later = make_annotation(document, members["owner"], "Second <b>paragraph</b>")
    make_annotation(document, members["curator"], "long", visibility=Visibility.PRIVATE)
    services.create_reply(annotation=first, author=members["owner"], body="*Agreed*.")
    services.create_link(
        source=first,
        author=members["owner"],
        relation=RelationType.objects.get(project=project, name="supports"),
        target_annotation=later,
    )
    services.set_status(annotation=later, by=members["curator"], status="approved")
    return {"document": document, "first": first, "inner": inner, "later": later}


def _edition(client, document, **query):
    url = reverse(
        "annotations:document_export_edition",
        args=[document.project.slug, document.pk],
    )
    response = client.get(url, query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "attachment" in response["Content-Disposition"]
    return response.content.decode(), html.fromstring(response.content)


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_every_member_downloads_it(client, project, members, work, who):
    status = expected_status(who, set(ROLES), 200)
    client.force_login(members[who])
    url = reverse(
        "annotations:document_export_edition", args=[project.slug, work["document"].pk]
    )
    assert client.get(url).status_code == status


def test_numbered_notes_beside_the_text_and_as_endnotes(client, owner, work):
    client.force_login(owner)
    text, page = _edition(client, work["document"])
    # Numbered in text order, each number right after its passage's end.
    side = page.xpath("//aside//article")
    assert [a.get("id") for a in side] == ["note-1", "note-2", "note-3"]
    first_paragraph = page.xpath("//main//p[@class='text']")[0]
    assert first_paragraph.text_content() == "The tunnel of 𝔊uzmán2 🚇1 was long."
    marks = first_paragraph.xpath(".//mark")
    assert "".join(m.text_content() for m in marks) == "tunnel of 𝔊uzmán 🚇"
    # The same notes again as endnotes, shown in print only.
    assert [li.get("id") for li in page.xpath("//section[@class='endnotes']//li")] == [
        "end-1",
        "end-2",
        "end-3",
    ]
    assert "@media print" in text and ".side { display: none; }" in text
    note = page.get_element_by_id("note-1")
    assert note.xpath(".//strong")[0].text == "bold"
    assert note.xpath(".//em")[0].text == "Agreed"
    assert "supports: note 3" in note.text_content()
    assert "person" in note.text_content()


def test_user_text_is_escaped_and_nothing_is_loaded(client, owner, work):
    client.force_login(owner)
    text, page = _edition(client, work["document"])
    assert "<script" not in text
    assert "<b>paragraph</b>" not in text
    texts = [p.text_content() for p in page.xpath("//main//p[@class='text']")]
    assert texts[1] == "Second <b>paragraph</b>3."
    # No stylesheet, script, image or font from anywhere: it reads offline.
    assert not page.xpath("//script | //link | //img | //iframe")
    assert not re.search(r"url\(|@import", text)


def test_the_citation_block(client, owner, work, project):
    client.force_login(owner)
    _text, page = _edition(client, work["document"])
    citation = page.xpath("//header[@class='citation']")[0].text_content()
    for expected in ("The escape", "A. Writer", "CRS", "https://example.org/report"):
        assert expected in citation
    assert project.name in citation
    assert "Exported" in citation
    assert "as the exporter could see them" in citation


def test_approved_only(client, owner, work):
    client.force_login(owner)
    _text, page = _edition(client, work["document"], approved="1")
    assert [a.get("id") for a in page.xpath("//aside//article")] == ["note-1"]
    assert "Second" in page.get_element_by_id("note-1").text_content()
    assert "approved by the project's curators" in page.text_content()


def test_a_private_note_is_its_authors_alone(client, members, work):
    client.force_login(members["curator"])
    _text, mine = _edition(client, work["document"])
    client.force_login(members["owner"])
    _text, theirs = _edition(client, work["document"])
    assert len(mine.xpath("//aside//article")) == 4
    assert len(theirs.xpath("//aside//article")) == 3


def test_a_document_without_notes(client, project, owner):
    document = make_document(project=project, paragraphs=["Plain.", "Text."])
    client.force_login(owner)
    _text, page = _edition(client, document)
    assert [p.text_content() for p in page.xpath("//main//p")] == ["Plain.", "Text."]


def test_the_export_page_sends_to_one_documents_formats(client, project, owner, work):
    client.force_login(owner)
    page = reverse("annotations:project_export", args=[project.slug])
    document = work["document"]
    for kind in ("tei", "edition"):
        response = client.get(
            page, {"document": document.pk, "format": kind, "approved": "on"}
        )
        assert response.status_code == 302
        assert (
            response["Location"]
            == reverse(
                f"annotations:document_export_{kind}", args=[project.slug, document.pk]
            )
            + "?approved=1"
        )
    refused = client.get(page, {"document": "", "format": "tei"})
    assert refused.status_code == 400
    assert "Choose a document" in refused.text
