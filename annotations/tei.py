"""A document with its annotations as TEI P5 XML, the editorial community's
format (https://tei-c.org/guidelines/p5/).

- The header describes the document (`sourceDesc`: its title, authors,
  publisher, date and address), the export (`publicationStmt`), the tags as a
  taxonomy (`classDecl`, nested as the tags are) and the annotators
  (`particDesc`).
- The text keeps the document's structure: a `div` per heading with its
  `head`, paragraphs as `p`, list items as `item`s of a `list`, line breaks as
  `lb`. Each annotated passage is marked by two `anchor`s, where it starts and
  ends, so that passages may overlap.
- The annotations are `note`s in the `back`, each pointing at its passage
  (`target`, `targetEnd`), its tags in `ana`, its author in `resp`, its status
  in `subtype`, its date and note as `date` and `p`s, its replies as `note`s
  inside it. Links are `link`s grouped by relation (`linkGrp`), from a note to
  another note, a document or an outside source.

A plain function of what export.document_work read: no query here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from annotations.export import DocumentWork

NS = "http://www.tei-c.org/ns/1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
MEDIA_TYPE = "application/tei+xml; charset=utf-8"
# Characters XML 1.0 cannot carry (control characters a PDF's text may hold).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# What a TEI name token may not hold (a relation's name as a @type).
_NOT_TOKEN = re.compile(r"\s+")


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def _el(parent: ET.Element | None, tag: str, text: str = "", **attrs) -> ET.Element:
    attributes = {
        (XML_ID if key == "xml_id" else key): _text(str(value))
        for key, value in attrs.items()
        if value not in (None, "")
    }
    element = (
        ET.Element(f"{{{NS}}}{tag}", attributes)
        if parent is None
        else ET.SubElement(parent, f"{{{NS}}}{tag}", attributes)
    )
    if text:
        element.text = _text(text)
    return element


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def document(
    work: DocumentWork, *, project_name: str, address: Callable[[str], str]
) -> bytes:
    """The TEI file, UTF-8 with its XML declaration. `address` makes a path
    absolute (the document's and other documents' addresses)."""
    ET.register_namespace("", NS)
    root = _el(None, "TEI")
    _header(root, work, project_name, address)
    text = _el(root, "text", xml_id="text")
    _body(_el(text, "body"), work)
    _back(_el(text, "back"), work, address)
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _person_id(user_id: int) -> str:
    return f"person-{user_id}"


def _tag_id(tag_id: int) -> str:
    return f"tag-{tag_id}"


def _header(root, work: DocumentWork, project_name: str, address) -> None:
    doc = work.document
    header = _el(root, "teiHeader")
    file_desc = _el(header, "fileDesc")
    title_stmt = _el(file_desc, "titleStmt")
    _el(title_stmt, "title", doc.title)
    for author in doc.authors:
        _el(title_stmt, "author", author)
    publication = _el(file_desc, "publicationStmt")
    _el(
        publication,
        "p",
        f"Exported from the Apparatus project “{project_name}” on "
        f"{timezone.now():%Y-%m-%d}, with the annotations its exporter could see.",
    )
    source = _el(_el(file_desc, "sourceDesc"), "bibl")
    _el(source, "title", doc.title)
    for author in doc.authors:
        _el(source, "author", author)
    if doc.publisher:
        _el(source, "publisher", doc.publisher)
    if doc.published_date:
        _el(source, "date", str(doc.published_date), when=doc.published_date)
    if doc.source_url:
        _el(source, "ptr", target=doc.source_url)
    here = address(doc.get_absolute_url())
    where = _el(source, "note", "Annotated in Apparatus at ", type="apparatus")
    _el(where, "ref", here, target=here)
    if work.tags:
        taxonomy = _el(_el(_el(header, "encodingDesc"), "classDecl"), "taxonomy")
        taxonomy.set(XML_ID, "tags")
        _el(taxonomy, "desc", "The project's tags")
        placed: dict[int, ET.Element] = {}
        for tag in sorted(work.tags.values(), key=lambda t: (t.name.lower(), t.pk)):
            _category(taxonomy, tag, work.tags, placed)
    people = {}
    for note in work.notes:
        people[note.author_id] = note.author
        for reply in note.reply_list:
            people[reply.author_id] = reply.author
    if people:
        listing = _el(_el(_el(header, "profileDesc"), "particDesc"), "listPerson")
        for user in sorted(people.values(), key=lambda u: u.username):
            person = _el(listing, "person", xml_id=_person_id(user.pk))
            name = user.get_full_name()
            _el(
                person,
                "persName",
                f"{name} ({user.username})" if name else user.username,
            )


def _category(taxonomy, tag, tags, placed) -> ET.Element:
    """The tag's category, inside its parent's (placed first)."""
    if tag.pk in placed:
        return placed[tag.pk]
    parent = tags.get(tag.parent_id)
    container = (
        taxonomy if parent is None else _category(taxonomy, parent, tags, placed)
    )
    category = _el(container, "category", xml_id=_tag_id(tag.pk))
    _el(category, "catDesc", tag.name)
    placed[tag.pk] = category
    return category


def _body(body, work: DocumentWork) -> None:
    """The text, block by block, with an anchor where each passage starts and
    ends (at the nearest block's edge when it falls between blocks)."""
    doc = work.document
    blocks = doc.blocks or [
        {"kind": "paragraph", "start": 0, "end": len(doc.text), "level": 0}
    ]
    marks: list[tuple[int, int, str]] = []  # (offset, order, id): ends first
    for note in work.notes:
        marks.append((note.start, 1, f"n{note.pk}-start"))
        marks.append((note.end, 0, f"n{note.pk}-end"))
    marks.sort()
    placed = _place(marks, blocks)
    division = items = None
    for index, block in enumerate(blocks):
        kind = block["kind"]
        if division is None or kind == "heading":
            division, items = _el(body, "div"), None
        if kind == "heading":
            element = _el(division, "head")
        elif kind == "list_item":
            if items is None:
                items = _el(division, "list")
            element = _el(items, "item")
        else:
            element = _el(division, "p")
        if kind != "list_item":
            items = None
        _fill(element, doc.text, block["start"], block["end"], placed.get(index, []))
    for division in body:
        if all(child.tag == f"{{{NS}}}head" for child in division):
            _el(division, "p")  # a heading with no text under it


def _place(marks, blocks) -> dict[int, list[tuple[int, str]]]:
    """Each mark in the block that holds it: {block index: [(offset, id)]}."""
    placed: dict[int, list[tuple[int, str]]] = {}
    at = 0
    for offset, order, mark in marks:
        while at < len(blocks) - 1 and offset > blocks[at]["end"]:
            at += 1
        block = blocks[at]
        if offset < block["start"]:
            # Between two blocks: a start goes to this block's start, an end
            # back to the previous block's end.
            if order == 0 and at > 0:
                placed.setdefault(at - 1, []).append((blocks[at - 1]["end"], mark))
                continue
            offset = block["start"]
        placed.setdefault(at, []).append((min(offset, block["end"]), mark))
    return placed


def _fill(element, text: str, start: int, end: int, marks) -> None:
    """The block's text with its anchors and line breaks."""
    last = element
    position = start

    def add(piece: str) -> None:
        lines = piece.split("\n")
        for number, line in enumerate(lines):
            if number:
                nonlocal last
                last = _el(element, "lb")
            if line:
                if last is element:
                    element.text = (element.text or "") + _text(line)
                else:
                    last.tail = (last.tail or "") + _text(line)

    for offset, mark in marks:
        add(text[position:offset])
        position = offset
        last = _el(element, "anchor", xml_id=mark)
    add(text[position:end])


def _back(back, work: DocumentWork, address) -> None:
    notes = _el(back, "div", type="annotations")
    _el(notes, "head", "Annotations")
    in_this = {note.pk for note in work.notes}
    groups: dict[str, ET.Element] = {}
    links = None
    for note in work.notes:
        element = _el(
            notes,
            "note",
            xml_id=f"n{note.pk}",
            type="annotation",
            subtype=note.status,
            target=f"#n{note.pk}-start",
            targetEnd=f"#n{note.pk}-end",
            ana=" ".join(f"#{_tag_id(tag.pk)}" for tag in note.tag_list),
            resp=f"#{_person_id(note.author_id)}",
        )
        _el(element, "quote", note.exact)
        _el(element, "date", _when(note.created_at), when=_when(note.created_at))
        _paragraphs(element, note.body)
        for reply in note.reply_list:
            answer = _el(
                element,
                "note",
                xml_id=f"r{reply.pk}",
                type="reply",
                resp=f"#{_person_id(reply.author_id)}",
            )
            _el(answer, "date", _when(reply.created_at), when=_when(reply.created_at))
            _paragraphs(answer, reply.body)
        for link in note.link_list:
            if links is None:
                links = _el(back, "div", type="links")
                _el(links, "head", "Links")
            name = link.relation.name
            if name not in groups:
                kind = _NOT_TOKEN.sub("-", name.strip()) or "link"
                groups[name] = _el(links, "linkGrp", type=kind)
                _el(groups[name], "desc", name)
            other = _other_end(link, in_this, work, address)
            _el(groups[name], "link", target=f"#n{note.pk} {other}")


def _other_end(link, in_this: set[int], work: DocumentWork, address) -> str:
    slug = work.document.project.slug
    if link.target_annotation_id is not None:
        if link.target_annotation_id in in_this:
            return f"#n{link.target_annotation_id}"
        return address(
            reverse(
                "annotations:annotation_detail",
                kwargs={"slug": slug, "pk": link.target_annotation_id},
            )
        )
    if link.target_document_id is not None:
        if link.target_document_id == work.document.pk:
            return "#text"
        return address(
            reverse(
                "annotations:document_detail",
                kwargs={"slug": slug, "pk": link.target_document_id},
            )
        )
    return link.target_url.replace(" ", "%20")


def _paragraphs(element, body: str) -> None:
    """A note's Markdown source, a `p` per paragraph."""
    for paragraph in re.split(r"\n\s*\n", body.strip()):
        if paragraph:
            _el(element, "p", paragraph)
