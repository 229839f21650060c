"""TEI P5 of a document with its annotations: well-formed, in the TEI
namespace, the text whole with its structure, every note pointing at anchors
that exist and at tags of the header's taxonomy."""

from __future__ import annotations

import pytest
from django.urls import reverse
from lxml import etree

from annotations import services
from annotations.models import RelationType, Visibility
from corpus.services import import_file
from tests.conftest import ROLES, expected_status
from tests.factories import make_annotation, make_document

NS = {"t": "http://www.tei-c.org/ns/1.0"}
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def _tei(client, document, **query) -> etree._Element:
    url = reverse(
        "annotations:document_export_tei", args=[document.project.slug, document.pk]
    )
    response = client.get(url, query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/tei+xml")
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = etree.fromstring(response.content)
    assert root.tag == "{http://www.tei-c.org/ns/1.0}TEI"
    return root


def _block_texts(root) -> list[str]:
    """The text of each block element, line breaks as newlines, anchors left
    out (and the empty `p` that follows a heading with no text under it)."""
    texts = []
    for element in root.iterfind(".//t:body//*", NS):
        if element.tag.split("}")[1] not in {"head", "p", "item"}:
            continue
        if element.text is None and not len(element):
            continue
        parts = [element.text or ""]
        for child in element:
            if child.tag.endswith("}lb"):
                parts.append("\n")
            parts.append(child.tail or "")
        texts.append("".join(parts))
    return texts


@pytest.fixture
def work(project, members):
    document = make_document(
        project=project,
        paragraphs=["The tunnel of 𝔊uzmán 🚇 was long.\nA second line.", "Next one."],
    )
    child = services.get_or_create_tag(project=project, name="child")
    parent = services.get_or_create_tag(project=project, name="parent")
    services.set_tag_parent(tag=child, parent=parent)
    wide = make_annotation(
        document, members["annotator"], "tunnel of 𝔊uzmán 🚇", tags=[child]
    )
    inner = make_annotation(
        document, members["owner"], "𝔊uzmán", body="First.\n\nSecond paragraph."
    )
    across = document.text.index("line.")
    services.create_annotation(
        document=document,
        author=members["owner"],
        start=across,
        end=across + 13,
        exact=document.text[across : across + 13],
    )
    hidden = make_annotation(
        document, members["curator"], "long", visibility=Visibility.PRIVATE
    )
    services.create_reply(annotation=wide, author=members["owner"], body="A reply.")
    relation = RelationType.objects.get(project=project, name="same event")
    services.create_link(
        source=wide, author=members["owner"], relation=relation, target_annotation=inner
    )
    services.create_link(
        source=inner,
        author=members["owner"],
        relation=RelationType.objects.get(project=project, name="supports"),
        target_url="https://example.org/report?a=1",
    )
    services.set_status(annotation=inner, by=members["curator"], status="approved")
    return {"document": document, "wide": wide, "inner": inner, "hidden": hidden}


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_every_member_downloads_it(client, project, members, work, who):
    status = expected_status(who, set(ROLES), 200)
    client.force_login(members[who])
    url = reverse(
        "annotations:document_export_tei", args=[project.slug, work["document"].pk]
    )
    assert client.get(url).status_code == status


def test_the_text_is_whole_and_every_pointer_resolves(client, owner, work):
    client.force_login(owner)
    root = _tei(client, work["document"])
    document = work["document"]
    assert _block_texts(root) == [
        document.text[b["start"] : b["end"]] for b in document.blocks
    ]
    by_id = {e.get(XML_ID): e for e in root.iter() if e.get(XML_ID)}
    ids = set(by_id)
    notes = root.findall(".//t:back//t:note[@type='annotation']", NS)
    assert len(notes) == 3  # the curator's private note is not the owner's
    for note in notes:
        for attribute in ("target", "targetEnd"):
            assert note.get(attribute)[1:] in ids
        for pointer in (note.get("ana") or "").split():
            assert by_id[pointer[1:]].tag == f"{{{NS['t']}}}category"
        assert note.get("resp")[1:] in ids
    # The anchors sit where the passages start and end: between them, the quote.
    wide = by_id[f"n{work['wide'].pk}"]
    assert wide.find("t:quote", NS).text == "tunnel of 𝔊uzmán 🚇"
    assert wide.get("ana") == f"#tag-{work['wide'].tags.get().pk}"
    # The tag sits inside its parent in the taxonomy.
    category = root.find(".//t:taxonomy/t:category/t:category/t:catDesc", NS)
    assert category.text == "child"
    reply = wide.find("t:note[@type='reply']/t:p", NS)
    assert reply.text == "A reply."
    inner = by_id[f"n{work['inner'].pk}"]
    assert inner.get("subtype") == "approved"
    assert [p.text for p in inner.findall("t:p", NS)] == ["First.", "Second paragraph."]


def test_links_are_grouped_by_relation(client, owner, work):
    client.force_login(owner)
    root = _tei(client, work["document"])
    groups = {
        group.find("t:desc", NS).text: group
        for group in root.findall(".//t:linkGrp", NS)
    }
    assert groups["same event"].get("type") == "same-event"
    link = groups["same event"].find("t:link", NS)
    assert link.get("target") == f"#n{work['wide'].pk} #n{work['inner'].pk}"
    source = groups["supports"].find("t:link", NS).get("target")
    assert source == f"#n{work['inner'].pk} https://example.org/report?a=1"


def test_approved_only(client, owner, work):
    client.force_login(owner)
    root = _tei(client, work["document"], approved="1")
    notes = root.findall(".//t:back//t:note[@type='annotation']", NS)
    assert [note.get(XML_ID) for note in notes] == [f"n{work['inner'].pk}"]


def test_a_seed_text_keeps_its_headings_and_lists(client, project, owner, seeds_dir):
    for path in sorted(seeds_dir.iterdir()):
        document = import_file(
            project=project,
            data=path.read_bytes(),
            filename=path.name,
            imported_by=owner,
        )
        client.force_login(owner)
        root = _tei(client, document)
        assert _block_texts(root) == [
            document.text[b["start"] : b["end"]].replace("\x0c", "\ufffd")
            for b in document.blocks
        ], path.name
        heads = root.findall(".//t:body/t:div/t:head", NS)
        assert len(heads) == sum(b["kind"] == "heading" for b in document.blocks)
        for division in root.findall(".//t:body/t:div", NS):
            assert len(division) and division[-1].tag != f"{{{NS['t']}}}head"


def test_characters_xml_cannot_hold_are_replaced(client, project, owner):
    document = make_document(project=project, paragraphs=["Page\x0cbreak and \x01."])
    client.force_login(owner)
    root = _tei(client, document)
    assert _block_texts(root) == ["Page\ufffdbreak and \ufffd."]
