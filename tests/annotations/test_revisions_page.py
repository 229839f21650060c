"""The Revisions screen (issue 14): a document's text history, what each
revision changed, the text as it was at any revision, and an earlier text
brought back as a new revision."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import html

from annotations.models import Anchoring, Annotation, EventKind
from annotations.services import text as text_service
from corpus.models import Document, Project, RevisionKind, TextRevision
from corpus.roles import Action
from tests.conftest import HX, ROLES, expected_status, roles_that
from tests.factories import (
    make_annotation,
    make_document,
    revise_block,
)

PARAGRAPHS = [
    "The cartel moved its shipments through Sinaloa every spring.",
    "Guzmán escaped twice from maximum security prisons.",
    "The extradition took place in January 2017.",
]
EVERYONE = set(ROLES)
CAN_RESTORE = roles_that(Action.EDIT_TEXT)
WHO = [*ROLES, "outsider"]


@pytest.fixture
def doc(project, members):
    document = make_document(
        project=project, paragraphs=PARAGRAPHS, imported_by=members["owner"]
    )
    return document


def _edit(doc, editor, index, content, reason="OCR fix"):
    return revise_block(doc, editor, index, content, reason=reason)


@pytest.fixture
def revised(doc, members):
    """Revision 1 corrects the second paragraph; revision 2 the third."""
    curator = members["curator"]
    make_annotation(doc, curator, "extradition took place", body="When?")
    make_annotation(doc, curator, "escaped twice", body="How?")
    _edit(doc, curator, 1, "Guzmán escaped three times from maximum security.")
    _edit(doc, members["owner"], 2, "The extradition took place on 19 January 2017.")
    return Document.objects.get(pk=doc.pk)


def _url(name: str, doc, *args) -> str:
    return reverse(f"annotations:{name}", args=[doc.project.slug, doc.pk, *args])


def _page(response) -> html.HtmlElement:
    return html.fromstring(response.content.decode())


_SIMPLE = re.compile(r"(?P<tag>[\w*]+)?(?P<rest>(?:[.#][\w-]+|\[[^\]]+\])*)$")
_PART = re.compile(r"([.#])([\w-]+)|\[([\w-]+)(?:=\"?([^\"\]]*)\"?)?\]")


def _xpath(selector: str) -> str:
    """The few CSS selectors these tests use (tag, .class, #id, [attr],
    [attr="value"], descendants) as XPath: lxml's own needs cssselect."""
    steps = []
    for simple in selector.split():
        match = _SIMPLE.match(simple)
        tests = []
        for kind, name, attr, value in _PART.findall(match["rest"]):
            if kind == ".":
                tests.append(
                    f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"
                )
            elif kind == "#":
                tests.append(f"@id='{name}'")
            else:
                tests.append(f"@{attr}='{value}'" if value else f"@{attr}")
        steps.append((match["tag"] or "*") + "".join(f"[{t}]" for t in tests))
    return ".//" + "//".join(steps)


def _css(node, selector: str) -> list:
    return node.xpath(_xpath(selector))


def _texts(tree, selector: str) -> list[str]:
    return [node.text_content() for node in _css(tree, selector)]


# -- Who may do what ----------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(
    ("name", "args", "shown"),
    [
        ("document_revisions", (), "Revision 1"),
        ("revision_detail", (1,), "Guzmán escaped three times"),
        ("revision_diff", (2,), "<del>in</del><ins>on 19</ins>"),
    ],
)
def test_every_member_reads_the_history_and_a_non_member_gets_404(
    client, members, revised, who, name, args, shown, htmx
):
    client.force_login(members[who])

    response = client.get(_url(name, revised, *args), headers=HX if htmx else {})

    assert response.status_code == expected_status(who, EVERYONE, 200)
    if response.status_code == 200:
        assert shown in response.content.decode()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", WHO)
def test_only_curators_and_owners_restore(client, members, revised, who, htmx):
    client.force_login(members[who])

    response = client.post(
        _url("revision_restore", revised, 0),
        {"reason": "Back to the import", "base_revision": "2"},
        headers=HX if htmx else {},
    )

    # Restored: a plain form is redirected to the list; htmx is told to go.
    assert response.status_code == expected_status(
        who, CAN_RESTORE, 200 if htmx else 302
    )
    if response.status_code in (200, 302):
        listing = _url("document_revisions", revised)
        assert (response.get("HX-Redirect") if htmx else response["Location"]) == (
            listing
        )
    revised.refresh_from_db()
    assert revised.text_revision == (3 if who in CAN_RESTORE else 2)


@pytest.mark.parametrize("who", ROLES)
def test_the_restore_form_is_offered_to_those_who_may_restore(
    client, members, revised, who
):
    client.force_login(members[who])

    page = _page(client.get(_url("revision_detail", revised, 0)))

    forms = _css(page, "form.restore-form")
    assert len(forms) == (1 if who in CAN_RESTORE else 0)


def test_an_archived_project_offers_no_restore_and_refuses_one(
    client, members, revised
):
    Project.objects.filter(pk=revised.project_id).update(archived_at=timezone.now())
    client.force_login(members["owner"])

    page = _page(client.get(_url("revision_detail", revised, 0)))
    response = client.post(
        _url("revision_restore", revised, 0),
        {"reason": "Back", "base_revision": "2"},
    )

    assert not _css(page, "form.restore-form")
    assert response.status_code == 403
    assert TextRevision.objects.filter(document=revised).count() == 2


def test_a_document_in_the_trash_has_no_revisions_page(client, members, revised):
    Document.all_objects.filter(pk=revised.pk).update(trashed_at=timezone.now())
    client.force_login(members["owner"])

    for name, args in [
        ("document_revisions", ()),
        ("revision_detail", (0,)),
        ("revision_diff", (1,)),
    ]:
        assert client.get(_url(name, revised, *args)).status_code == 404
    response = client.post(
        _url("revision_restore", revised, 0), {"reason": "x", "base_revision": "2"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "number"),
    [("revision_detail", 3), ("revision_diff", 3), ("revision_diff", 0)],
)
def test_a_revision_that_does_not_exist_answers_404(
    client, members, revised, name, number
):
    client.force_login(members["viewer"])

    assert client.get(_url(name, revised, number)).status_code == 404


# -- The list -----------------------------------------------------------------------


def test_the_list_shows_every_revision_newest_first_with_the_import_last(
    client, members, revised
):
    client.force_login(members["viewer"])

    page = _page(client.get(_url("document_revisions", revised)))

    titles = [t.split("current")[0].strip() for t in _texts(page, ".revision-title")]
    assert titles == ["Revision 2", "Revision 1", "Revision 0"]
    newest, first, imported = _css(page, ".revision")
    assert "current text" in newest.text_content()
    assert "by owner-user" in newest.text_content()
    assert "by curator-user" in first.text_content()
    assert "Imported" in imported.text_content()
    assert "by owner-user" in imported.text_content()
    assert _texts(first, ".revision-reason") == ["OCR fix"]
    # Revision 1 replaced "d twice from maximum security prisons" and so on.
    revision = TextRevision.objects.get(document=revised, number=1)
    counts = _css(first, ".revision-counts")[0].text_content()
    assert f"{revision.inserted} characters inserted" in counts
    assert f"{revision.deleted} deleted" in counts
    # Its annotation on "escaped twice" keeps the edited words; the other moved.
    assert "Shared annotations: 1 moved, 1 kept with their edited passage." in counts
    assert not _css(imported, ".revision-counts")
    # Each revision leads to its text; all but the import to their changes.
    links = [a.get("href") for a in _css(first, "a")]
    assert _url("revision_detail", revised, 1) in links
    assert _url("revision_diff", revised, 1) in links
    assert _url("revision_diff", revised, 0) not in [
        a.get("href") for a in _css(imported, "a")
    ]


def test_a_restore_names_the_revision_it_brought_back(client, members, revised):
    client.force_login(members["curator"])
    client.post(
        _url("revision_restore", revised, 1),
        {"reason": "Revision 2 was wrong", "base_revision": "2"},
    )

    page = _page(client.get(_url("document_revisions", revised)))

    newest = _css(page, ".revision")[0]
    assert "Earlier revision restored" in newest.text_content()
    assert "Brought back the text of revision 1" in newest.text_content()
    assert _url("revision_detail", revised, 1) in [
        a.get("href") for a in _css(newest, "a")
    ]


def test_a_long_history_is_paginated(client, members, doc):
    for n in range(27):
        _edit(doc, members["curator"], 0, f"Correction number {n}.", reason=f"fix {n}")
    client.force_login(members["annotator"])

    first = _page(client.get(_url("document_revisions", doc)))
    second = _page(client.get(_url("document_revisions", doc) + "?page=2", headers=HX))

    first_numbers = [t.split()[1] for t in _texts(first, ".revision-title")]
    second_numbers = [t.split()[1] for t in _texts(second, ".revision-title")]
    assert first_numbers == [str(n) for n in range(27, 2, -1)]
    assert second_numbers == ["2", "1", "0"]
    assert _css(first, '.pagination a[rel="next"]')[0].get("href").endswith("?page=2")
    # The htmx page is the list alone, not the whole page.
    assert second.get("id") == "revision-list"


def test_the_reading_page_links_to_the_revisions(client, members, revised):
    client.force_login(members["viewer"])

    page = _page(client.get(revised.get_absolute_url()))

    link = _css(page, f'a[href="{_url("document_revisions", revised)}"]')
    assert link and "Revisions (2)" in link[0].text_content()


# -- A revision's changes -----------------------------------------------------------


def test_the_changes_mark_what_was_deleted_and_what_was_inserted(
    client, members, revised
):
    client.force_login(members["viewer"])

    page = _page(client.get(_url("revision_diff", revised, 2)))

    place = _css(page, ".diff-place")
    assert len(place) == 1
    assert _texts(place[0], "del") == ["in"]
    assert _texts(place[0], "ins") == ["on 19"]
    # Words changed within a paragraph: no block came or went.
    assert "blocks" not in _css(page, ".diff .meta")[0].text_content()
    # Around the change, the text as it reads: the deletion, then the insertion.
    text = _css(place[0], ".diff-text")[0].text_content()
    assert "The extradition took place inon 19 January 2017." in text
    # The place opens in the text after the revision, at its block.
    block = revised.blocks[2]["start"]
    assert _url("revision_detail", revised, 2) + f"#b{block}" in [
        a.get("href") for a in _css(place[0], "a")
    ]
    assert "OCR fix" in _css(page, ".revision-reason")[0].text_content()


def test_a_replacement_shows_both_the_old_and_the_new_words(client, members, revised):
    client.force_login(members["viewer"])

    page = _page(client.get(_url("revision_diff", revised, 1)))

    deleted, inserted = _texts(page, ".diff-place del"), _texts(page, ".diff-place ins")
    before = "".join(deleted)
    after = "".join(inserted)
    assert "twice" in before and "prisons" in before
    assert "three times" in after
    # Context around the change, as the text read after it.
    assert "Guzmán escape" in _css(page, ".diff-text")[0].text_content()


def test_htmx_opens_the_changes_in_the_list_with_a_link_to_their_page(
    client, members, revised
):
    client.force_login(members["viewer"])

    response = client.get(_url("revision_diff", revised, 2), headers=HX)

    assert response["Vary"] and "HX-Request" in response["Vary"]
    fragment = _page(response)
    assert fragment.tag == "section" and fragment.get("id") == "diff-2"
    assert _texts(fragment, ".diff-place ins") == ["on 19"]
    assert _url("revision_diff", revised, 2) in [
        a.get("href") for a in _css(fragment, "a")
    ]
    # The list's button asks for it by htmx, with the same page as its href.
    listing = _page(client.get(_url("document_revisions", revised)))
    button = _css(listing, "#revision-2 a[hx-get]")[0]
    assert (
        button.get("href") == button.get("hx-get") == _url("revision_diff", revised, 2)
    )
    assert button.get("hx-target") == "#diff-slot-2"
    assert _css(listing, "#diff-slot-2")


def test_a_split_paragraph_shows_the_line_break_it_inserted(client, members, doc):
    revise_block(
        doc,
        members["curator"],
        0,
        PARAGRAPHS[0].replace(" moved", "\n\nmoved"),
        reason="Two paragraphs",
        base_revision=0,
    )
    client.force_login(members["viewer"])

    page = _page(client.get(_url("revision_diff", doc, 1)))

    inserted = _css(page, ".diff-place ins")
    assert [node.get("data-blank") for node in inserted] == ["¶"]
    assert "blocks" in _css(page, ".diff .meta")[0].text_content()


def test_user_text_is_escaped_in_the_reason_and_the_changes(client, members, doc):
    reason = '<script>alert("reason")</script><b>bold</b>'
    _edit(doc, members["curator"], 0, "A <img src=x onerror=alert(1)> in the text.")
    _edit(doc, members["curator"], 1, "Second.", reason=reason)
    client.force_login(members["viewer"])

    for url in (
        _url("document_revisions", doc),
        _url("revision_diff", doc, 1),
        _url("revision_diff", doc, 2),
        _url("revision_detail", doc, 2),
        _url("revision_detail", doc, 1),
    ):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body
        assert "<b>bold</b>" not in body
        assert "<img src=x" not in body
    listing = client.get(_url("document_revisions", doc)).content.decode()
    assert "&lt;script&gt;alert(&quot;reason&quot;)&lt;/script&gt;" in listing
    diff = _page(client.get(_url("revision_diff", doc, 1)))
    assert "<img src=x onerror=alert(1)>" in "".join(_texts(diff, "ins"))
    assert not _css(diff, ".diff img")


# -- The text at a revision ---------------------------------------------------------


def test_an_old_revision_shows_its_text_with_its_blocks_and_says_it_is_not_current(
    client, members, revised
):
    client.force_login(members["annotator"])

    page = _page(client.get(_url("revision_detail", revised, 1)))

    paragraphs = _texts(page, "#doc-text p.block")
    assert paragraphs == [
        PARAGRAPHS[0],
        "Guzmán escaped three times from maximum security.",
        PARAGRAPHS[2],
    ]
    banner = _css(page, ".revision-banner")[0].text_content()
    assert "Revision 1 of 2" in banner
    assert "by curator-user" in banner
    assert "this is not the current text" in banner
    assert revised.get_absolute_url() in [
        a.get("href") for a in _css(page, ".revision-banner a")
    ]
    # Nothing of the annotations: this text is read, not annotated.
    assert not _css(page, "#doc-text mark")


def test_revision_zero_is_the_text_as_imported(client, members, revised):
    client.force_login(members["viewer"])

    page = _page(client.get(_url("revision_detail", revised, 0)))

    assert _texts(page, "#doc-text p.block") == PARAGRAPHS
    banner = _css(page, ".revision-banner")[0].text_content()
    assert "Revision 0 of 2 (as imported)" in banner
    assert "by owner-user" in banner


def test_the_latest_revision_says_it_is_the_current_text(client, members, revised):
    client.force_login(members["curator"])

    page = _page(client.get(_url("revision_detail", revised, 2)))

    banner = _css(page, ".revision-banner")[0].text_content()
    assert "this is the current text" in banner
    assert "not the current text" not in banner
    # Nothing to bring back: no form, and the page says why.
    assert not _css(page, "form.restore-form")
    assert "nothing to restore" in _css(page, ".restore-text")[0].text_content()


# -- Restoring ----------------------------------------------------------------------


def test_restoring_brings_the_old_text_back_as_a_new_revision(client, members, revised):
    note = Annotation.objects.get(exact="extradition took place")
    client.force_login(members["curator"])

    response = client.post(
        _url("revision_restore", revised, 0),
        {"reason": "The corrections were wrong", "base_revision": "2"},
    )

    assert response.status_code == 302
    assert response["Location"] == _url("document_revisions", revised)
    revised.refresh_from_db()
    assert revised.text == "\n\n".join(PARAGRAPHS)
    assert revised.text_revision == 3
    restore = TextRevision.objects.get(document=revised, number=3)
    assert restore.kind == RevisionKind.RESTORE
    assert restore.restored_from == 0
    assert restore.reason == "The corrections were wrong"
    assert restore.author == members["curator"]
    # Annotations carried: the one on untouched words moved exactly.
    note.refresh_from_db()
    assert note.anchoring == Anchoring.ANCHORED
    assert revised.text[note.start : note.end] == "extradition took place"
    assert restore.carried["moved"] + restore.carried["edited"] >= 1
    # The page the browser lands on says so.
    followed = client.get(response["Location"])
    assert "The text of revision 0 is back, as revision 3." in (
        followed.content.decode()
    )


def test_a_restored_text_keeps_the_history_it_replaced(client, members, revised):
    client.force_login(members["owner"])
    client.post(
        _url("revision_restore", revised, 1), {"reason": "r", "base_revision": "2"}
    )

    page = _page(client.get(_url("revision_detail", revised, 2)))

    assert "The extradition took place on 19 January 2017." in _texts(
        page, "#doc-text p.block"
    )
    assert "Revision 2 of 3" in _css(page, ".revision-banner")[0].text_content()


def test_a_stale_restore_is_refused_with_409_and_the_current_state(
    client, members, revised
):
    client.force_login(members["curator"])
    # The page was opened at revision 2; someone revised the text since.
    _edit(revised, members["owner"], 0, "A newer first paragraph.", reason="newer")

    response = client.post(
        _url("revision_restore", revised, 0),
        {"reason": "Back to the import", "base_revision": "2"},
    )

    assert response.status_code == 409
    page = _page(response)
    alert = _css(page, ".restore-text .conflict")[0].text_content()
    assert "owner-user revised the text since you opened this page" in alert
    assert "it is now at revision 3" in alert
    assert "Nothing was restored" in alert
    assert "Revision 0 of 3" in _css(page, ".revision-banner")[0].text_content()
    # The form is ready for a second try: the reason kept, the revision now.
    assert _css(page, "textarea[name=reason]")[0].text_content().strip() == (
        "Back to the import"
    )
    assert _css(page, "input[name=base_revision]")[0].get("value") == "3"
    revised.refresh_from_db()
    assert revised.text_revision == 3
    assert "A newer first paragraph." in revised.text


def test_restoring_the_current_text_says_nothing_would_change(client, members, revised):
    client.force_login(members["owner"])

    response = client.post(
        _url("revision_restore", revised, 2), {"reason": "Again", "base_revision": "2"}
    )

    assert response.status_code == 400
    errors = _css(_page(response), ".restore-text .errors")[0].text_content()
    assert "already the text of revision 2" in errors
    assert "would change nothing" in errors
    assert TextRevision.objects.filter(document=revised).count() == 2


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_restore_needs_a_reason(client, members, revised, reason):
    client.force_login(members["owner"])

    response = client.post(
        _url("revision_restore", revised, 0), {"reason": reason, "base_revision": "2"}
    )

    assert response.status_code == 400
    assert _css(_page(response), ".restore-text .errors")
    revised.refresh_from_db()
    assert revised.text_revision == 2


def test_a_restore_needs_the_csrf_token(members, revised):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(members["owner"])

    response = client.post(
        _url("revision_restore", revised, 0), {"reason": "x", "base_revision": "2"}
    )

    assert response.status_code == 403
    assert TextRevision.objects.filter(document=revised).count() == 2


def test_a_restore_is_a_post(client, members, revised):
    client.force_login(members["owner"])

    response = client.get(_url("revision_restore", revised, 0))

    assert response.status_code == 405


def test_orphans_are_counted_and_stay_orphans_when_the_old_text_comes_back(
    client, members, doc
):
    orphan = make_annotation(doc, members["curator"], "escaped twice")
    _edit(doc, members["curator"], 1, "He was caught in 2016.")
    client.force_login(members["owner"])

    listing = _page(client.get(_url("document_revisions", doc)))
    client.post(
        _url("revision_restore", doc, 0), {"reason": "undo", "base_revision": "1"}
    )

    counts = _css(listing, "#revision-1 .revision-counts")[0].text_content()
    assert "Shared annotations: 1 orphaned." in counts
    # Orphans are kept, not carried (they are reattached by hand): the old
    # text back leaves them orphans, with their history.
    doc.refresh_from_db()
    assert doc.text == "\n\n".join(PARAGRAPHS)
    orphan.refresh_from_db()
    assert orphan.anchoring == Anchoring.ORPHAN
    assert orphan.events.filter(kind=EventKind.ORPHANED).exists()


def test_an_upload_is_listed_with_its_file(client, members, doc):
    revise_block(
        doc,
        members["owner"],
        0,
        PARAGRAPHS[0].replace("Sinaloa", "Sinaloa state"),
        reason="The publisher's corrected file",
        base_revision=0,
        kind=RevisionKind.UPLOAD,
        filename="escape-v2.txt",
    )
    client.force_login(members["viewer"])

    page = _page(client.get(_url("document_revisions", doc)))

    newest = _css(page, "#revision-1")[0].text_content()
    assert "New version uploaded" in newest
    assert "from escape-v2.txt" in newest


def test_a_heading_made_of_a_paragraph_changes_blocks_not_words(client, members, doc):
    revise_block(
        doc,
        members["curator"],
        0,
        PARAGRAPHS[0],
        block_kind="heading",
        level=1,
        reason="It is the title",
        base_revision=0,
    )
    client.force_login(members["viewer"])

    page = _page(client.get(_url("revision_diff", doc, 1)))
    before = _page(client.get(_url("revision_detail", doc, 0)))
    after = _page(client.get(_url("revision_detail", doc, 1)))

    assert not _css(page, ".diff-place")
    assert "only the division into blocks" in _css(page, ".diff")[0].text_content()
    assert not _css(before, "#doc-text h2")
    assert _texts(after, "#doc-text h2") == [PARAGRAPHS[0]]


def test_the_changes_of_a_large_revision_come_a_page_at_a_time(
    client, members, project
):
    # 120 paragraphs of 200 characters: a word changed in each is a place of
    # its own (farther apart than the context shown around them).
    paragraphs = [
        f"Paragraph {n:03d} " + "lorem ipsum " * 15 + "end." for n in range(120)
    ]
    document = make_document(project=project, paragraphs=paragraphs)
    text_service.revise_text(
        document=document,
        text=document.text.replace(" end.", " END."),
        blocks=document.blocks,
        editor=members["curator"],
        reason="Capitals",
        base_revision=0,
    )
    client.force_login(members["viewer"])
    url = _url("revision_diff", document, 1)

    first = _page(client.get(url))
    second = _page(client.get(url + "?page=2", headers=HX))

    assert "120 places changed" in _css(first, ".diff .meta")[0].text_content()
    assert len(_css(first, ".diff-place")) == 100
    assert len(_css(second, ".diff-place")) == 20
    assert _texts(second, ".diff-place del")[-1] == "end."
    assert _texts(second, ".diff-place ins")[-1] == "END."
    next_page = _css(first, '.diff .pagination a[rel="next"]')[0]
    assert next_page.get("href") == url + "?page=2"
    assert next_page.get("hx-target") == "#diff-1"


@pytest.mark.parametrize("who", ["viewer", "annotator", "curator", "owner"])
def test_what_became_of_annotations_is_told_to_who_sees_them_all(
    client, members, revised, project, who
):
    """Under pre-moderation, unapproved shared notes are the curators' to see:
    the counts would tell others of them."""
    project.premoderation = True
    project.save(update_fields=["premoderation"])
    client.force_login(members[who])
    html = client.get(_url("document_revisions", revised)).content.decode()
    assert ("Shared annotations:" in html) == (who in {"curator", "owner"})
