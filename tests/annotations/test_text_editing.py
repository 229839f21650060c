"""The "Edit text" page, a corrected file, and orphans (views/text.py): each
view for every role and a non-member, and what the people using them see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Anchoring, Annotation, EventKind
from annotations.services import text as text_service
from corpus import text_edits
from corpus.models import Document, RevisionKind, TextRevision
from corpus.roles import Action
from tests.annotations.test_threads import selection
from tests.conftest import HX, ROLES, expected_status, roles_that
from tests.factories import make_annotation, make_document, reader_since, revise_block

CAN_EDIT_TEXT = roles_that(Action.EDIT_TEXT)
PARAGRAPHS = [
    "The cartel moved its shipments through Sinaloa every spring.",
    "Guzmán escaped twice from maximum security prisons.",
    "The extradition took place in January 2017.",
]


@pytest.fixture
def doc(project):
    return make_document(project=project, paragraphs=PARAGRAPHS)


def _url(doc, name="annotations:document_text"):
    return reverse(name, kwargs={"slug": doc.project.slug, "pk": doc.pk})


def _post_block(client, doc, follow=False, **data):
    fields = {"revision": doc.text_revision, "block": 1, "reason": "OCR"} | data
    return client.post(_url(doc), fields, follow=follow)


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_the_edit_page_by_role(client, members, doc, who):
    client.force_login(members[who])
    response = client.get(_url(doc))
    assert response.status_code == expected_status(who, CAN_EDIT_TEXT, 200)
    if response.status_code == 200:
        assert "Guzmán escaped twice" in response.content.decode()


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_a_block_edit_by_role(client, members, doc, who):
    client.force_login(members[who])
    response = _post_block(
        client, doc, operation="edit", content="Guzmán escaped three times."
    )
    assert response.status_code == expected_status(who, CAN_EDIT_TEXT, 302)
    doc.refresh_from_db()
    changed = "Guzmán escaped three times." in doc.text
    assert changed == (who in CAN_EDIT_TEXT)
    assert TextRevision.objects.filter(document=doc).exists() == changed


def test_the_reading_page_offers_edit_text_to_curators_only(client, members, doc):
    for who in ROLES:
        client.force_login(members[who])
        html = client.get(doc.get_absolute_url()).content.decode()
        assert ("Edit text" in html) == (who in CAN_EDIT_TEXT), who


def test_a_block_opens_in_place_with_its_text(client, owner, doc):
    client.force_login(owner)
    response = client.get(_url(doc) + "?block=1", headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<li class="text-block text-block-editing" id="block-1"')
    assert "\nGuzmán escaped twice from maximum security prisons.</textarea>" in html
    assert 'name="reason"' in html


def test_split_merge_delete_insert(client, owner, doc):
    client.force_login(owner)
    _post_block(client, doc, operation="edit", content="Guzmán escaped.\n\nTwice.")
    doc.refresh_from_db()
    assert [doc.text[b["start"] : b["end"]] for b in doc.blocks][1:3] == [
        "Guzmán escaped.",
        "Twice.",
    ]
    _post_block(client, doc, operation="merge")
    doc.refresh_from_db()
    assert doc.text.split("\n\n")[1] == "Guzmán escaped. Twice."
    _post_block(client, doc, operation="insert", content="A new paragraph.")
    doc.refresh_from_db()
    assert doc.text.split("\n\n")[2] == "A new paragraph."
    _post_block(client, doc, operation="delete", block=0)
    doc.refresh_from_db()
    assert doc.text.split("\n\n") == [
        "Guzmán escaped. Twice.",
        "A new paragraph.",
        PARAGRAPHS[2],
    ]
    assert doc.text_revision == 4
    kinds = TextRevision.objects.filter(document=doc).values_list("kind", flat=True)
    assert set(kinds) == {RevisionKind.EDIT}


def test_a_reason_is_required_and_said(client, owner, doc):
    client.force_login(owner)
    response = _post_block(client, doc, operation="edit", content="New.", reason="")
    assert response.status_code == 400
    assert "Say why the text changes." in response.content.decode()
    assert Document.objects.get(pk=doc.pk).text_revision == 0


def test_a_stale_edit_answers_409_with_the_newer_text(client, owner, doc):
    client.force_login(owner)
    _post_block(client, doc, operation="edit", content="Their version.")
    response = _post_block(client, doc, operation="edit", content="Mine.", revision=0)
    html = response.content.decode()
    assert response.status_code == 409
    assert "revised by someone else" in html
    assert "Their version." in html
    assert "Mine." not in Document.objects.get(pk=doc.pk).text


def test_what_a_curator_types_is_escaped(client, owner, doc):
    client.force_login(owner)
    _post_block(client, doc, operation="edit", content="<script>alert(1)</script>")
    html = client.get(_url(doc)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_edit_that_loses_a_passage_says_so_and_lists_the_orphan(client, owner, doc):
    note = make_annotation(doc, owner, "maximum security", body="Which prisons?")
    client.force_login(owner)
    response = _post_block(
        client, doc, operation="edit", content="He was caught.", follow=True
    )
    html = response.content.decode()
    assert "Shared annotations that lost their passage: 1;" in html
    assert "Orphans (1)" in html
    assert "Which prisons?" in html
    note.refresh_from_db()
    assert note.anchoring == Anchoring.ORPHAN
    # The reading page draws it nowhere, and says an orphan exists.
    reading = client.get(doc.get_absolute_url()).content.decode()
    assert (
        f'data-annotation="{note.pk}"' not in reading.split('id="doc-text"')[1][:5000]
    )
    assert "One annotation lost its passage" in reading
    assert f"?thread={note.pk}" in reading and "Which prisons?" in reading


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_resolving_an_orphan_by_role(client, members, doc, who):
    note = make_annotation(doc, members["owner"], "maximum security")
    _revise(doc, members["owner"], 1, "He was caught.")
    client.force_login(members[who])
    response = client.post(
        reverse("annotations:orphan_resolve", args=[doc.project.slug, note.pk]),
        {"reason": "The sentence is gone for good."},
    )
    assert response.status_code == expected_status(who, CAN_EDIT_TEXT, 302)
    note.refresh_from_db()
    resolved = who in CAN_EDIT_TEXT
    assert (note.anchoring == Anchoring.RESOLVED) == resolved
    if resolved:
        event = note.events.get(kind=EventKind.RESOLVED)
        assert event.reason == "The sentence is gone for good."


def _revise(doc, user, index, content):
    return revise_block(doc, user, index, content, reason="test")


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_reattaching_an_orphan_by_role(client, members, doc, who):
    note = make_annotation(doc, members["annotator"], "maximum security")
    _revise(doc, members["owner"], 1, "He was held in a prison of high security.")
    doc.refresh_from_db()
    client.force_login(members[who])
    data = selection(doc, "prison of high security") | {"revision": 1}
    response = client.post(
        reverse("annotations:orphan_reattach", args=[doc.project.slug, note.pk]),
        data,
        headers=HX,
    )
    allowed = {"owner", "curator", "annotator"}
    assert response.status_code == expected_status(who, allowed, 204)
    note.refresh_from_db()
    if who in allowed:
        assert note.anchoring == Anchoring.ANCHORED
        assert (
            doc.text[note.start : note.end] == note.exact == "prison of high security"
        )
        event = note.events.get(kind=EventKind.REATTACHED)
        assert event.before["quote"] == "maximum security"
        assert response["HX-Redirect"].endswith(f"?thread={note.pk}")
    else:
        assert note.anchoring == Anchoring.ORPHAN


def test_a_reattach_on_a_stale_page_is_refused(client, owner, doc):
    note = make_annotation(doc, owner, "maximum security")
    _revise(doc, owner, 1, "He was held in a prison of high security.")
    _revise(doc, owner, 0, "The cartel moved shipments.")
    doc.refresh_from_db()
    client.force_login(owner)
    data = selection(doc, "prison of high security") | {"revision": 1}
    response = client.post(
        reverse("annotations:orphan_reattach", args=[doc.project.slug, note.pk]),
        data,
        headers=HX,
    )
    assert response.status_code == 409
    assert "reload it and select the passage again" in response.content.decode()
    assert Annotation.objects.get(pk=note.pk).anchoring == Anchoring.ORPHAN


def test_an_orphans_thread_opens_and_offers_reattach(client, owner, doc):
    note = make_annotation(doc, owner, "maximum security", body="Which prisons?")
    _revise(doc, owner, 1, "He was caught.")
    client.force_login(owner)
    html = client.get(doc.get_absolute_url() + f"?thread={note.pk}").content.decode()
    assert "A revision of the text took this passage away" in html
    assert "Reattach to a passage" in html
    detail = client.get(
        reverse("annotations:annotation_detail", args=[doc.project.slug, note.pk]),
        headers=HX,
    )
    assert detail.status_code == 200
    assert "Reattach to a passage" in detail.content.decode()


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_a_new_version_by_role(client, members, doc, who):
    note = make_annotation(doc, members["owner"], "extradition took place")
    client.force_login(members[who])
    corrected = "\n\n".join([PARAGRAPHS[0], "Guzmán escaped.", PARAGRAPHS[2]])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        _url(doc, "annotations:document_new_version"),
        {
            "revision": 0,
            "reason": "Corrected scan",
            "file": SimpleUploadedFile("fixed.txt", corrected.encode()),
        },
    )
    assert response.status_code == expected_status(who, CAN_EDIT_TEXT, 302)
    doc.refresh_from_db()
    if who in CAN_EDIT_TEXT:
        assert doc.text == corrected
        revision = TextRevision.objects.get(document=doc)
        assert (revision.kind, revision.filename) == (RevisionKind.UPLOAD, "fixed.txt")
        note.refresh_from_db()
        assert doc.text[note.start : note.end] == "extradition took place"
    else:
        assert doc.text_revision == 0


def test_a_new_version_too_large_or_unreadable_is_refused(client, owner, doc, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(owner)
    settings.APPARATUS_MAX_UPLOAD_BYTES = 100
    response = client.post(
        _url(doc, "annotations:document_new_version"),
        {
            "revision": 0,
            "reason": "Corrected scan",
            "file": SimpleUploadedFile("fixed.txt", b"x " * 200),
        },
    )
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert Document.objects.get(pk=doc.pk).text_revision == 0


def test_a_page_polling_an_older_text_is_told_to_reload(client, members, doc):
    reader = members["viewer"]
    client.force_login(reader)
    since = reader_since(client, doc)
    _revise(doc, members["owner"], 0, "The cartel moved everything.")
    url = reverse("annotations:annotation_changes_hx", args=[doc.project.slug, doc.pk])
    response = client.get(url, {"since": since, "text_revision": "0"}, headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "The text of this document was corrected by owner-user (test)" in html
    assert '<div id="poller" hidden></div>' in html  # polling stops
    # A page of the current text polls as before.
    fresh = client.get(url, {"since": since, "text_revision": "1"}, headers=HX)
    assert "was corrected" not in fresh.content.decode()


def test_a_selection_made_in_an_older_text_is_carried_or_refused(client, members, doc):
    annotator = members["annotator"]
    old = Document.objects.get(pk=doc.pk)
    _revise(doc, members["owner"], 0, "The cartel moved everything, always.")
    client.force_login(annotator)
    url = reverse("annotations:annotation_create", args=[doc.project.slug, doc.pk])
    # Made on the page of revision 0: the passage moved; it is found.
    moved = selection(old, "January 2017") | {"text_revision": 0, "body": "When?"}
    assert client.post(url, moved, headers=HX).status_code == 200
    made = Annotation.objects.get(body="When?")
    doc.refresh_from_db()
    assert doc.text[made.start : made.end] == made.exact == "January 2017"
    # Its text was corrected: refused, with what to do.
    gone = selection(old, "every spring") | {"text_revision": 0, "body": "Lost"}
    response = client.post(url, gone, headers=HX)
    assert response.status_code == 400
    assert "select it again in the revised text" in response.content.decode()
    assert not Annotation.objects.filter(body="Lost").exists()


def test_the_margin_shows_an_edited_quote_as_it_now_reads(client, owner, doc):
    make_annotation(doc, owner, "escaped twice from maximum")
    client.force_login(owner)
    url = reverse("annotations:annotation_list_hx", args=[doc.project.slug, doc.pk])
    assert "escaped twice from maximum" in client.get(url, headers=HX).content.decode()
    _revise(doc, owner, 1, "Guzmán escapd twice from maximum security prisons.")
    margin = client.get(url, headers=HX).content.decode()
    assert "escapd twice from maximum" in margin
    assert "escaped twice" not in margin


def test_an_orphans_links_stay_in_both_threads(client, owner, doc, project):
    from annotations.models import RelationType
    from annotations.services import create_link

    kept = make_annotation(doc, owner, "extradition took place")
    lost = make_annotation(doc, owner, "maximum security")
    create_link(
        source=kept,
        author=owner,
        relation=RelationType.objects.filter(project=project).first(),
        target_annotation=lost,
    )
    _revise(doc, owner, 1, "He was caught.")
    client.force_login(owner)
    page = client.get(doc.get_absolute_url() + f"?thread={kept.pk}").content.decode()
    thread = page.split('id="thread"')[1]
    assert "“maximum security”" in thread
    assert "orphan: its passage was lost" in thread
    orphan = client.get(doc.get_absolute_url() + f"?thread={lost.pk}").content
    assert "“extradition took place”" in orphan.decode().split('id="thread"')[1]


def test_a_change_of_block_kind_alone_is_drawn(client, owner, doc):
    client.force_login(owner)
    assert "block-heading" not in client.get(doc.get_absolute_url()).content.decode()
    doc = Document.objects.get(pk=doc.pk)
    edited = text_edits.edit_block(
        doc.text, doc.blocks, 1, PARAGRAPHS[1], kind="heading", level=2
    )
    assert edited.text == doc.text  # the same text, another structure
    text_service.revise_text(
        document=doc,
        text=edited.text,
        blocks=edited.blocks,
        editor=owner,
        reason="A heading, not a paragraph",
        base_revision=0,
    )
    page = client.get(doc.get_absolute_url()).content.decode()
    assert f'<h3 class="block block-heading" id="b{doc.blocks[1]["start"]}"' in page


def test_a_block_that_is_not_there_answers_404_in_place(client, owner, doc):
    client.force_login(owner)
    assert client.get(_url(doc) + "?block=7", headers=HX).status_code == 404
    # Without htmx, the page (nothing opened).
    assert client.get(_url(doc) + "?block=7").status_code == 200


def test_a_block_saved_without_a_level_is_merged_and_edited(client, owner, project):
    doc = make_document(project=project, paragraphs=PARAGRAPHS)
    Document.objects.filter(pk=doc.pk).update(
        blocks=[{k: v for k, v in b.items() if k != "level"} for b in doc.blocks]
    )
    client.force_login(owner)
    doc.refresh_from_db()
    assert _post_block(client, doc, operation="merge").status_code == 302
    doc.refresh_from_db()
    response = _post_block(client, doc, block=0, operation="edit", content="Fixed.")
    assert response.status_code == 302


def test_a_block_opens_in_place_on_the_reading_page_and_saves_back_to_it(
    client, owner, doc
):
    client.force_login(owner)
    start = doc.blocks[1]["start"]
    opened = client.get(_url(doc), {"at": start, "from": "reading"}, headers=HX)
    html = opened.content.decode()
    assert html.startswith('<div class="text-block text-block-editing in-reading"')
    assert '<input type="hidden" name="from" value="reading">' in html
    assert f'<a href="{doc.get_absolute_url()}">Cancel</a>' in html
    saved = _post_block(
        client, doc, operation="edit", content="Fixed.", **{"from": "reading"}
    )
    assert saved.status_code == 302
    assert saved["Location"] == f"{doc.get_absolute_url()}#b{start}"
    # Where no block starts: nothing to open.
    assert client.get(_url(doc), {"at": start + 1}, headers=HX).status_code == 404


@pytest.mark.parametrize("visibility", ["project", "private"])
def test_the_margin_places_a_moved_annotation_where_it_now_is(
    client, owner, doc, visibility
):
    """Annotations after an edit move along (one statement for many): their
    kept margin entries are drawn again at the new place, for whoever sees
    them."""
    note = make_annotation(doc, owner, "extradition took place", visibility=visibility)
    client.force_login(owner)
    url = reverse("annotations:annotation_list_hx", args=[doc.project.slug, doc.pk])
    before = client.get(url, headers=HX).content.decode()
    assert f'data-start="{note.start}"' in before
    _revise(doc, owner, 0, "The cartel moved all of its many shipments.")
    note.refresh_from_db()
    doc.refresh_from_db()
    assert doc.text[note.start : note.end] == "extradition took place"
    after = client.get(url, headers=HX).content.decode()
    assert f'data-start="{note.start}" data-end="{note.end}"' in after
