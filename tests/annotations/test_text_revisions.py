"""Revising a document's text (services.text): the revision stored and undone,
every annotation carried across in the same transaction, orphans kept."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotations import search
from annotations.models import Anchoring, Annotation, EventKind, SearchEntry
from annotations.services import create_annotation
from annotations.services import text as text_service
from corpus.models import Document, TextRevision
from corpus.roles import Role
from tests import w3c_model
from tests.factories import (
    make_annotation,
    make_document,
    make_user,
    revise_block,
)

PARAGRAPHS = [
    "The cartel moved its shipments through Sinaloa every spring.",
    "Guzmán escaped twice from maximum security prisons.",
    "The extradition took place in January 2017.",
]


@pytest.fixture
def curator(project):
    return make_user("curator-rev", project=project, role=Role.CURATOR)


@pytest.fixture
def doc(project):
    return make_document(project=project, paragraphs=PARAGRAPHS)


def _edit(doc, curator, index, content, reason="OCR fix", base=None):
    base = doc.text_revision if base is None else base
    return revise_block(doc, curator, index, content, reason=reason, base_revision=base)


def test_an_untouched_annotation_moves_exactly(doc, curator):
    later = make_annotation(doc, curator, "extradition took place")
    _edit(doc, curator, 0, "The cartel moved all of its shipments through Sinaloa.")
    later.refresh_from_db()
    doc.refresh_from_db()
    assert doc.text[later.start : later.end] == "extradition took place"
    assert later.exact == "extradition took place"
    assert later.anchoring == Anchoring.ANCHORED
    # Moving exactly is not an event of its history.
    assert not later.events.exclude(kind=EventKind.CREATED).exists()


def test_an_edited_passage_keeps_its_place_and_its_history_says_so(doc, curator):
    note = make_annotation(doc, curator, "Guzmán escaped twice")
    _edit(doc, curator, 1, "Guzmán escapd twice from maximum security prisons.")
    _edit(
        doc,
        curator,
        1,
        "Guzmán escaped twice from maximum security prisons.",
        reason="typo",
    )
    note.refresh_from_db()
    assert note.exact == "Guzmán escaped twice"
    events = list(note.events.filter(kind=EventKind.REANCHORED).order_by("pk"))
    assert [e.before["quote"] for e in events] == [
        "Guzmán escaped twice",
        "Guzmán escapd twice",
    ]
    assert [e.after["quote"] for e in events] == [
        "Guzmán escapd twice",
        "Guzmán escaped twice",
    ]
    assert events[1].reason == "typo"


def test_a_deleted_passage_makes_an_orphan_kept_with_its_thread(doc, curator):
    note = make_annotation(doc, curator, "escaped twice", body="Check this.")
    revision = _edit(doc, curator, 1, "He was caught in 2016.")
    note.refresh_from_db()
    assert note.anchoring == Anchoring.ORPHAN
    assert note.body == "Check this."
    assert note.exact == "escaped twice"  # its last quote
    orphaned = note.events.get(kind=EventKind.ORPHANED)
    assert orphaned.before["quote"] == "escaped twice"
    assert orphaned.before["revision"] == 0
    assert revision.carried["orphan"] == 1
    # Never drawn: the reading rule leaves it out.
    assert not Annotation.objects.filter(pk=note.pk, anchoring="anchored").exists()


def test_every_earlier_text_is_rebuilt(doc, curator):
    texts = [doc.text]
    for content in ("First fix.", "Second fix, longer than the first one.", "x"):
        _edit(doc, curator, 1, content)
        texts.append(doc.text)
    doc = Document.objects.get(pk=doc.pk)
    assert doc.text_revision == 3
    for number, expected in enumerate(texts):
        text, blocks, _links = text_service.text_at(doc, number)
        assert text == expected
        assert all(b["end"] <= len(text) for b in blocks)
    assert TextRevision.objects.filter(document=doc).count() == 3


def test_a_stale_edit_is_refused_and_nothing_changes(doc, curator):
    _edit(doc, curator, 0, "Fixed.")
    with pytest.raises(text_service.StaleText) as refused:
        _edit(doc, curator, 1, "Mine.", base=0)
    assert refused.value.current.text_revision == 1
    doc.refresh_from_db()
    assert "Mine." not in doc.text


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(doc, curator, reason):
    with pytest.raises(ValidationError):
        _edit(doc, curator, 0, "Fixed.", reason=reason)
    assert not TextRevision.objects.exists()


def test_the_search_finds_the_new_text_not_the_old(doc, curator, project):
    membership = project.memberships.get(user=curator)
    _edit(doc, curator, 0, "The cartel moved its shipments through Culiacán.")
    found = search.search(membership, {"q": "culiacan"})
    assert [line.document_id for line in found.lines] == [doc.pk]
    assert not search.search(membership, {"q": "sinaloa"}).lines


def test_a_note_whose_quote_changed_is_searched_by_its_new_quote(doc, curator, project):
    """The revision makes the entries of the notes it edited anew: the new
    quote is found, the old one is not, and each note keeps one entry."""
    note = make_annotation(doc, curator, "Guzmán escaped twice", body="Prisons.")
    other = make_annotation(doc, curator, "extradition took place", body="Dates.")
    _edit(doc, curator, 1, "Guzmán escapd twice from maximum security prisons.")
    membership = project.memberships.get(user=curator)

    def notes(q):
        return [m.entry.annotation_id for m in search.search(membership, q).notes]

    assert notes({"q": "escapd"}) == [note.pk]
    assert notes({"q": "escaped"}) == []
    assert notes({"q": "dates"}) == [other.pk]
    assert (
        SearchEntry.objects.filter(kind="note", annotation__in=[note, other]).count()
        == 2
    )


def _exported(client, doc) -> list[dict]:
    """The notes of the document's W3C export, each with the context."""
    url = reverse(
        "annotations:document_export_annotations", args=[doc.project.slug, doc.pk]
    )
    collection = json.loads(b"".join(client.get(url).streaming_content))
    return [
        {"@context": collection["@context"], **item}
        for item in collection["first"]["items"]
        if isinstance(item.get("target"), dict)
    ]


def test_the_w3c_export_names_the_revision_its_selectors_count_in(client, doc, curator):
    note = make_annotation(doc, curator, "extradition took place")
    orphan = make_annotation(doc, curator, "escaped twice", body="Kept.")
    _edit(doc, curator, 0, "The cartel moved all of its shipments through Sinaloa.")
    _edit(doc, curator, 1, "He was caught.")
    doc.refresh_from_db()
    client.force_login(curator)
    items = {item["id"].rsplit("/", 1)[1]: item for item in _exported(client, doc)}
    target = items[str(note.pk)]["target"]
    position = next(
        s for s in target["selector"] if s["type"] == "TextPositionSelector"
    )
    assert target["apparatus:textRevision"] == 2
    assert doc.text[position["start"] : position["end"]] == "extradition took place"
    # The orphan comes out whole, with its last quote and no position.
    lost = items[str(orphan.pk)]
    assert lost["target"]["apparatus:anchoring"] == "orphan"
    assert lost["target"]["selector"]["exact"] == "escaped twice"
    assert lost["body"][0]["value"] == "Kept."
    for item in items.values():
        assert w3c_model.must_failures(item, "Annotation") == [], item["id"]
    # Every term the export uses is explained at /ns.
    vocabulary = client.get(reverse("annotations:vocabulary")).content.decode()
    assert 'id="textRevision"' in vocabulary and 'id="anchoring"' in vocabulary


def test_an_anchor_checked_against_a_replaced_text_is_refused(doc, curator):
    """A create that read the text before a revision committed (PostgreSQL's
    READ COMMITTED lets it get that far) is refused once it holds the
    document, not stored with another text's offsets."""
    stale = Document.objects.get(pk=doc.pk)
    _edit(doc, curator, 0, "The cartel moved all of its shipments.")
    start = stale.text.index("escaped twice")
    with pytest.raises(ValidationError, match="corrected while you were selecting"):
        create_annotation(
            document=stale,
            author=curator,
            start=start,
            end=start + len("escaped twice"),
            exact="escaped twice",
        )
    assert not Annotation.objects.exists()


def test_the_sources_links_follow_their_text(project, curator):
    start = "\n\n".join(PARAGRAPHS).index("Sinaloa")
    doc = make_document(
        project=project,
        paragraphs=PARAGRAPHS,
        links=[
            {"start": start, "end": start + 7, "url": "https://example.org/s"},
            {"start": 0, "end": 3, "url": "https://example.org/gone"},
        ],
    )
    _edit(doc, curator, 0, "A cartel moved its shipments through Sinaloa every spring.")
    doc.refresh_from_db()
    (link,) = doc.links  # "The" went with its link; "Sinaloa" moved
    assert doc.text[link["start"] : link["end"]] == "Sinaloa"
    assert link["url"] == "https://example.org/s"


def test_a_body_read_after_a_revision_is_never_kept_under_the_older_row(doc, curator):
    """A reader's row read before a revision committed, its body after: the
    row becomes the newer one whole, and the older key keeps no newer text."""
    from corpus import bodycache

    stale = Document.objects.defer(*Document.BODY_FIELDS).get(pk=doc.pk)
    _edit(doc, curator, 0, "The cartel moved all of its shipments.")
    bodycache.fill_body(stale)
    assert stale.text_revision == 1
    assert stale.text.startswith("The cartel moved all of its shipments.")
    again = Document.objects.defer(*Document.BODY_FIELDS).get(pk=doc.pk)
    bodycache.fill_body(again)
    assert again.text == stale.text


def test_an_orphans_note_is_searched_as_the_reading_page_shows_it(
    doc, curator, project
):
    """The index's copy of who sees a note follows its anchoring (a trigger):
    an orphan's note is found again once it is reattached."""
    membership = project.memberships.get(user=curator)
    note = make_annotation(doc, curator, "escaped twice", body="Zanzibar route")
    assert [
        m.entry.annotation_id
        for m in search.search(membership, {"q": "zanzibar"}).notes
    ] == [note.pk]
    _edit(doc, curator, 1, "He was caught in 2016.")
    search.clear()
    assert not search.search(membership, {"q": "zanzibar"}).notes
    doc.refresh_from_db()
    start = doc.text.index("caught")
    text_service.reattach(
        annotation=Annotation.objects.get(pk=note.pk),
        actor=curator,
        start=start,
        end=start + len("caught"),
        exact="caught",
        revision=doc.text_revision,
    )
    search.clear()
    found = search.search(membership, {"q": "zanzibar"}).notes
    assert [m.entry.annotation_id for m in found] == [note.pk]


def test_the_index_after_revisions_is_what_a_rebuild_makes(project, curator):
    """Re-indexing only the text that changed leaves the same entries as
    indexing the whole text again: pieces kept, moved along, made, deleted."""
    from annotations.models import SearchEntry, SearchKind
    from annotations.services import search as index

    long_paragraph = " ".join(f"word{n}" for n in range(4_000))  # cut in pieces
    doc = make_document(
        project=project, paragraphs=[*PARAGRAPHS, long_paragraph, PARAGRAPHS[0]]
    )

    def entries():
        return sorted(
            SearchEntry.objects.filter(document=doc, kind=SearchKind.TEXT).values_list(
                "start", "text", "words"
            )
        )

    for index_, content in [
        (0, "A new first paragraph, longer than the one it replaces."),
        (3, long_paragraph.replace("word2000", "WORD")),
        (1, "Short."),
        (4, PARAGRAPHS[1]),
    ]:
        _edit(doc, curator, index_, content)
        kept = entries()
        current = Document.objects.get(pk=doc.pk)
        index.index_document(document=current)
        assert kept == entries()
