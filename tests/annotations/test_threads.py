"""The threads: an annotation made, shown, edited, deleted and replied to, for
every role, a non-member and anonymous; fragments and rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, Reply, Visibility
from tests.conftest import CAN_ANNOTATE, CAN_MODERATE, HX, ROLES
from tests.factories import make_annotation, make_document

PARAGRAPHS = ["The tunnel 😀 was a mile long.", "Guzmán escaped twice."]


@pytest.fixture
def doc(project):
    return make_document(project=project, paragraphs=PARAGRAPHS)


def selection(doc, exact: str) -> dict:
    """What the browser sends for a selection of `exact` within one block."""
    start = doc.text.index(exact)
    block = next(b for b in doc.blocks if b["start"] <= start < b["end"])
    before = doc.text[block["start"] : start]
    utf16 = len(before.encode("utf-16-le")) // 2
    return {
        "sb": block["start"],
        "so": utf16,
        "eb": block["start"],
        "eo": utf16 + len(exact.encode("utf-16-le")) // 2,
        "exact": exact,
        "visibility": "project",
    }


def annotate(doc, author, exact="mile", **kwargs):
    return make_annotation(doc, author, exact, **kwargs)


def _create_url(doc):
    return reverse("annotations:annotation_create", args=[doc.project.slug, doc.pk])


# Who may do what ---------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_create_is_for_annotating_roles_only(client, doc, members, who, htmx):
    client.force_login(members[who])
    response = client.post(
        _create_url(doc),
        {**selection(doc, "mile"), "body": "A note"},
        headers=HX if htmx else {},
    )
    if who == "outsider":
        assert response.status_code == 404
    elif who in CAN_ANNOTATE:
        assert response.status_code == (200 if htmx else 302)
        assert Annotation.objects.get().author == members[who]
        return
    else:
        assert response.status_code == 403
    assert not Annotation.objects.exists()


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_editing_someone_elses_annotation_needs_a_curator(client, doc, members, who):
    annotation = annotate(doc, members["annotator"], body="Original")
    client.force_login(members[who])
    url = reverse("annotations:annotation_edit", args=[doc.project.slug, annotation.pk])
    response = client.post(
        url,
        {"body": "Changed", "tags": "", "visibility": "project", "version": 1},
        headers=HX,
    )
    expected = {
        "outsider": 404,
        "viewer": 403,
        "owner": 200,
        "curator": 200,
        "annotator": 200,
    }[who]
    assert response.status_code == expected
    annotation.refresh_from_db()
    assert annotation.body == ("Changed" if expected == 200 else "Original")


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_delete_by_author_or_curator_only(client, doc, members, who):
    author = members["annotator"] if who != "annotator" else members["curator"]
    annotation = annotate(doc, author)
    client.force_login(members[who])
    url = reverse(
        "annotations:annotation_delete", args=[doc.project.slug, annotation.pk]
    )
    response = client.post(url, headers=HX)
    allowed = who in CAN_MODERATE
    assert response.status_code == (
        200 if allowed else 404 if who == "outsider" else 403
    )
    annotation.refresh_from_db()
    assert (annotation.deleted_at is not None) == allowed


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_reply_is_for_annotating_roles(client, doc, members, who):
    annotation = annotate(doc, members["owner"])
    client.force_login(members[who])
    url = reverse("annotations:reply_create", args=[doc.project.slug, annotation.pk])
    response = client.post(url, {"body": "I agree."}, headers=HX)
    allowed = who in CAN_ANNOTATE
    assert response.status_code == (
        200 if allowed else 404 if who == "outsider" else 403
    )
    assert Reply.objects.filter(body="I agree.").exists() == allowed


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_reply_edit_and_delete_by_author_or_curator(client, doc, members, who):
    annotation = annotate(doc, members["owner"])
    reply = services.create_reply(
        annotation=annotation, author=members["annotator"], body="Mine"
    )
    client.force_login(members[who])
    edit = reverse("annotations:reply_edit", args=[doc.project.slug, reply.pk])
    response = client.post(edit, {"body": "Edited", "version": 1}, headers=HX)
    allowed = who in {"annotator", "curator", "owner"}
    assert response.status_code == (
        200 if allowed else 404 if who == "outsider" else 403
    )
    reply.refresh_from_db()
    assert reply.body == ("Edited" if allowed else "Mine")


def test_private_annotation_of_another_user_is_404_even_for_the_owner(
    client, doc, members
):
    private = annotate(doc, members["annotator"], visibility=Visibility.PRIVATE)
    client.force_login(members["owner"])
    for name in ("annotation_detail", "annotation_edit"):
        url = reverse(f"annotations:{name}", args=[doc.project.slug, private.pk])
        assert client.get(url).status_code == 404
    page = client.get(doc.get_absolute_url()).content.decode()
    assert f'data-ids="{private.pk}"' not in page
    assert '<span id="annotation-count" class="meta">(0)</span>' in page


def test_annotation_of_another_project_is_404(client, doc, members, project):
    other = make_document(
        project=__import__("tests.factories").factories.make_project()
    )
    foreign = annotate(other, members["outsider"], exact="First")
    client.force_login(members["owner"])
    url = reverse("annotations:annotation_detail", args=[project.slug, foreign.pk])
    assert client.get(url).status_code == 404


# What users see ------------------------------------------------------------------


def test_creating_answers_the_thread_and_redrawn_blocks(client, doc, members):
    client.force_login(members["annotator"])
    response = client.post(
        _create_url(doc),
        {
            **selection(doc, "mile"),
            "body": "**Long** tunnel",
            "tags": "tunnels, Escape",
        },
        headers=HX,
    )
    html = response.content.decode()
    annotation = Annotation.objects.get()
    assert doc.text[annotation.start : annotation.end] == "mile"
    assert sorted(annotation.tags.values_list("name", flat=True)) == [
        "Escape",
        "tunnels",
    ]
    assert "<strong>Long</strong> tunnel" in html  # the note, rendered
    assert 'id="b0" data-start="0"' in html and 'hx-swap-oob="true"' in html
    # Coloured by its first tag by name ("Escape" sorts before "tunnels").
    escape = annotation.tags.get(name="Escape")
    assert f'<mark class="hl d1 tc-{escape.pk}" data-ids="{annotation.pk}"' in html
    # The one answer carries the margin's entry and count: no request follows.
    assert "HX-Trigger" not in response
    assert f'<li data-news="{annotation.pk}" class="margin-item' in html
    assert '<span id="annotation-count" class="meta" hx-swap-oob="true">(1)</span>' in (
        html
    )


def test_selection_after_an_emoji_anchors_exactly(client, doc, owner):
    client.force_login(owner)
    client.post(_create_url(doc), selection(doc, "was a mile"), headers=HX)
    annotation = Annotation.objects.get()
    assert doc.text[annotation.start : annotation.end] == "was a mile"
    assert annotation.start == PARAGRAPHS[0].index("was")


def test_selection_across_two_paragraphs(client, doc, owner):
    client.force_login(owner)
    second = doc.blocks[1]["start"]
    data = {
        "sb": 0,
        "so": len("The tunnel 😀 was a ".encode("utf-16-le")) // 2,
        "eb": second,
        "eo": len("Guzmán"),
        "exact": "mile long.\n\nGuzmán",
        "visibility": "project",
    }
    response = client.post(_create_url(doc), data, headers=HX)
    assert response.status_code == 200
    annotation = Annotation.objects.get()
    assert doc.text[annotation.start : annotation.end] == "mile long.\n\nGuzmán"
    page = client.get(doc.get_absolute_url()).content.decode()
    # Highlighted in each paragraph it spans.
    assert page.count(f'data-ids="{annotation.pk}"') == 2


def test_mismatched_quote_is_refused_with_a_message(client, doc, owner):
    client.force_login(owner)
    data = {**selection(doc, "mile"), "exact": "mole"}
    response = client.post(_create_url(doc), data, headers=HX)
    assert response.status_code == 400
    assert "does not match the document" in response.content.decode()
    assert not Annotation.objects.exists()


def test_offsets_inside_a_surrogate_pair_are_refused(client, doc, owner):
    client.force_login(owner)
    emoji_at = len("The tunnel ".encode("utf-16-le")) // 2
    data = {
        "sb": 0,
        "so": emoji_at + 1,
        "eb": 0,
        "eo": emoji_at + 4,
        "exact": "x",
        "visibility": "project",
    }
    response = client.post(_create_url(doc), data, headers=HX)
    assert response.status_code == 400
    assert not Annotation.objects.exists()


def test_annotation_url_opens_the_document_with_its_thread(client, doc, owner):
    annotation = annotate(doc, owner, body="See the *report*.")
    client.force_login(owner)
    response = client.get(annotation.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].endswith(f"?thread={annotation.pk}#s{annotation.start}")
    page = client.get(response["Location"]).content.decode()
    assert f'id="thread-{annotation.pk}"' in page
    assert "See the <em>report</em>." in page
    assert f'id="s{annotation.start}" tabindex="0" role="button"' in page


def test_notes_are_sanitised(client, doc, owner):
    annotation = annotate(
        doc, owner, body="<script>alert(1)</script> [x](javascript:alert(2)) <b>b</b>"
    )
    client.force_login(owner)
    html = client.get(annotation.get_absolute_url(), headers=HX).content.decode()
    assert "<script>" not in html
    assert "javascript:" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;b&lt;/b&gt;" in html


def test_stale_edit_gets_409_with_the_newer_version_and_keeps_the_users_text(
    client, doc, members
):
    annotation = annotate(doc, members["annotator"], body="Original")
    services.update_annotation(
        annotation=annotation,
        editor=members["curator"],
        version=1,
        body="Curator's version",
        tags=[],
        visibility=Visibility.PROJECT,
    )
    client.force_login(members["annotator"])
    url = reverse("annotations:annotation_edit", args=[doc.project.slug, annotation.pk])
    response = client.post(
        url,
        {"body": "My careful edit", "tags": "", "visibility": "project", "version": 1},
        headers=HX,
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "curator-user changed this while you were editing" in html
    assert "Curator&#x27;s version" in html or "Curator's version" in html
    assert "My careful edit" in html
    annotation.refresh_from_db()
    assert annotation.body == "Curator's version"


def test_reply_appears_in_the_thread(client, doc, members):
    annotation = annotate(doc, members["owner"])
    client.force_login(members["annotator"])
    url = reverse("annotations:reply_create", args=[doc.project.slug, annotation.pk])
    html = client.post(url, {"body": "Source *needed*"}, headers=HX).content.decode()
    assert "Source <em>needed</em>" in html
    assert "annotator-user" in html


def test_empty_reply_is_refused_with_a_message(client, doc, owner):
    annotation = annotate(doc, owner)
    client.force_login(owner)
    url = reverse("annotations:reply_create", args=[doc.project.slug, annotation.pk])
    response = client.post(url, {"body": "  "}, headers=HX)
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Reply.objects.exists()


def test_markdown_preview(client, doc, members):
    client.force_login(members["annotator"])
    url = reverse("annotations:markdown_preview_hx", args=[doc.project.slug])
    html = client.post(url, {"body": "*yes*"}, headers=HX).content.decode()
    assert "<em>yes</em>" in html
    client.force_login(members["viewer"])
    assert client.post(url, {"body": "x"}, headers=HX).status_code == 403


def test_tag_suggestions_match_what_is_typed(client, doc, members):
    for name in ("Prison escapes", "Extradition", "Prisons"):
        services.get_or_create_tag(project=doc.project, name=name)
    client.force_login(members["viewer"])
    url = reverse("annotations:tag_search_hx", args=[doc.project.slug])
    html = client.get(url, {"tags": "Extradition, pris"}).content.decode()
    assert 'value="Prison escapes"' in html and 'value="Prisons"' in html
    assert 'value="Extradition"' not in html


def test_thread_of_a_shared_passage_lists_the_other_annotations(client, doc, members):
    first = annotate(doc, members["owner"], exact="tunnel 😀 was")
    second = annotate(doc, members["annotator"], exact="was a mile")
    hidden = annotate(
        doc, members["curator"], exact="was", visibility=Visibility.PRIVATE
    )
    client.force_login(members["owner"])
    url = reverse("annotations:annotation_detail", args=[doc.project.slug, first.pk])
    html = client.get(
        url, {"here": f"{first.pk},{second.pk},{hidden.pk}"}, headers=HX
    ).content.decode()
    assert "Also on this passage" in html
    assert (
        reverse("annotations:annotation_detail", args=[doc.project.slug, second.pk])
        in html
    )
    assert f"/a/{hidden.pk}/" not in html


# Out-of-band swaps have their targets (issue 9) --------------------------------


def test_a_saved_note_redraws_the_thread_and_a_refusal_stays_in_the_note(
    client, doc, members
):
    """The edit form sits in the note's own area (#note-N): a refused or stale
    save answers there, leaving the thread around it (whose parts the poll
    updates); a saved note is retargeted to the whole thread."""
    author = members["annotator"]
    annotation = annotate(doc, author, body="Old.")
    client.force_login(author)
    url = reverse("annotations:annotation_edit", args=[doc.project.slug, annotation.pk])

    form = client.get(url, headers=HX).content.decode()
    assert f'hx-target="#note-{annotation.pk}" hx-swap="innerHTML"' in form
    assert f'id="edit-{annotation.pk}-body"' in form  # not the reply form's ids

    saved = client.post(
        url,
        {"body": "New.", "tags": "", "visibility": "project", "version": 1},
        headers=HX,
    )
    assert saved.status_code == 200
    assert saved["HX-Retarget"] == "#thread"
    assert f'id="thread-{annotation.pk}"' in saved.content.decode()

    stale = client.post(
        url,
        {"body": "Stale.", "tags": "", "visibility": "project", "version": 1},
        headers=HX,
    )
    assert stale.status_code == 409
    assert "HX-Retarget" not in stale
    assert 'class="conflict"' in stale.content.decode()
    assert f'id="edit-{annotation.pk}-body"' in stale.content.decode()


def test_the_thread_status_is_outside_the_area_its_edit_form_replaces(
    client, doc, members
):
    annotation = annotate(doc, members["annotator"], body="Note.")
    client.force_login(members["annotator"])
    url = reverse(
        "annotations:annotation_detail", args=[doc.project.slug, annotation.pk]
    )
    html = client.get(url, headers=HX).content.decode()
    note_area = html.index(f'id="note-{annotation.pk}"')
    assert html.index(f'id="status-of-{annotation.pk}"') < note_area
    # Which thread is open is kept by the page (annotate.js), not swapped in.
    assert "thread-state" not in html
    assert f'data-annotation="{annotation.pk}"' in html


def test_a_reply_being_edited_has_its_own_ids(client, doc, members):
    author = members["annotator"]
    reply = services.create_reply(
        annotation=annotate(doc, author), author=author, body="Mine."
    )
    client.force_login(author)
    url = reverse("annotations:reply_edit", args=[doc.project.slug, reply.pk])
    html = client.get(url, headers=HX).content.decode()
    assert f'id="reply-{reply.pk}-body"' in html
    assert 'id="id_body"' not in html
